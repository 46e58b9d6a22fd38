"""The flows `legato server local --flows DIR` deploys at start: a file whose source is already stored (it was
deployed before and has not changed since) is left alone, so that a restart never overwrites what was edited in
the UI meanwhile; only new files and changed files are deployed, and each skip that matters is said. A few
deployed flows are named; more (the first start on a fresh data directory) are counted in one line.
Apps (a file whose `type` is io.kestra.plugin.ee.apps.Execution) are created when missing; one already stored is
left as it is (an app keeps no revisions to tell an edit in the UI from an older file)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from legato.apps.model import APP_TYPES
from legato.flows import parse_flow
from legato.model.errors import FlowValidationError
from legato.model.loader import load_yaml_value
from legato.services import apps as app_service
from legato.services import flows as flow_service
from legato.services.principal import SYSTEM
from legato.store.ports import Store

_NAMED = 3  # deployed flows named one by one; beyond, a count


def deploy_changed(
    store: Store, flows_dir: Path, *, now: datetime, say: Callable[[str], None], warn: Callable[[str], None]
) -> None:
    """Deploy each flow file of `flows_dir` that is new or changed since it was last deployed; say what it did."""
    unchanged = 0
    deployed: list[str] = []
    apps: list[tuple[Path, str]] = []
    for path in sorted(flows_dir.rglob("*.y*ml")):
        source = path.read_text()
        value = _value(source)
        if value.get("type") in APP_TYPES:
            apps.append((path, source))
            continue
        namespace, flow_id = str(value.get("namespace", "")), str(value.get("id", ""))
        named = isinstance(value.get("namespace"), str) and isinstance(value.get("id"), str)
        revisions = store.flow_revisions(namespace, flow_id) if named else []
        current = revisions[-1] if revisions else None
        if current is not None and current.source == source and not current.deleted:
            unchanged += 1  # known by its text: not parsed again (the second start's main cost otherwise)
            continue
        try:
            flow = parse_flow(source, str(path))
        except FlowValidationError as exc:
            warn(str(exc))
            continue
        if not named:
            revisions = store.flow_revisions(flow.namespace, flow.id)
            current = revisions[-1] if revisions else None
        if current is not None and any(r.source == source for r in revisions):
            # Deployed from this very text before: what is stored now was changed (or deleted) since, in the UI or
            # through the API. The user's edit wins until the file changes.
            what = "deleted" if current.deleted else "edited"
            say(
                f"kept {flow.namespace}.{flow.id} revision {current.revision}: {what} since {path} was deployed "
                "(change the file to deploy it again)"
            )
        else:
            record = flow_service.deploy(store, source, now=now, name=str(path), by=SYSTEM)
            deployed.append(f"{record.namespace}.{record.id} (revision {record.revision})")
    if len(deployed) > _NAMED:
        say(f"deployed {len(deployed)} example flows from {flows_dir}")
    else:
        for line in deployed:
            say(f"deployed {line}")
    if unchanged:
        say(
            f"{unchanged} example flow{'s' if unchanged > 1 else ''} unchanged since last deployed from {flows_dir}"
        )
    for path, source in apps:
        _deploy_app(store, path, source, now=now, say=say, warn=warn)


def _value(source: str) -> dict[str, Any]:
    """The file's top-level mapping, read without building a flow or an app (empty when it is none)."""
    try:
        value = load_yaml_value(source)
    except FlowValidationError:
        return {}
    return value if isinstance(value, dict) else {}


def _deploy_app(store: Store, path: Path, source: str, *, now: datetime, say: Callable[[str], None],
                warn: Callable[[str], None]) -> None:
    try:
        app = app_service.validate(source)
    except FlowValidationError as exc:
        warn(str(exc))
        return
    stored = store.get_app(app.id)
    if stored is None:
        app_service.create(store, source, by=SYSTEM, now=now)
        say(f"deployed app {app.id} ({app.namespace}.{app.flow_id})")
    elif stored.source != source:
        say(f"kept app {app.id}: it differs from {path} (edit it in the UI, or delete it to deploy the file again)")
