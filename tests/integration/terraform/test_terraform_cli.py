"""io.kestra.plugin.terraform.cli.TerraformCLI. Neither terraform nor tofu is a Debian or PyPI package, so the
task's behaviour is checked with a test double of the command (fake_terraform.py, shipped to the working
directory as bin/terraform): the commands it is given, the environment, the state kept in a WorkingDirectory's
folder across tasks, stored with outputFiles, and `terraform output -json` turned into outputs. Where a real
terraform is on PATH, one more test applies a configuration with it (built-in provider only: no download)."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import pytest
from tests.integration.fs.conftest import Tasks

from legato.plugins.context import TaskFailed

FAKE = (Path(__file__).parent / "fake_terraform.py").read_text()
OUTPUTS = ("terraform output -json > out.json && python3 -c \"import json; print('::' + json.dumps({'outputs': "
           "{k: v['value'] for k, v in json.load(open('out.json')).items()}}) + '::')\"")


def _task(commands: list[str], *, main_tf: str | None = None, extra: str = "") -> str:
    files = {"bin/terraform": FAKE} | ({"main.tf": main_tf} if main_tf else {})
    return (
        "id: terraform\ntype: io.kestra.plugin.terraform.cli.TerraformCLI\n"
        f"inputFiles: {json.dumps(files)}\n"
        "beforeCommands:\n  - chmod +x bin/terraform\n  - export PATH=\"$PWD/bin:$PATH\"\n"
        f"commands: {json.dumps(commands)}\n{extra}"
    )


def test_init_apply_and_outputs_with_state_kept_in_the_working_directory(tasks: Tasks) -> None:
    main_tf = 'output "greeting" { value = "hello ${var.name}" }\n'
    work = Path(tempfile.mkdtemp(prefix="legato-tf-"))
    try:
        first = tasks.run(_task(["terraform init", "terraform apply -auto-approve", OUTPUTS], main_tf=main_tf,
                                extra="env:\n  TF_VAR_name: \"{{ 'world' | upper }}\"\n"), working_dir=work)
        assert first["vars"] == {"greeting": "hello WORLD"}
        assert first["exitCode"] == 0
        # the next task of the WorkingDirectory finds the state and the initialised folder
        second = tasks.run(_task(["terraform plan", "terraform apply -auto-approve", OUTPUTS],
                                 extra="env:\n  TF_VAR_name: moon\noutputFiles: [terraform.tfstate]\n"),
                           working_dir=work)
        assert second["vars"] == {"greeting": "hello moon"}
        state = json.loads(tasks.storage.get(second["outputFiles"]["terraform.tfstate"]))
        assert state["serial"] == 2 and state["outputs"]["greeting"]["value"] == "hello moon"
        assert "Plan: 1 to change." in tasks.messages()
        calls = [json.loads(line) for line in (work / "calls.log").read_text().splitlines()]
        assert [c["args"] for c in calls] == [["init"], ["apply", "-auto-approve"], ["output", "-json"],
                                              ["plan"], ["apply", "-auto-approve"], ["output", "-json"]]
        assert calls[0]["vars"] == {"TF_VAR_name": "WORLD"} and calls[3]["vars"] == {"TF_VAR_name": "moon"}
    finally:
        shutil.rmtree(work, ignore_errors=True)


def test_a_failing_command_stops_the_task(tasks: Tasks) -> None:
    with pytest.raises(TaskFailed, match="run terraform init"):
        tasks.run(_task(["terraform apply -auto-approve", "echo never"], main_tf='output "a" { value = "b" }\n'))
    assert "never" not in tasks.messages()


def test_failfast_false_runs_every_command_and_the_last_decides(tasks: Tasks) -> None:
    outputs = tasks.run(_task(["terraform apply -auto-approve", "echo after"], main_tf='output "a" { value = "b" }\n',
                              extra="failFast: false\n"))
    assert outputs["exitCode"] == 0 and "after" in tasks.messages()


@pytest.mark.skipif(shutil.which("terraform") is None, reason="no terraform on PATH (it is not a Debian or PyPI package)")
def test_a_real_terraform_applies_a_configuration(tasks: Tasks) -> None:
    outputs = tasks.run("""\
id: terraform
type: io.kestra.plugin.terraform.cli.TerraformCLI
env:
  CHECKPOINT_DISABLE: "1"
  TF_IN_AUTOMATION: "1"
inputFiles:
  main.tf: |
    variable "release" {
      type = string
    }
    resource "terraform_data" "release" {
      input = var.release
    }
    output "release" {
      value = terraform_data.release.output
    }
beforeCommands:
  - terraform init -no-color -input=false
commands:
  - terraform apply -auto-approve -no-color -input=false -var release=v42
  - OUTPUTS_LINE
outputFiles: [terraform.tfstate]
""".replace("OUTPUTS_LINE", json.dumps(OUTPUTS)))
    assert outputs["vars"] == {"release": "v42"}
    state = json.loads(tasks.storage.get(outputs["outputFiles"]["terraform.tfstate"]))
    assert state["outputs"]["release"]["value"] == "v42"
    assert any("Apply complete! Resources: 1 added" in m for m in tasks.messages())
