"""Where a deploy goes: this machine's store (the services, one transaction per namespace) or a remote Legato
over its REST API (`--server URL --token T`)."""

from __future__ import annotations

import base64
import io
import zipfile
from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

import httpx

from legato.dashboards.defaults import DEFAULT_ID
from legato.deploy.plan import Change, NamespacePlan
from legato.remote import api_client, call
from legato.services import dashboards as dashboard_service
from legato.services import flows as flow_service
from legato.services.apps import AppPorts
from legato.services.dashboards import DashboardPorts
from legato.services.principal import Principal
from legato.storage import Storage, namespace_files
from legato.store.ports import AuditLog, DeployJournalStore, FlowStore, SuiteStore


class DeployStore(FlowStore, SuiteStore, AppPorts, DashboardPorts, AuditLog, DeployJournalStore, Protocol):
    """What a local deploy uses: the flow services' ports, the test suites and apps deployed with the flows (and
    the journal of their namespace files), and the instance's dashboards."""


class DeployError(Exception):
    """The target refused a change or could not be read; the message says which and why."""


class LocalTarget:
    """The store and internal storage of this machine's Legato."""

    def __init__(self, store: DeployStore, storage: Storage, *, by: Principal, clock: Callable[[], datetime]):
        self.store, self.storage, self.by, self.clock = store, storage, by, clock

    def namespaces(self) -> list[str]:
        return sorted({r.namespace for r in self.store.list_flows()} |
                      {s.namespace for s in self.store.list_test_suites()})

    def flows(self, namespace: str) -> dict[str, str]:
        return {r.id: r.source for r in self.store.list_flows(namespace)}

    def suites(self, namespace: str) -> dict[str, str]:
        return {s.id: s.source for s in self.store.list_test_suites(namespace)}

    def files(self, namespace: str) -> dict[str, bytes]:
        return {path: self.storage.get(uri) for path, uri in namespace_files.list_files(self.storage, namespace).items()}

    def apps(self, namespace: str) -> dict[str, str]:
        return {a.id: a.source for a in self.store.list_apps(namespace) if a.namespace == namespace}

    def dashboards(self) -> dict[str, str]:
        return {d.id: d.source for d in self.store.list_dashboards()}

    def apply(self, plan: NamespacePlan) -> None:
        """The namespace's files, then its flows, suites and apps in one transaction (all or nothing)."""
        flow_service.deploy_namespace(self.store, self.storage, plan.deploy(), by=self.by, now=self.clock())

    def apply_dashboards(self, changes: list[Change]) -> None:
        """Every dashboard change in one transaction."""
        dashboard_service.deploy(self.store, *_dashboard_changes(changes), by=self.by, now=self.clock())


class RemoteTarget:
    """A Legato server, through its API. `token` is sent as a bearer token, or as basic credentials when it is
    `user:password`. The flows of a namespace are saved in one request (one transaction on the server)."""

    def __init__(self, url: str, token: str | None = None, *, tenant: str = "main", timeout: float = 60.0):
        self.client = api_client(url, token, tenant=tenant, timeout=timeout)

    def close(self) -> None:
        self.client.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return call(self.client, method, path, DeployError, **kwargs)

    def namespaces(self) -> list[str]:
        flows = self._call("GET", "/flows/distinct-namespaces").json()
        suites = self._call("GET", "/tests/search", params={"size": 1000}).json()["results"]
        return sorted(set(flows) | {s["namespace"] for s in suites})

    def flows(self, namespace: str) -> dict[str, str]:
        listed = self._call("GET", f"/flows/{namespace}").json()
        return {f["id"]: self._call("GET", f"/flows/{namespace}/{f['id']}", params={"source": "true"}).json()["source"]
                for f in listed}

    def suites(self, namespace: str) -> dict[str, str]:
        found = self._call("GET", "/tests/search", params={"namespace": namespace, "size": 1000}).json()["results"]
        return {s["id"]: self._call("GET", f"/tests/{namespace}/{s['id']}").json()["source"]
                for s in found if s["namespace"] == namespace}

    def files(self, namespace: str) -> dict[str, bytes]:
        data = self._call("GET", f"/namespaces/{namespace}/files/export").content
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return {"/" + name: archive.read(name) for name in archive.namelist() if not name.endswith("/")}

    def apps(self, namespace: str) -> dict[str, str]:
        listed = self._call("GET", "/apps", params={"namespace": namespace, "size": 1000}).json()["results"]
        return {a["id"]: self._call("GET", f"/apps/{a['id']}").json()["sourceCode"]
                for a in listed if a["namespace"] == namespace}

    def dashboards(self) -> dict[str, str]:
        """The stored dashboards (not the built-in default the server shows while none replaces it)."""
        listed = self._call("GET", "/dashboards", params={"size": 1000}).json()["results"]
        found = {}
        for item in listed:
            dashboard = self._call("GET", f"/dashboards/{item['id']}").json()
            if not _built_in(dashboard):
                found[item["id"]] = dashboard["sourceCode"]
        return found

    def apply(self, plan: NamespacePlan) -> None:
        """The namespace's whole change in one request: the server applies it in one transaction, all or
        nothing."""
        change = plan.deploy()
        bundle = {"flows": change.flows, "flowDeletions": change.flow_deletions,
                  "suites": [s.source for s in change.suites], "suiteDeletions": change.suite_deletions,
                  "apps": change.apps, "appDeletions": change.app_deletions,
                  "files": {path: base64.b64encode(data).decode() for path, data in change.files.items()},
                  "fileDeletions": change.file_deletions}
        self._call("POST", f"/deploy/namespaces/{change.namespace}", json=bundle)

    def apply_dashboards(self, changes: list[Change]) -> None:
        """Every dashboard change in one request (one transaction on the server)."""
        saves, deletions = _dashboard_changes(changes)
        self._call("POST", "/deploy/dashboards", json={"dashboards": saves, "deletions": deletions})


def _dashboard_changes(changes: list[Change]) -> tuple[list[str], list[str]]:
    """The sources to save and the ids to delete of a deploy's dashboard changes."""
    return ([str(c.new) for c in changes if c.action in ("create", "update")],
            [c.key for c in changes if c.action == "delete"])


def _built_in(dashboard: dict[str, Any]) -> bool:
    """Whether a dashboard the API shows is the built-in default (shown without dates while no stored one
    replaces it)."""
    return dashboard["id"] == DEFAULT_ID and dashboard.get("created") is None
