"""examples/argocd.yaml end to end with `legato flow run`: the `argocd` test double (fake_argocd.py) first on the
worker's PATH, the server and token as secrets; the application goes from OutOfSync to Synced and Healthy, and the
flow's Assert passes."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from tests.flow_cli import run_flow
from tests.integration.argocd.test_argocd_apps import HEAD, TOKEN, application

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "argocd.yaml"


def test_the_example_syncs_and_checks_the_application(tmp_path: Path) -> None:
    folder = tmp_path / "bin"
    folder.mkdir()
    shutil.copy(Path(__file__).with_name("fake_argocd.py"), folder / "argocd")
    (folder / "argocd").chmod(0o755)
    (folder / "apps.json").write_text(json.dumps({"token": TOKEN, "head": HEAD, "apps": {"shop": application("shop")}}))
    env = {"PATH": f"{folder}:{os.environ['PATH']}", "LEGATO_UNSAFE_PROCESS_RUNNER": "true"}
    done = run_flow(EXAMPLE.read_text(), tmp_path, env=env, inputs={"application": "shop"},
                    secrets={"ARGOCD_SERVER": "https://argocd.example.com", "ARGOCD_TOKEN": TOKEN})
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert f"shop: OutOfSync -> Synced at {HEAD}" in done.stdout
    state = json.loads((folder / "apps.json").read_text())
    assert [r["name"] for r in state["apps"]["shop"]["status"]["resources"]] == ["shop"]  # pruned
