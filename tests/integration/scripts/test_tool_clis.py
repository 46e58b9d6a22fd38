"""sqlmesh.cli.SQLMeshCLI, modal.cli.ModalCLI and spark.SparkCLI through the process runner. None of the three tools
installs here, so each run ships a stand-in of the tool (a shell script that records its arguments and the
variables it sees) to the working directory and puts it first on PATH in `beforeCommands`, as a flow installing
its tool would: what is checked is the task's own work (env, files, commands, outputs); a missing tool warns."""

from __future__ import annotations

import json

import pytest
from tests.integration.scripts.conftest import Scripts

STAND_IN = """\
#!/bin/sh
echo "$(basename "$0") $*" >> calls.txt
echo '::{"outputs":{"token":"'"${MODAL_TOKEN_ID:-none}"'"}}::'
"""


@pytest.mark.parametrize(("kind", "tool", "line"), [
    ("io.kestra.plugin.sqlmesh.cli.SQLMeshCLI", "sqlmesh", "sqlmesh plan --auto-apply"),
    ("io.kestra.plugin.modal.cli.ModalCLI", "modal", "modal run gpu.py"),
    ("io.kestra.plugin.spark.SparkCLI", "spark-submit", "spark-submit --master local[2] pi.py"),
])
def test_tool_commands_run_with_env_and_files(scripts: Scripts, kind: str, tool: str, line: str) -> None:
    outputs, _ = scripts.run(f"""
id: task
type: {kind}
env:
  MODAL_TOKEN_ID: "{{{{ inputs.token }}}}"
inputFiles:
  bin/{tool}: {json.dumps(STAND_IN)}
beforeCommands:
  - chmod +x bin/{tool}
  - export PATH="$PWD/bin:$PATH"
commands:
  - {line}
outputFiles:
  - calls.txt
""", inputs={"token": "tok-1"})
    assert outputs["exitCode"] == 0 and outputs["vars"] == {"token": "tok-1"}
    assert scripts.storage.get(outputs["outputFiles"]["calls.txt"]).decode().splitlines() == [line]


def test_a_missing_tool_warns_and_fails_with_the_shell_error(scripts: Scripts, monkeypatch: pytest.MonkeyPatch) -> None:
    from legato.plugins.context import TaskFailed

    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    ctx = scripts.context()
    with pytest.raises(TaskFailed, match="exit code 127"):
        scripts.run("id: task\ntype: io.kestra.plugin.sqlmesh.cli.SQLMeshCLI\ncommands:\n  - sqlmesh info\n", ctx)
    assert any(level == "WARN" and "sqlmesh is not on the worker's PATH" in m for level, m in scripts.messages(ctx))
