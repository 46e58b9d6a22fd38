"""io.kestra.plugin.argocd.apps.Sync and Status. Argo CD's CLI cannot be installed here, so the tasks run a test
double of the `argocd` command (fake_argocd.py, put first on the worker's PATH as `argocd`) that keeps
Applications shaped as `argocd app get -o json` prints them: the command lines the tasks build (connection flags,
the token in ARGOCD_TOKEN and not on the command line, sync options), the outputs read from the JSON answer, and
the CLI's failures."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from tests.integration.fs.conftest import Tasks

from legato.plugins.context import TaskFailed

TOKEN = "argocd-api-token"
HEAD = "723b86e01bea11dcf72316cb172868fcbf05d69e"
CERT = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END CERTIFICATE-----\n"


def application(name: str) -> dict[str, Any]:
    return {
        "metadata": {"name": name, "namespace": "argocd"},
        "spec": {"project": "default", "source": {"repoURL": "https://git.example.com/apps.git", "path": name,
                                                  "targetRevision": "HEAD"},
                 "destination": {"server": "https://kubernetes.default.svc", "namespace": name},
                 "syncPolicy": None},
        "status": {"sync": {"status": "OutOfSync", "revision": "0d1e2f"},
                   "health": {"status": "Progressing"},
                   "conditions": [{"type": "SyncError", "message": "one or more objects failed to apply"}],
                   "resources": [{"kind": "Deployment", "name": name, "status": "OutOfSync"},
                                 {"kind": "ConfigMap", "name": f"{name}-old", "status": "OutOfSync",
                                  "requiresPruning": True}]},
    }


@pytest.fixture
def argocd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder holding the double as `argocd`, first on PATH, with its Applications."""
    folder = tmp_path / "argocd-bin"
    folder.mkdir()
    shutil.copy(Path(__file__).with_name("fake_argocd.py"), folder / "argocd")
    (folder / "argocd").chmod(0o755)
    (folder / "apps.json").write_text(json.dumps({"token": TOKEN, "head": HEAD,
                                                  "apps": {"shop": application("shop")}}))
    monkeypatch.setenv("PATH", f"{folder}:{Path('/usr/bin')}:{Path('/bin')}")
    return folder


def calls(folder: Path) -> list[list[str]]:
    return [json.loads(line)["args"] for line in (folder / "calls.log").read_text().splitlines()]


def task(kind: str, **props: Any) -> str:
    fields = {"server": "https://argocd.example.com", "token": TOKEN, "application": "shop", **props}
    return f"id: {kind.lower()}\ntype: io.kestra.plugin.argocd.apps.{kind}\n" + "".join(
        f"{k}: {json.dumps(v)}\n" for k, v in fields.items())


def test_status_then_sync_with_prune_reads_the_application(tasks: Tasks, argocd: Path) -> None:
    before = tasks.run(task("Status", refresh=True), unisolated=True)
    assert before["syncStatus"] == "OutOfSync" and before["healthStatus"] == "Progressing"
    assert before["conditions"] == [{"type": "SyncError", "message": "one or more objects failed to apply"}]
    assert before["app"]["spec"]["syncPolicy"] is None  # what a flow checks for auto-sync
    assert before["exitCode"] == 0 and json.loads(before["rawOutput"])["metadata"]["name"] == "shop"

    synced = tasks.run(task("Sync", prune=True, revision="HEAD"), unisolated=True)
    assert synced["syncStatus"] == "Synced" and synced["healthStatus"] == "Healthy"
    assert synced["revision"] == HEAD
    assert [r["name"] for r in synced["resources"]] == ["shop"]  # the resource gone from Git was pruned
    assert "Argo CD application shop: sync Synced, health Healthy" in tasks.messages()

    get, sync = calls(argocd)
    assert get == ["app", "get", "shop", "--server", "argocd.example.com", "--auth-token", TOKEN, "--refresh",
                   "--output", "json"]
    assert sync == ["app", "sync", "shop", "--server", "argocd.example.com", "--auth-token", TOKEN,
                    "--revision", "HEAD", "--prune", "--output", "json"]
    # the token came through ARGOCD_TOKEN: the script's text names the variable, not the token
    assert all(json.loads(line)["tokenInEnv"] for line in (argocd / "calls.log").read_text().splitlines())


def test_sync_options_tls_flags_and_timeout(tasks: Tasks, argocd: Path) -> None:
    out = tasks.run(task("Sync", dryRun=True, force="{{ 1 == 1 }}", insecure=True, grpcWeb=True, plaintext=True,
                         timeout="PT2M", serverCert=CERT, server="http://argocd.internal:8080/"), unisolated=True)
    assert out["syncStatus"] == "OutOfSync"  # a dry run changes nothing
    assert calls(argocd)[-1] == ["app", "sync", "shop", "--server", "argocd.internal:8080", "--auth-token", TOKEN,
                                 "--insecure", "--plaintext", "--grpc-web", "--server-crt", "argocd-server.crt",
                                 "--dry-run", "--force", "--timeout", "120", "--output", "json"]


def test_cli_failures_fail_the_task_with_its_message(tasks: Tasks, argocd: Path) -> None:
    with pytest.raises(TaskFailed, match="Unauthenticated"):
        tasks.run(task("Status", token="wrong"), unisolated=True)
    with pytest.raises(TaskFailed, match=r'applications\.argoproj\.io "missing" not found'):
        tasks.run(task("Sync", application="missing"), unisolated=True)


def test_kestra_blueprint_shape_validates_with_plugin_defaults() -> None:
    from legato.flows.parse import parse_flow

    flow = parse_flow("""\
id: argocd_app_management
namespace: company.team
tasks:
  - id: sync
    type: io.kestra.plugin.argocd.apps.Sync
    application: my-argocd-app
    prune: "{{ true }}"
    revision: HEAD
  - id: status
    type: io.kestra.plugin.argocd.apps.Status
    application: my-argocd-app
pluginDefaults:
  - type: io.kestra.plugin.argocd.apps.Sync
    values:
      server: "{{ secret('ARGOCD_SERVER') }}"
      token: "{{ secret('ARGOCD_TOKEN') }}"
  - type: io.kestra.plugin.argocd.apps.Status
    values:
      server: "{{ secret('ARGOCD_SERVER') }}"
      token: "{{ secret('ARGOCD_TOKEN') }}"
""")
    assert [t.id for t in flow.tasks] == ["sync", "status"]
