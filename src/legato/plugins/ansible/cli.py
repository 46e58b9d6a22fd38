"""io.kestra.plugin.ansible.cli.AnsibleCLI: ansible / ansible-playbook commands run as a script task, with an
ansible.cfg that enables Legato's callback (named kestra_logger, as Kestra's) and the `kestra` module. The
default configuration is Kestra's but for its stdout callback: ansible.builtin.null needs the community.general
collection, which ansible-core alone lacks, so Legato's own silent `legato_null` takes its place.

The callback logs one line per task and host and publishes Kestra's outputs: `vars.outputs` (every per-host
result, or with outputsMode EXPLICIT the map the playbook declares with the `kestra` module) and
`vars.playbooks` (plays → tasks → per-host status and result, with start and end times). Several
ansible-playbook commands add their results up."""

from __future__ import annotations

import sys
from importlib import resources
from importlib.util import find_spec
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import Field

from legato.model.task import TASKS
from legato.plugins.context import RunContext
from legato.plugins.runnable import Expression, render_as
from legato.plugins.scripts import execution
from legato.plugins.scripts.base import CommandLines, Tooling
from legato.plugins.scripts.templates import RunTemplates
from legato.runners.base import Runner

CONFIG = "ansible.cfg"
CALLBACK = "callback_plugins/kestra_logger.py"
QUIET = "callback_plugins/legato_null.py"
MODULE = "library/kestra.py"
STATE = ".legato-ansible-outputs.json"  # the results of the commands run so far (see the callback)
DEFAULT_CONFIG = """\
[defaults]
log_path          = {{ workingDir }}/log
callback_plugins  = ./callback_plugins
callbacks_enabled = kestra_logger
stdout_callback   = legato_null
result_format     = json
pretty_results    = true
library           = ./library
"""


def _resource(name: str) -> str:
    return resources.files("legato.plugins.ansible").joinpath("resources", name).read_text(encoding="utf-8")


@TASKS.register
class AnsibleCLI(CommandLines):
    """Run ansible-playbook (or any ansible command) on a playbook and inventory given as inputFiles or namespace
    files. A `requirements.yml` in the working directory is installed with ansible-galaxy first; a
    `requirements.txt` with pip, in container runners (under the process runner, install Python packages
    into the worker's environment instead)."""

    TYPE: ClassVar[str] = "io.kestra.plugin.ansible.cli.AnsibleCLI"
    ALIASES: ClassVar[tuple[str, ...]] = ()
    DEFAULT_IMAGE: ClassVar[str] = "cytopia/ansible:latest-tools"
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: ansible
type: io.kestra.plugin.ansible.cli.AnsibleCLI
inputFiles:
  inventory.ini: |
    localhost ansible_connection=local
  playbook.yml: |
    - hosts: localhost
      tasks:
        - name: Say hello
          debug:
            msg: "Hello, World!"
commands:
  - ansible-playbook -i inventory.ini playbook.yml
""",
        """\
id: explicit_outputs
type: io.kestra.plugin.ansible.cli.AnsibleCLI
outputsMode: EXPLICIT
inputFiles:
  playbook.yml: |
    - hosts: localhost
      tasks:
        - kestra:
            outputs:
              deployed: true
commands:
  - ansible-playbook -i localhost, -c local playbook.yml
