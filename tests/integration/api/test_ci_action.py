"""The repository's composite GitHub Action (`action.yml`) and pre-commit hooks (`.pre-commit-hooks.yaml`), their
shell steps run as GitHub and pre-commit would run them (bash, GITHUB_OUTPUT files, the step conditions) against
a live server: a pull request is validated, tested and planned; a push to main is deployed; a failing test stops
the deploy. Also: the inputs of Kestra's validate-action and deploy-action are accepted."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import yaml
from tests.integration.api.conftest import LiveServer

ROOT = Path(__file__).resolve().parents[3]
BIN = str(Path(sys.executable).parent)
KESTRA_DEPLOY_INPUTS = {"namespace", "directory", "server", "user", "password", "delete", "tenant", "resource"}
KESTRA_VALIDATE_INPUTS = {"directory", "resource", "server", "user", "password"}


def _value(expr: str, inputs: dict[str, str], outputs: dict[str, str], github: dict[str, str]) -> str:
    expr = expr.strip()
    for prefix, values in (("inputs.", inputs), ("steps.mode.outputs.", outputs), ("github.event.repository.", github),
                           ("github.", github)):
        if expr.startswith(prefix):
            return values.get(expr[len(prefix):], "")
    raise AssertionError(f"unknown expression {expr}")


def _render(text: str, *context: dict[str, str]) -> str:
    return re.sub(r"\$\{\{(.*?)\}\}", lambda m: _value(m[1], *context), text)  # type: ignore[misc]


def _holds(condition: str, *context: dict[str, str]) -> bool:
    python = re.sub(r"(inputs|steps\.mode\.outputs)\.[\w-]+", lambda m: repr(_value(m[0], *context)), condition)
    return bool(eval(python.replace("&&", " and ").replace("||", " or "), {"__builtins__": {}}))


def run_action(repo: Path, tmp: Path, given: dict[str, str], github: dict[str, str]) -> tuple[int, str, dict[str, str]]:
    """Run the action's shell steps in order (setup and install aside); (exit code of the first failing step or
    0, everything printed, the step outputs)."""
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    inputs = {k: str(v.get("default", "")) for k, v in action["inputs"].items()} | given
    outputs: dict[str, str] = {}
    printed = ""
    for step in action["runs"]["steps"]:
        if "run" not in step or step.get("name") == "Install Legato":
            continue
        if "if" in step and not _holds(step["if"], inputs, outputs, github):
            continue
        out_file, summary = tmp / f"out-{secrets.token_hex(3)}", tmp / "summary.md"
        out_file.write_text("")
        env = {**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}", "GITHUB_OUTPUT": str(out_file),
               "GITHUB_STEP_SUMMARY": str(summary), "GITHUB_ACTION_PATH": str(ROOT)}
        env |= {k: _render(str(v), inputs, outputs, github) for k, v in (step.get("env") or {}).items()}
        script = _render(step["run"], inputs, outputs, github)
        done = subprocess.run(["bash", "-e", "-c", script], cwd=repo, env=env, capture_output=True, text=True,
                              timeout=600)
        printed += done.stdout + done.stderr
        if step.get("id") == "mode":
            outputs |= dict(line.split("=", 1) for line in out_file.read_text().splitlines() if "=" in line)
        if done.returncode != 0:
            return done.returncode, printed, outputs
    return 0, printed, outputs


def _repo(tmp: Path, ns: str, expected: str = "hello") -> Path:
    repo = tmp / "repo"
    (repo / ns / "flows").mkdir(parents=True, exist_ok=True)
    (repo / ns / "tests").mkdir(exist_ok=True)
    (repo / ns / "flows" / "greet.yaml").write_text(
        f"id: greet\nnamespace: {ns}\ntasks:\n  - id: say\n    type: io.kestra.plugin.core.debug.Return\n"
        "    format: hello\n")
    (repo / ns / "tests" / "greet.yaml").write_text(
        f"id: greet_suite\nnamespace: {ns}\nflowId: greet\ntestCases:\n  - id: says\n    assertions:\n"
        f"      - value: \"{{{{ outputs.say.value }}}}\"\n        equalTo: {expected}\n")
    return repo


def test_the_action_accepts_kestras_inputs() -> None:
    inputs = set(yaml.safe_load((ROOT / "action.yml").read_text())["inputs"])
    assert inputs >= KESTRA_DEPLOY_INPUTS | KESTRA_VALIDATE_INPUTS


def test_pull_request_plans_and_push_to_main_deploys(tmp_path: Path, server: LiveServer) -> None:
    ns = f"ci.action{secrets.token_hex(4)}"
    repo = _repo(tmp_path, ns)
    given: dict[str, Any] = {"server": server.url, "namespace": ns, "delete": "true"}
    code, printed, outputs = run_action(repo, tmp_path, given, {"event_name": "pull_request", "ref": "refs/pull/1"})
    assert code == 0, printed
    assert outputs["mode"] == "plan"
    assert "1 passed" in printed and "  + flow greet (created)" in printed
    assert "+++ b/" in (tmp_path / "summary.md").read_text()
    assert httpx.get(f"{server.url}/api/v1/main/flows/{ns}").json() == []  # a plan changes nothing

    code, printed, outputs = run_action(repo, tmp_path, given, {"event_name": "push", "ref": "refs/heads/main",
                                                                "default_branch": "main"})
    assert code == 0, printed
    assert outputs["mode"] == "deploy" and f"deployed namespace {ns}: 2 changes" in printed
    assert [f["id"] for f in httpx.get(f"{server.url}/api/v1/main/flows/{ns}").json()] == ["greet"]

    failing = _repo(tmp_path / "failing", ns, expected="bye")
    code, printed, _ = run_action(failing, tmp_path, given, {"event_name": "push", "ref": "refs/heads/main",
                                                             "default_branch": "main"})
    assert code == 1 and "expected 'hello' to equal 'bye'" in printed
    assert "deployed namespace" not in printed


def test_pre_commit_hooks_pass_a_good_repository_and_stop_a_broken_flow(tmp_path: Path) -> None:
    hooks = {h["id"]: h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    repo = _repo(tmp_path, "ci.hooks")
    (repo / "ci.hooks" / "files").mkdir()
    (repo / "ci.hooks" / "files" / "settings.yaml").write_text("not: a flow\n")  # a namespace file, left alone
    env = {**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}"}

    def run(hook: dict[str, Any]) -> subprocess.CompletedProcess[str]:
        names = sorted(str(p.relative_to(repo)) for p in repo.rglob("*") if p.is_file())
        chosen = [n for n in names if re.search(hook["files"], n) and not re.search(hook.get("exclude", "$^"), n)]
        args = hook["entry"].split() + ([] if hook.get("pass_filenames") is False else chosen)
        return subprocess.run(args, cwd=repo, env=env, capture_output=True, text=True, timeout=300)

    assert run(hooks["legato-validate"]).returncode == 0
    assert run(hooks["legato-test"]).returncode == 0
    (repo / "ci.hooks" / "flows" / "greet.yaml").write_text("id: greet\nnamespace: ci.hooks\ntasks: []\n")
    broken = run(hooks["legato-validate"])
    assert broken.returncode == 1 and "ci.hooks/flows/greet.yaml" in broken.stderr
