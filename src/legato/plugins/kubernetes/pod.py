"""io.kestra.plugin.kubernetes.core.PodCreate (formerly io.kestra.plugin.kubernetes.PodCreate): create a pod,
wait for it to run and end, log what it printed (lines in Kestra's `::{"outputs": …}::` protocol become vars),
then delete it. A pod that fails fails the task; a task killed or timed out deletes its pod."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any, ClassVar

from pydantic import Field

from legato.model.task import TASKS
from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.kubernetes.connection import KubeTask, api_error, as_dict, metadata
from legato.plugins.runnable import Expression, render_as
from legato.plugins.scripts.protocol import Collector

ENDED = ("Succeeded", "Failed")


@TASKS.register
class PodCreate(KubeTask):
    """Run a pod to completion and return its metadata, status and the vars its logs carried."""

    TYPE: ClassVar[str] = "io.kestra.plugin.kubernetes.core.PodCreate"
    ALIASES: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.kubernetes.PodCreate",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: pod
type: io.kestra.plugin.kubernetes.core.PodCreate
namespace: default
metadata:
  labels:
    team: data
spec:
  containers:
    - name: main
      image: ubuntu:24.04
      command: [/bin/sh, -c]
      args:
        - echo '::{"outputs":{"answer":42}}::'
  restartPolicy: Never
""",
    )

    metadata: dict[str, Any] | None = Field(default=None, description="The pod's metadata (name, labels, annotations); a name is generated when none is given.")
    spec: dict[str, Any] = Field(description="The pod's spec, as in a manifest (containers, restartPolicy...).")
    delete: bool | Expression = Field(default=True, description="Delete the pod once it has ended.")
    resume: bool | Expression = Field(default=True, description="Accepted for compatibility: a restarted attempt creates a new pod.")
    waitForLogInterval: str = Field(default="PT30S", description="Accepted for compatibility: logs are read once the pod has ended.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        namespace = ctx.render_string(self.namespace)
        meta = dict(ctx.render(self.metadata or {}))
        meta.setdefault("name", f"{ctx.task_run.task_id.lower().replace('_', '-')[:40]}-{uuid.uuid4().hex[:8]}")
        meta.setdefault("labels", {})
        meta["labels"] = {**meta["labels"], "app.kubernetes.io/managed-by": "legato"}
        body = {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": ctx.render(self.spec)}
        if not body["spec"].get("containers"):
            raise TaskFailed("property 'spec' needs at least one container")
        body["spec"].setdefault("restartPolicy", "Never")
        delete = bool(render_as(ctx, self.delete, bool, "delete"))
        collector = Collector(ctx.logger)
        client = self.client(ctx)
        try:
            pod = await asyncio.to_thread(self._run, ctx, client, body, namespace, collector)
        except asyncio.CancelledError:
            await asyncio.to_thread(self._delete, ctx, client, meta["name"], namespace)
            raise
        except TaskFailed:
            if delete:
                await asyncio.to_thread(self._delete, ctx, client, meta["name"], namespace)
            raise
        if delete:
            await asyncio.to_thread(self._delete, ctx, client, meta["name"], namespace)
        phase = (pod.get("status") or {}).get("phase")
        outputs = {"metadata": metadata(pod), "status": pod.get("status"), "vars": collector.vars}
        if phase != "Succeeded":
            raise TaskFailed(f"Pod '{meta['name']}' ended {phase}{_exit(pod)}", outputs=outputs)
        return outputs

    def _run(self, ctx: RunContext, client: Any, body: dict[str, Any], namespace: str, collector: Collector) -> dict[str, Any]:
        from lightkube import ApiError
        from lightkube.resources.core_v1 import Pod

        name = body["metadata"]["name"]
        try:
            client.create(Pod.from_dict(body), namespace=namespace)
            ctx.logger.info(f"Pod '{name}' is created")
            pod = self._wait(client, name, namespace, lambda p: p in ("Running", *ENDED),
                             self.waitUntilRunning.total_seconds(), "to start")
            pod = self._wait(client, name, namespace, lambda p: p in ENDED, self.waitRunning.total_seconds(), "to end")
            for line in client.log(name, namespace=namespace, follow=True):
                collector(line.rstrip("\n"), False)
            return pod
        except ApiError as exc:
            raise api_error(exc, f"running pod '{name}'") from None

    @staticmethod
    def _wait(client: Any, name: str, namespace: str, done: Any, seconds: float, what: str) -> dict[str, Any]:
        from lightkube.resources.core_v1 import Pod

        deadline = time.monotonic() + seconds
        while True:
            pod = as_dict(client.get(Pod, name, namespace=namespace))
            if done((pod.get("status") or {}).get("phase")):
                return pod
            if time.monotonic() > deadline:
                raise TaskFailed(f"Pod '{name}' took longer than {seconds:g} s {what}")
            time.sleep(0.2)

    @staticmethod
    def _delete(ctx: RunContext, client: Any, name: str, namespace: str) -> None:
        from lightkube import ApiError
        from lightkube.resources.core_v1 import Pod

        try:
            client.delete(Pod, name, namespace=namespace)
            ctx.logger.info(f"Pod '{name}' is deleted")
        except ApiError as exc:
            if getattr(exc.status, "code", None) != 404:
                ctx.logger.warn(f"could not delete pod '{name}': {exc}")


def _exit(pod: dict[str, Any]) -> str:
    for status in (pod.get("status") or {}).get("containerStatuses") or []:
        terminated = (status.get("state") or {}).get("terminated")
        if terminated:
            return f" (container '{status.get('name')}' exited with code {terminated.get('exitCode')})"
    return ""
