"""`legato server local --flows examples/` deploys the example apps with the flows: an app file is created when
missing and left alone afterwards (a changed copy is kept and said)."""

from __future__ import annotations

from pathlib import Path

from legato.cli import example_flows
from legato.clock import utcnow
from legato.store import open_store

ROOT = Path(__file__).resolve().parents[2]


def test_examples_deploy_their_apps(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'legato.db'}")
    store.migrate()
    said: list[str] = []
    warned: list[str] = []
    example_flows.deploy_changed(store, ROOT / "examples", now=utcnow(), say=said.append, warn=warned.append)
    assert warned == []
    app = store.get_app("access_request")
    assert app is not None and app.namespace == "tutorial" and app.access == "PUBLIC"
    assert store.get_flow("tutorial", "access_request") is not None
    assert "deployed app access_request (tutorial.access_request)" in said
    flows = [line for line in said if line.startswith("deployed") and " app " not in line]
    assert flows == [f"deployed {len(store.list_flows())} example flows from {ROOT / 'examples'}"]  # one line, not 40

    edited = app.source.replace("displayName: Request access", "displayName: Ask for access")
    store.save_app(type(app)(**{**app.__dict__, "source": edited}))
    said.clear()
    example_flows.deploy_changed(store, ROOT / "examples", now=utcnow(), say=said.append, warn=warned.append)
    assert any(line.startswith("kept app access_request: it differs from") for line in said), said
    kept = store.get_app("access_request")
    assert kept is not None and kept.source == edited
    store.close()
