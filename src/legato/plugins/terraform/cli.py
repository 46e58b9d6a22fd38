"""io.kestra.plugin.terraform.cli.TerraformCLI: terraform commands run as a script task, as Kestra runs them
(`/bin/sh -c`, beforeCommands then commands, failFast, warnings on stderr). The state lives in the working
directory: inside a WorkingDirectory the next tasks see it; `outputFiles: [terraform.tfstate]` stores it, and
a remote backend keeps it elsewhere. `terraform output -json` printed in Kestra's `::{"outputs": …}::` protocol
gives the task's vars.

terraform (or tofu) comes from the worker's PATH under the process runner, from the image (hashicorp/terraform
by default) in a container."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from legato.model.task import TASKS
from legato.plugins.scripts.base import CommandLines


@TASKS.register
class TerraformCLI(CommandLines):
    """Run terraform init, plan, apply or any terraform command; `beforeCommands` typically holds `terraform init`."""

    TYPE: ClassVar[str] = "io.kestra.plugin.terraform.cli.TerraformCLI"
    ALIASES: ClassVar[tuple[str, ...]] = ()
    DEFAULT_IMAGE: ClassVar[str] = "hashicorp/terraform"
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: terraform
type: io.kestra.plugin.terraform.cli.TerraformCLI
inputFiles:
  main.tf: |
    resource "terraform_data" "release" {
      input = "v1"
    }
    output "release" {
      value = terraform_data.release.output
    }
beforeCommands:
  - terraform init
commands:
  - terraform apply -auto-approve
  - |
    terraform output -json > outputs.json
    python3 -c "import json; print('::' + json.dumps({'outputs': {k: v['value'] for k, v in json.load(open('outputs.json')).items()}}) + '::')"
outputFiles:
  - terraform.tfstate
""",
        """\
id: plan
type: io.kestra.plugin.terraform.cli.TerraformCLI
namespaceFiles:
  enabled: true
env:
  AWS_ACCESS_KEY_ID: "{{ secret('AWS_ACCESS_KEY_ID') }}"
  AWS_SECRET_ACCESS_KEY: "{{ secret('AWS_SECRET_ACCESS_KEY') }}"
beforeCommands:
  - terraform init
commands:
  - terraform plan -no-color
""",
    )

    failFast: bool = Field(default=True, description="Stop at the first command that fails, so a failing init, plan or apply fails the task.")
