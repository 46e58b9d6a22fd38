"""Kestra's first script tasks (`io.kestra.core.tasks.scripts.Bash` and `Python`) run for real through the
process runner: output files by name, output folders, line counts, exitOnFailed, the virtualenv in the working
directory with `./bin/python`, args and requirements."""

from __future__ import annotations

import asyncio

import pytest
from tests.integration.scripts.conftest import Scripts

from legato.plugins.context import TaskFailed
from legato.storage import LocalStorage


def _read(storage: LocalStorage, uri: str) -> str:
    with storage.open(uri) as stream:
        data: bytes = stream.read()
    return data.decode()


def test_bash_output_files_by_name_and_line_counts(scripts: Scripts, storage: LocalStorage) -> None:
    outputs, _ = scripts.run(
        """
id: task
type: io.kestra.core.tasks.scripts.Bash
outputFiles:
  - xml
  - orders.csv
inputFiles:
  files/in/in.txt: I'm here
commands:
  - >-
    echo '::{"outputs": {"extract":"'$(cat files/in/in.txt)'"}}::'
  - echo 1 >> {{ outputFiles.xml }}
  - echo 2 >> "{{ outputFiles['orders.csv'] }}"
  - echo 3 >> {{ outputFiles.xml }}
  - '>&2 echo warned'
""")
    assert outputs["exitCode"] == 0
    assert outputs["vars"] == {"extract": "I'm here"}
    assert outputs["stdOutLineCount"] == 1 and outputs["stdErrLineCount"] == 1
    assert set(outputs["outputFiles"]) == {"xml", "orders.csv"}  # the input file is not an output
    assert _read(storage, outputs["outputFiles"]["xml"]) == "1\n3\n"
    assert _read(storage, outputs["outputFiles"]["orders.csv"]) == "2\n"


def test_bash_output_dirs_upload_every_file_beneath(scripts: Scripts, storage: LocalStorage) -> None:
    outputs, _ = scripts.run(
        """
id: task
type: io.kestra.core.tasks.scripts.Bash
outputDirs:
  - xml
  - csv
commands:
  - echo 1 >> {{ outputDirs.xml }}/file1.txt
  - mkdir -p {{ outputDirs.xml }}/sub/sub2
  - echo 2 >> {{ outputDirs.xml }}/sub/sub2/file2.txt
  - echo 3 >> {{ outputDirs.csv }}/file1.txt
""")
    files = outputs["outputFiles"]
    assert set(files) == {"xml/file1.txt", "xml/sub/sub2/file2.txt", "csv/file1.txt"}
    assert _read(storage, files["xml/sub/sub2/file2.txt"]) == "2\n"
    assert outputs["stdOutLineCount"] == 0


def test_bash_stops_at_the_first_failure_unless_told_not_to(scripts: Scripts) -> None:
    with pytest.raises(TaskFailed, match="exit code 127"):
        scripts.run("id: task\ntype: io.kestra.core.tasks.scripts.Bash\ncommands:\n  - unknown-command-xyz\n  - echo 1\n")
    outputs, _ = scripts.run("id: task\ntype: io.kestra.core.tasks.scripts.Bash\nexitOnFailed: false\n"
                             "commands:\n  - unknown-command-xyz\n  - echo 1\n")
    assert outputs["exitCode"] == 0 and outputs["stdOutLineCount"] == 1 and outputs["stdErrLineCount"] == 1


def test_bash_interpreter_and_its_arguments(scripts: Scripts) -> None:
    outputs, _ = scripts.run(
        """
id: task
type: io.kestra.core.tasks.scripts.Bash
interpreter: /bin/bash
interpreterArgs: ["-c"]
inputFiles:
  test.sh: "tst() { echo '::{\\"outputs\\": {\\"extract\\":\\"testbash\\"}}::' ; }"
commands:
  - source {{ workingDir }}/test.sh && tst
  - 'echo "::{\\"outputs\\": {\\"shell\\": \\"${BASH_VERSION:+bash}\\"}}::"'
""")
    assert outputs["vars"] == {"extract": "testbash", "shell": "bash"}


def test_python_main_with_args_outputs_and_a_named_output_file(scripts: Scripts, storage: LocalStorage) -> None:
    outputs, _ = scripts.run(
        """
id: task
type: io.kestra.core.tasks.scripts.Python
outputFiles:
  - csvFile
inputFiles:
  data.json: '{"status": "OK"}'
  main.py: |
    import json, sys
    from kestra import Kestra
    result = json.loads(open(sys.argv[1]).read())
    with open("{{ outputFiles.csvFile }}", "w") as f:
        f.write("a,b\\n1,2\\n")
    Kestra.outputs({"status": result["status"], "argv": sys.argv[1:], "venv": sys.prefix != sys.base_prefix})
args:
  - data.json
  - "{{ inputs.name }}"
""", inputs={"name": "Ada"})
    assert outputs["vars"] == {"status": "OK", "argv": ["data.json", "Ada"], "venv": True}
    assert outputs["stdOutLineCount"] == 1
    assert _read(storage, outputs["outputFiles"]["csvFile"]) == "a,b\n1,2\n"
    assert set(outputs["outputFiles"]) == {"csvFile"}  # not the virtualenv's files


def test_python_without_main_py_says_so(scripts: Scripts) -> None:
    with pytest.raises(TaskFailed, match=r"main\.py"):
        scripts.run("id: task\ntype: io.kestra.core.tasks.scripts.Python\ninputFiles:\n  other.py: print(1)\n")


def test_python_without_a_virtualenv_runs_the_commands_given(scripts: Scripts) -> None:
    outputs, _ = scripts.run(
        """
id: task
type: io.kestra.core.tasks.scripts.Python
virtualEnv: false
inputFiles:
  main.py: |
    from kestra import Kestra
    Kestra.outputs({"ok": True})
commands:
  - python main.py
""")
    assert outputs["vars"] == {"ok": True}


@pytest.mark.slow
def test_python_requirements_are_importable_from_the_working_directory_venv(scripts: Scripts) -> None:
    outputs, _ = scripts.run(
        """
id: task
type: io.kestra.core.tasks.scripts.Python
requirements:
  - six==1.16.0
inputFiles:
  main.py: |
    import six, sys
    from kestra import Kestra
    Kestra.outputs({"six": six.__version__, "venv": sys.prefix != sys.base_prefix})
""")
    assert outputs["vars"] == {"six": "1.16.0", "venv": True}


def test_tasks_started_together_each_run_their_command_exactly_once(scripts: Scripts) -> None:
    """As a worker runs them: four at a time in one namespace's sandbox. The fork server hands each command to a
    child forked ahead, which closes its end once it has the request; that must not count as a failed hand-over
    and fork the command a second time (a few runs of 240 printed everything twice)."""
    source = ("id: task\ntype: io.kestra.core.tasks.scripts.Bash\nexitOnFailed: false\n"
              "commands:\n  - unknown-command-xyz\n  - echo 1\n")

    async def one(n: int) -> tuple[int, int]:
        ctx = scripts.context(task_id=f"t{n}")
        try:
            outputs = await scripts.harness.task(source).run(ctx)
        finally:
            ctx.flush()
        return outputs["stdOutLineCount"], outputs["stdErrLineCount"]

    async def rounds() -> list[tuple[int, int]]:
        counts: list[tuple[int, int]] = []
        for n in range(60):
            counts += await asyncio.gather(*(one(n * 4 + k) for k in range(4)))
        return counts

    assert asyncio.run(rounds()) == [(1, 1)] * 240
