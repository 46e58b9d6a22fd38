"""Kestra-style flows with script tasks, run unchanged by `legato flow run`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

PASS_DATA = """\
id: pass_data_between_tasks
namespace: company.team

inputs:
  - id: name
    type: STRING
    defaults: Kestra

tasks:
  - id: python_outputs
    type: io.kestra.plugin.scripts.python.Script
    containerImage: ghcr.io/kestra-io/pydata:latest
    outputFiles:
      - greeting.txt
    script: |
      from kestra import Kestra
      with open("greeting.txt", "w") as f:
          f.write("hello {{ inputs.name }}")
      Kestra.outputs({"mykey": "from Python", "count": 2})

  - id: shell_reads
    type: io.kestra.plugin.scripts.shell.Commands
    taskRunner:
      type: io.kestra.plugin.core.runner.Process
    inputFiles:
      greeting.txt: "{{ outputs.python_outputs.outputFiles['greeting.txt'] }}"
    env:
      FROM_PYTHON: "{{ outputs.python_outputs.vars.mykey }}"
    commands:
      - echo "$(cat greeting.txt) / $FROM_PYTHON"
      - echo '::{"outputs":{"length":'$(wc -c < greeting.txt)'}}::'

  - id: node_sums
    type: io.kestra.plugin.scripts.node.Script
    script: |
      const Kestra = require('@kestra-io/libs');
      Kestra.outputs({ total: {{ outputs.python_outputs.vars.count }} + {{ outputs.shell_reads.vars.length }} });

  - id: report
    type: io.kestra.plugin.core.log.Log
    message: "{{ outputs.python_outputs.vars.mykey }} | {{ outputs.shell_reads.vars.length }} | {{ outputs.node_sums.vars.total }}"
"""


def test_pass_data_between_tasks_runs_unchanged(tmp_path: Path) -> None:
    flow = tmp_path / "pass_data.yaml"
    flow.write_text(PASS_DATA)
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEGATO_")}
    env["LEGATO_STORAGE_ROOT"] = str(tmp_path / "storage")
    legato = Path(sys.executable).parent / "legato"
    done = subprocess.run([str(legato), "flow", "run", str(flow)], capture_output=True, text=True, env=env,
                          cwd=tmp_path, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "hello Kestra / from Python" in done.stdout
    assert "from Python | 12 | 14" in done.stdout
    assert "SUCCESS" in done.stdout.splitlines()[-1]
    stored = list((tmp_path / "storage").rglob("greeting.txt"))
    assert len(stored) == 1 and stored[0].read_text() == "hello Kestra"
    assert "company/team/pass_data_between_tasks/executions" in stored[0].as_posix()
