"""`legato flow run` as a user types it, in a real process: each task's log lines come before the line of its final
state; a flow that pauses is shown as it is once --timeout passes (JSON, exit 2, no traceback), and --flows DIR
runs even when an unrelated file of DIR is not a valid flow. (`flow run` runs on a throw-away store of its own: it
has no --server.)"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

LEGATO = str(Path(sys.executable).parent / "legato")

PAUSES = """\
id: approval
namespace: cli.run
tasks:
  - id: before
    type: io.kestra.plugin.core.log.Log
    message: waiting for a person
  - id: wait
    type: io.kestra.plugin.core.flow.Pause
  - id: after
    type: io.kestra.plugin.core.log.Log
    message: approved
"""

PARENT = """\
id: parent
namespace: cli.run
tasks:
  - id: call
    type: io.kestra.plugin.core.flow.Subflow
    namespace: cli.run
    flowId: child
outputs:
  - id: got
    type: STRING
    value: "{{ outputs.call.outputs.said }}"
"""

CHILD = """\
id: child
namespace: cli.run
tasks:
  - id: say
    type: io.kestra.plugin.core.debug.Return
    format: hello from the child
outputs:
  - id: said
    type: STRING
    value: "{{ outputs.say.value }}"
"""


CHATTY = """\
id: chatty
namespace: cli.run
tasks:
""" + "".join(f"""\
  - id: step{i}
    type: io.kestra.plugin.core.log.Log
    message: line of step{i}
""" for i in range(1, 7))


def _legato(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([LEGATO, *args], capture_output=True, text=True, timeout=120, check=False)


def test_a_flow_that_pauses_is_shown_paused_after_the_timeout(tmp_path: Path) -> None:
    path = tmp_path / "approval.yaml"
    path.write_text(PAUSES)
    done = _legato("flow", "run", str(path), "--output", "json", "--timeout", "3")
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert "is still PAUSED after 3 s" in done.stderr
    body = json.loads(done.stdout)
    assert body["state"]["current"] == "PAUSED"
    assert {r["taskId"]: r["state"]["current"] for r in body["taskRunList"]} == {"before": "SUCCESS", "wait": "PAUSED"}


def test_flows_dir_with_an_unrelated_invalid_file_still_runs(tmp_path: Path) -> None:
    flows = tmp_path / "flows"
    flows.mkdir()
    (flows / "parent.yaml").write_text(PARENT)
    (flows / "child.yaml").write_text(CHILD)
    (flows / "broken.yaml").write_text("id: broken\nnamespace: cli.run\ntasks:\n  - id: x\n    type: nope.Nope\n")
    done = _legato("flow", "run", str(flows / "parent.yaml"), "--flows", str(flows), "--output", "json")
    assert done.returncode == 0, done.stderr
    assert "warning:" in done.stderr and "broken.yaml skipped" in done.stderr and "nope.Nope" in done.stderr
    assert json.loads(done.stdout)["outputs"] == {"got": "hello from the child"}


def test_the_log_lines_of_a_task_come_before_its_final_state(tmp_path: Path) -> None:
    """Issue 21: `flow run` printed `step1: SUCCESS` and then step1's log line (states before logs, per poll)."""
    path = tmp_path / "chatty.yaml"
    path.write_text(CHATTY)
    done = _legato("flow", "run", str(path))
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    for i in range(1, 7):
        logged = next(n for n, line in enumerate(lines) if line.endswith(f"step{i} #1: line of step{i}"))
        ended = lines.index(f"  step{i}: SUCCESS")
        assert logged < ended, "\n".join(lines)
    assert lines[-1].startswith("Execution ") and lines[-1].endswith(" SUCCESS"), lines[-1]
