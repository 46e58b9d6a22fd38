"""io.kestra.plugin.kubernetes.kubectl.*: Apply (server-side apply of YAML manifests), Get, Delete and Patch
resources of any type, core or custom, and Restart workloads (a rolling restart), through the Kubernetes API
(lightkube)."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any, ClassVar, Literal

from pydantic import Field

from legato.model.errors import FlowValidationError
from legato.model.loader import load_yaml_value
from legato.model.task import TASKS
from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.core.storage_files import output_uri
from legato.plugins.kubernetes.connection import (
    KubeTask,
    ResourceType,
    api_error,
    as_dict,
    metadata,
    resource_type,
)

CONNECTION_EXAMPLE = """\
connection:
  masterUrl: https://kubernetes.example.com:6443
  oauthToken: "{{ secret('K8S_TOKEN') }}"
  caCertData: "{{ secret('K8S_CA') }}"
"""


def _ready(obj: dict[str, Any]) -> bool:
    """Whether an object looks ready: a Ready/Available condition, a running or finished pod, all replicas, or
    no status at all (a kind that has none)."""
    status = obj.get("status") or {}
    if not status:
        return "status" not in obj or obj.get("kind") != "Pod"  # a kind with no status (ConfigMap) is ready once there
    for condition in status.get("conditions") or []:
        if condition.get("type") in ("Ready", "Available", "Established", "Complete") and condition.get("status") == "True":
            return True
    if status.get("phase") in ("Running", "Succeeded", "Active", "Bound"):
        return True
    wanted = (obj.get("spec") or {}).get("replicas")
    return wanted is not None and status.get("readyReplicas", 0) >= wanted


def wait_ready(client: Any, kind: ResourceType, name: str, namespace: str | None, seconds: float) -> dict[str, Any]:
    """Poll `name` until it is ready; TaskFailed after `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        obj = as_dict(client.get(kind.resource(), name, namespace=namespace))
        if _ready(obj):
            return obj
        if time.monotonic() > deadline:
            raise TaskFailed(f"{kind.kind} '{name}' was not ready after {seconds:g} s")
        time.sleep(min(1.0, max(0.05, seconds / 20)))


def _type(ctx: RunContext, kind: str, group: str | None, version: str | None) -> ResourceType:
    return resource_type(ctx.render_string(kind), ctx.render_string(group) if group else None,
                         ctx.render_string(version) if version else None)


@TASKS.register
class Apply(KubeTask):
    """Apply one or more manifests (YAML or JSON, documents separated by `---`) with server-side apply, then
    optionally wait for each to be ready; outputs.metadata lists what the API server returned."""

    TYPE: ClassVar[str] = "io.kestra.plugin.kubernetes.kubectl.Apply"
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: apply
type: io.kestra.plugin.kubernetes.kubectl.Apply
namespace: default
spec: |
  apiVersion: apps/v1
  kind: Deployment
  metadata:
    name: web
  spec:
    replicas: 2
    selector:
      matchLabels: {app: web}
    template:
      metadata:
        labels: {app: web}
      spec:
        containers:
          - name: web
            image: nginx:1.27
waitUntilReady: PT5M
""" + CONNECTION_EXAMPLE,
    )

    spec: str = Field(description="The manifest(s) to apply: YAML or JSON, several documents separated by `---` (rendered).")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        text = ctx.render_string(self.spec)
        try:
            documents = [d for d in _documents(text) if d]
        except FlowValidationError as exc:
            raise TaskFailed(f"property 'spec' is not valid YAML: {exc}") from None
        namespace = ctx.render_string(self.namespace)
        wait = self.waitUntilReady.total_seconds()

        def work() -> list[dict[str, Any]]:
            from lightkube import ApiError
            from lightkube.types import PatchType

            client = self.client(ctx)
            applied = []
            for doc in documents:
                if not isinstance(doc, dict) or not doc.get("kind") or not (doc.get("metadata") or {}).get("name"):
                    raise TaskFailed("each document of 'spec' needs apiVersion, kind and metadata.name")
                group, _, version = str(doc.get("apiVersion", "v1")).rpartition("/")
                kind = resource_type(str(doc["kind"]), group or "", version)
                name = doc["metadata"]["name"]
                where = (doc["metadata"].get("namespace") or namespace) if kind.namespaced else None
                try:
                    obj = as_dict(client.patch(kind.resource(), name, doc, namespace=where, patch_type=PatchType.APPLY,
                                               field_manager="legato", force=True))
                    ctx.logger.info(f"Applied {kind.kind} '{name}'" + (f" in namespace '{where}'" if where else ""))
                    if wait > 0:
                        ctx.logger.info(f"Waiting for {kind.kind} '{name}' to become ready (timeout: {self.waitUntilReady})...")
                        obj = wait_ready(client, kind, name, where, wait)
                except ApiError as exc:
                    raise api_error(exc, f"applying {kind.kind} '{name}'") from None
                applied.append(metadata(obj))
            return applied

        return {"metadata": await asyncio.to_thread(work)}


def _documents(text: str) -> list[Any]:
    parts = [p for p in ("\n" + text).split("\n---") if p.strip()]
    return [load_yaml_value(p) for p in parts]


class Named(KubeTask):
    """What Get, Delete and Patch share: the type of resource."""

    resourceType: str = Field(description="The kind or resource name: pods, Deployment, configmaps, or a custom resource's with apiGroup and apiVersion.")
    apiGroup: str | None = Field(default=None, description="The API group (apps, batch, stable.example.com); default: the core group, or the usual group of a well-known kind.")
    apiVersion: str | None = Field(default=None, description="The API version (default v1).")


@TASKS.register
class Get(Named):
    """Read resources of one type in a namespace, all of them or by name; fetchType says what the outputs hold."""

    TYPE: ClassVar[str] = "io.kestra.plugin.kubernetes.kubectl.Get"
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: get
type: io.kestra.plugin.kubernetes.kubectl.Get
namespace: default
resourceType: deployments
resourcesNames:
  - web
fetchType: FETCH_ONE
""",
    )

    resourcesNames: list[str] | None = Field(default=None, description="The names to read (default: every resource of the type in the namespace).")
    fetchType: Literal["NONE", "FETCH", "FETCH_ONE", "STORE"] = Field(default="NONE", description="FETCH: metadataItems and statusItems; FETCH_ONE: metadataItem and statusItem; STORE: a file of {metadata, status} lines at outputs.uri; NONE: only the log.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        kind = _type(ctx, self.resourceType, self.apiGroup, self.apiVersion)
        namespace = ctx.render_string(self.namespace) if kind.namespaced else None
        names = [ctx.render_string(n) for n in self.resourcesNames or []]
        wait = self.waitUntilReady.total_seconds()

        def work() -> list[dict[str, Any]]:
            from lightkube import ApiError

            client = self.client(ctx)
            try:
                if not names:
                    found = [as_dict(o) for o in client.list(kind.resource(), namespace=namespace)]
                    ctx.logger.info(f"Fetched {len(found)} resource(s) of kind '{kind.kind}' in namespace '{namespace}'")
                    return found
                found = []
                for name in names:
                    try:
                        obj = as_dict(client.get(kind.resource(), name, namespace=namespace))
                    except ApiError as exc:
                        if getattr(exc.status, "code", None) != 404:
                            raise
                        ctx.logger.warn(f"Resource of kind '{kind.kind}' with name '{name}' not found in namespace '{namespace}'")
                        continue
                    if wait > 0:
                        obj = wait_ready(client, kind, name, namespace, wait)
                    found.append(obj)
                return found
            except ApiError as exc:
                raise api_error(exc, f"fetching {kind.plural}") from None

        found = await asyncio.to_thread(work)
        metas = [metadata(o) for o in found]
        statuses = [{"status": o.get("status")} for o in found]
        match self.fetchType:
            case "FETCH":
                return {"metadataItems": metas, "statusItems": statuses, "size": len(found)}
            case "FETCH_ONE":
                return {"metadataItem": metas[0] if metas else None, "statusItem": statuses[0] if statuses else None,
                        "size": len(found)}
            case "STORE":
                lines = "".join(json.dumps({"metadata": m, "status": s}, default=str) + "\n" for m, s in zip(metas, statuses, strict=True))
                uri = ctx.storage.put(output_uri(ctx, f"{kind.plural}.ion"), lines.encode())
                return {"uri": uri, "size": len(found)}
            case _:
                return {}


@TASKS.register
class Delete(Named):
    """Delete resources of one type by name."""

    TYPE: ClassVar[str] = "io.kestra.plugin.kubernetes.kubectl.Delete"
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: delete
type: io.kestra.plugin.kubernetes.kubectl.Delete
namespace: default
resourceType: pods
resourcesNames:
  - my-pod
  - my-other-pod
""",
    )

    resourcesNames: list[str] = Field(min_length=1, description="The names of the resources to delete.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        kind = _type(ctx, self.resourceType, self.apiGroup, self.apiVersion)
        namespace = ctx.render_string(self.namespace) if kind.namespaced else None
        names = [ctx.render_string(n) for n in self.resourcesNames]

        def work() -> None:
            from lightkube import ApiError

            client = self.client(ctx)
            for name in names:
                try:
                    client.delete(kind.resource(), name, namespace=namespace)
                    ctx.logger.info(f"Deleted {kind.kind} '{name}'")
                except ApiError as exc:
                    if getattr(exc.status, "code", None) == 404:
                        ctx.logger.warn(f"{kind.kind} '{name}' not found in namespace '{namespace}': nothing to delete")
                        continue
                    raise api_error(exc, f"deleting {kind.kind} '{name}'") from None

        await asyncio.to_thread(work)
        return {}


@TASKS.register
class Patch(Named):
    """Patch one resource: strategic merge (the default, as kubectl patch), JSON merge (RFC 7386) or JSON patch
    (RFC 6902, with `test` for conditional updates)."""

    TYPE: ClassVar[str] = "io.kestra.plugin.kubernetes.kubectl.Patch"
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: scale
type: io.kestra.plugin.kubernetes.kubectl.Patch
namespace: default
resourceType: deployments
resourceName: web
patchStrategy: JSON_PATCH
patch: |
  [{"op": "replace", "path": "/spec/replicas", "value": 5}]
""",
    )

    resourceName: str = Field(description="The name of the resource to patch.")
    patch: str = Field(description="The patch, JSON or YAML (rendered): a partial object, or a list of operations for JSON_PATCH.")
    patchStrategy: Literal["STRATEGIC_MERGE", "JSON_MERGE", "JSON_PATCH"] = Field(default="STRATEGIC_MERGE", description="How the patch applies.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        kind = _type(ctx, self.resourceType, self.apiGroup, self.apiVersion)
        namespace = ctx.render_string(self.namespace) if kind.namespaced else None
        name = ctx.render_string(self.resourceName)
        try:
            body = load_yaml_value(ctx.render_string(self.patch))
        except FlowValidationError as exc:
            raise TaskFailed(f"property 'patch' is not valid JSON or YAML: {exc}") from None
        if self.patchStrategy == "JSON_PATCH" and not isinstance(body, list):
            raise TaskFailed("property 'patch': JSON_PATCH takes a list of operations ([{op, path, value}])")
        if self.patchStrategy != "JSON_PATCH" and not isinstance(body, dict):
            raise TaskFailed(f"property 'patch': {self.patchStrategy} takes an object")
        wait = self.waitUntilReady.total_seconds()

        def work() -> dict[str, Any]:
            from lightkube import ApiError
            from lightkube.types import PatchType

            how = {"STRATEGIC_MERGE": PatchType.STRATEGIC, "JSON_MERGE": PatchType.MERGE,
                   "JSON_PATCH": PatchType.JSON}[self.patchStrategy]
            client = self.client(ctx)
            try:
                obj = as_dict(client.patch(kind.resource(), name, body, namespace=namespace, patch_type=how))
                ctx.logger.info(f"Patched {kind.kind} '{name}' ({self.patchStrategy})")
                return wait_ready(client, kind, name, namespace, wait) if wait > 0 else obj
            except ApiError as exc:
                raise api_error(exc, f"patching {kind.kind} '{name}'") from None

        obj = await asyncio.to_thread(work)
        return {"metadata": metadata(obj), "status": {"status": obj.get("status")}}


RESTARTED_AT = "kubectl.kubernetes.io/restartedAt"  # the annotation `kubectl rollout restart` sets


@TASKS.register
class Restart(KubeTask):
    """Rolling restart of Deployments, StatefulSets or DaemonSets by name, as `kubectl rollout restart`: the pod
    template gets a `kubectl.kubernetes.io/restartedAt` annotation (now), so the controller replaces every pod."""

    TYPE: ClassVar[str] = "io.kestra.plugin.kubernetes.kubectl.Restart"
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: restart
type: io.kestra.plugin.kubernetes.kubectl.Restart
namespace: api
resourceType: StatefulSet
resourcesNames:
  - api
""" + CONNECTION_EXAMPLE,
    )

    resourceType: Literal["Deployment", "StatefulSet", "DaemonSet"] = Field(description="The kind of the resources to restart.")
    resourcesNames: list[str] = Field(min_length=1, description="The names of the resources to restart (rendered).")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        kind = resource_type(self.resourceType, "apps")
        namespace = ctx.render_string(self.namespace)
        names = [ctx.render_string(n) for n in self.resourcesNames]
        stamp = ctx.now().strftime("%Y-%m-%dT%H:%M:%SZ")
        body = {"spec": {"template": {"metadata": {"annotations": {RESTARTED_AT: stamp}}}}}
        wait = self.waitUntilReady.total_seconds()

        def work() -> None:
            from lightkube import ApiError
            from lightkube.types import PatchType

            client = self.client(ctx)
            for name in names:
                try:
                    client.patch(kind.resource(), name, body, namespace=namespace, patch_type=PatchType.STRATEGIC)
                except ApiError as exc:
                    raise api_error(exc, f"restarting {kind.kind} '{name}'") from None
                ctx.logger.info(f"Restarted {kind.kind} '{name}' in namespace '{namespace}'")
                if wait > 0:
                    wait_ready(client, kind, name, namespace, wait)

        await asyncio.to_thread(work)
        return {}
