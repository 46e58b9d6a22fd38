"""Legato's Ansible callback (named kestra_logger, as the one Kestra's AnsibleCLI configures, so that an
`ansibleConfig` written for Kestra enables it): it logs each task's result per host, one line each, and
publishes the run's results as task outputs with Kestra's stdout protocol:

    ::{"outputs": {"outputs": [...per-host results...], "playbooks": [{"plays": [{"name", "tasks": [...]}]}]}}::

Several ansible-playbook commands in one task add up: the results so far are kept in the file named by
LEGATO_ANSIBLE_STATE and each run prints the running total. With KESTRA_OUTPUTS_MODE=explicit only what the
playbook declares with the `kestra` module becomes `outputs` (a map), and host results are reduced to
{"changed": ...} in outputs and logs."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from typing import Any

from ansible import constants
from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
    name: kestra_logger
    type: aggregate
    short_description: task outputs and per-host log lines for Legato
    description:
        - Publishes the per-host results of a playbook run as Legato (Kestra-compatible) task outputs.
"""

OUTPUT_ACTIONS = frozenset({"kestra", "ansible.legacy.kestra"})


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


class CallbackModule(CallbackBase):  # type: ignore[misc]
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "kestra_logger"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self) -> None:
        super().__init__()
        self.explicit = os.environ.get("KESTRA_OUTPUTS_MODE", "all").strip().lower() == "explicit"
        self.state_path = os.environ.get("LEGATO_ANSIBLE_STATE")
        self.results: list[dict[str, Any]] = []
        self.declared: dict[str, Any] = {}
        self.playbooks: list[dict[str, Any]] = []
        self.load()
        self.playbook: dict[str, Any] = {"plays": []}
        self.playbooks.append(self.playbook)
        self.play: dict[str, Any] | None = None
        self.task: dict[str, Any] | None = None
        self.unnamed = 0
        log_path = getattr(constants, "DEFAULT_LOG_PATH", None)
        self.log_path = os.path.abspath(os.path.expanduser(str(log_path))) if log_path else None

    def say(self, line: str) -> None:
        """One log line: on stdout (the task's log) and in Ansible's log file, when one is configured."""
        print(line, flush=True)
        if self.log_path:
            with open(self.log_path, "a", encoding="utf-8") as log:
                log.write(f"{_now()} {line}\n")

    def load(self) -> None:
        if not self.state_path or not os.path.exists(self.state_path):
            return
        with open(self.state_path, encoding="utf-8") as handle:
            saved = json.load(handle)
        self.results = list(saved.get("outputs_all", []))
        self.declared = dict(saved.get("outputs_explicit", {}))
        self.playbooks = list(saved.get("playbooks", []))

    def v2_playbook_on_play_start(self, play: Any) -> None:
        name = play.get_name().strip() or f"play_{len(self.playbook['plays']) + 1}"
        self.play = {"name": name, "tasks": []}
        self.playbook["plays"].append(self.play)
        self.say(f"PLAY [{name}]")

    def v2_playbook_on_task_start(self, task: Any, is_conditional: bool) -> None:
        if self.play is None:
            self.v2_playbook_on_play_start(task.get_play())
        name = task.get_name().strip()
        if not name:
            self.unnamed += 1
            name = task.action or f"unnamed_task_{self.unnamed}"
        assert self.play is not None
        self.task = {"uid": f"{self.play['name']} | {name}", "name": name, "startedAt": _now(), "endedAt": None,
                     "hosts": []}
        self.play["tasks"].append(self.task)
        self.say(f"TASK [{name}]")

    def v2_playbook_on_handler_task_start(self, task: Any) -> None:
        self.v2_playbook_on_task_start(task, False)

    def host_result(self, result: Any, status: str) -> None:
        payload = dict(result._result)
        payload.pop("_ansible_no_log", None)
        if result._task.action in OUTPUT_ACTIONS and status == "ok" and isinstance(payload.get("outputs"), dict):
            self.declared.update(payload["outputs"])
        shown: Any = {"changed": bool(payload.get("changed"))} if self.explicit else payload
        if not self.explicit:
            self.results.append(payload)
        host = result._host.get_name()
        if self.task is not None:
            self.task["hosts"].append({"host": host, "status": status, "result": shown})
            self.task["endedAt"] = _now()
        label = "changed" if status == "ok" and payload.get("changed") else status
        detail = ""
        if status in ("failed", "unreachable"):
            detail = " => " + str(payload.get("msg") or payload.get("stderr") or "")
        elif not self.explicit and "msg" in payload and result._task.action in ("debug", "ansible.builtin.debug"):
            detail = " => " + json.dumps(payload["msg"], default=str)
        self.say(f"{label}: [{host}]{detail}")

    def v2_runner_on_ok(self, result: Any) -> None:
        self.host_result(result, "ok")

    def v2_runner_on_failed(self, result: Any, ignore_errors: bool = False) -> None:
        self.host_result(result, "failed")

    def v2_runner_on_skipped(self, result: Any) -> None:
        self.host_result(result, "skipped")

    def v2_runner_on_unreachable(self, result: Any) -> None:
        self.host_result(result, "unreachable")

    def v2_playbook_on_stats(self, stats: Any) -> None:
        summary = {host: stats.summarize(host) for host in sorted(stats.processed)}
        for host, counts in summary.items():
            self.say(f"{host}: " + " ".join(f"{k}={v}" for k, v in counts.items()))
        if self.state_path:
            with open(self.state_path, "w", encoding="utf-8") as handle:
                json.dump({"outputs_all": self.results, "outputs_explicit": self.declared,
                           "playbooks": self.playbooks}, handle, default=str)
        outputs = self.declared if self.explicit else self.results
        print("::" + json.dumps({"outputs": {"outputs": outputs, "playbooks": self.playbooks}}, default=str) + "::",
              flush=True)