""",
    )

    interpreter: list[str] = Field(default_factory=lambda: ["/bin/bash", "-c"], min_length=1,
                                   description="The program that runs the command lines (bash, as Kestra).")
    warningOnStdErr: bool = Field(default=False, description="End in WARNING when a command wrote to stderr (off: Ansible warns on stderr routinely).")
    ansibleConfig: str = Field(default=DEFAULT_CONFIG, description="The ansible.cfg written to the working directory (rendered; `{{ workingDir }}` is the working directory). The default enables the outputs callback and the `kestra` module; keep its callback_plugins, callbacks_enabled and library lines in your own. Not written when inputFiles has an ansible.cfg.")
    outputsMode: Literal["ALL", "EXPLICIT"] | Expression = Field(default="ALL", description="ALL: vars.outputs lists every per-host result. EXPLICIT: vars.outputs is the map the playbook declares with the `kestra` module, and host results are reduced to {changed} in outputs and logs.")
    outputLogFile: bool | Expression = Field(default=False, description="Also store Ansible's log file: outputFiles.log.")
    autoInstallPythonRequirements: bool | Expression = Field(default=True, description="pip install -r requirements.txt first when the file is there (container runners only).")
    autoInstallGalaxyRequirements: bool | Expression = Field(default=True, description="ansible-galaxy install -r requirements.yml first when the file is there.")

    def main_lines(self, ctx: RunContext, templates: RunTemplates, workdir: Path) -> tuple[list[str], set[str]]:
        written: set[str] = set()
        staged = workdir / CONFIG
        if staged.exists():
            ctx.logger.warn("Found an existing ansible.cfg file. Ignoring creation of a new ansible.cfg file.")
        else:
            staged.write_text(templates.text(self.ansibleConfig), encoding="utf-8")
            written.add(CONFIG)
        for relative, name in ((CALLBACK, "kestra_logger.py"), (QUIET, "legato_null.py"), (MODULE, "kestra.py")):
            target = workdir / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(_resource(name), encoding="utf-8")
            written.add(relative)
        (workdir / STATE).unlink(missing_ok=True)
        lines = []
        if render_as(ctx, self.autoInstallGalaxyRequirements, bool, "autoInstallGalaxyRequirements"):
            lines.append("[ ! -f requirements.yml ] || ansible-galaxy install -r requirements.yml")
        lines += templates.commands(self.commands, "commands")
        return lines, written

    async def tooling(self, ctx: RunContext, runner: Runner, workdir: Path) -> Tooling:
        visible = runner.visible_workdir(workdir)
        env = {"KESTRA_OUTPUTS_MODE": self.mode(ctx).lower(), "LEGATO_ANSIBLE_STATE": f"{visible}/{STATE}",
               "ANSIBLE_FORCE_COLOR": "0", "PYTHONUNBUFFERED": "1"}
        if not any(k in (self.env or {}) for k in ("LANG", "LC_ALL")):
            env["LC_ALL"] = env["LANG"] = "C.UTF-8"  # Ansible refuses to start in a non-UTF-8 locale
        before: list[str] = []
        pip = render_as(ctx, self.autoInstallPythonRequirements, bool, "autoInstallPythonRequirements")
        if runner.name in ("docker", "kubernetes"):
            if pip:
                before.append("[ ! -f requirements.txt ] || pip install --no-cache-dir -r requirements.txt")
            return Tooling(env=env, before=before)
        if pip and (workdir / "requirements.txt").exists():
            ctx.logger.warn("requirements.txt is installed only in container runners; under the "
                            f"{runner.name} runner the worker's Python environment must already have those packages")
        # ansible-core installed with Legato (the ansible extra): its commands live next to this interpreter
        path = [Path(sys.executable).parent] if find_spec("ansible") is not None else []
        return Tooling(env=env, path=path, before=before)

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        task = self
        if render_as(ctx, self.outputLogFile, bool, "outputLogFile"):
            patterns = self.outputFiles if isinstance(self.outputFiles, list) else \
                render_as(ctx, self.outputFiles, list[str], "outputFiles") if self.outputFiles else []
            task = self.model_copy(update={"outputFiles": [*patterns, "log"]})
        outputs = await execution.execute(task, ctx)
        outputs["vars"] = {"outputs": {} if self.mode(ctx) == "EXPLICIT" else [], "playbooks": [], **outputs["vars"]}
        outputs["playbooks"] = outputs["vars"]["playbooks"]
        return outputs

    def mode(self, ctx: RunContext) -> str:
        return str(render_as(ctx, self.outputsMode, str, "outputsMode")).strip().upper()

