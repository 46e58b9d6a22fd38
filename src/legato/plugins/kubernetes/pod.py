"""io.kestra.plugin.kubernetes.core.PodCreate (formerly io.kestra.plugin.kubernetes.PodCreate): create a pod,
wait for it to run and end, log what it printed (lines in Kestra's `::{"outputs": …}::` protocol become vars),
then delete it. A pod that fails fails the task; a task killed or timed out deletes its pod.

`outputFiles` works as Kestra's file sidecar does for the flow: the pod gets an emptyDir `kestra-files` mounted at
/kestra in every container, an `init-files` init container makes /kestra/working-dir (`{{ workingDir }}` in the
spec; `{{ outputFiles['name'] }}` is the path of one of the files), and an `out-files` sidecar hands the files
back; what matches the globs once the pod has succeeded becomes `outputs.outputFiles` (name → internal storage
URI). How the files travel differs: Kestra copies them out of the sidecar with `exec` (a streaming protocol
lightkube does not speak); here the sidecar is a native one (an init container with `restartPolicy: Always`,
Kubernetes >= 1.29; its startup probe holds the pod's containers until it listens for the stop signal), which the
kubelet stops once the pod's containers have ended, and on that signal it prints the working directory as a base64
tar between two marker lines that the task reads from its log. The sidecar image (`fileSidecar.image`, busybox by
default) needs sh, tar and base64.

`inputFiles` (name → content, a `kestra:///` URI read from internal storage, or an expression) land in
`{{ workingDir }}` before the pod's containers start, through the same volume and `init-files` container (inputFiles
alone add those two, not the sidecar). Kestra uploads them into the init container with `exec`; here they travel in
the pod spec: a gzip'd tar in base64, split over environment variables of `init-files` (one environment string must
stay under Linux's 128 KiB), which unpacks it. A pod spec is one Kubernetes object (capped around 1.5 MiB by the API
server's storage), so the archive may take at most 512 KiB there; larger inputs are a clear error, and belong in a
volume or object storage. Names stay inside the working directory (no absolute path, no `..`)."""

from __future__ import annotations

import asyncio
import base64
import tarfile
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field

from legato.model.task import TASKS, Frozen
from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.kubernetes.connection import KubeTask, api_error, as_dict, metadata
from legato.plugins.runnable import Expression, render_as
from legato.plugins.scripts import files
from legato.plugins.scripts.protocol import Collector
from legato.runners.container_files import extract_workdir
from legato.storage.uris import task_run_prefix

ENDED = ("Succeeded", "Failed")
WORKING_DIR = "/kestra/working-dir"  # Kestra's {{ workingDir }} in the pod
FILES_VOLUME, INIT_FILES, OUT_FILES = "kestra-files", "init-files", "out-files"  # Kestra's names
INPUT_FILES_LIMIT = 512 * 1024  # base64 characters in the pod spec: the whole object is capped around 1.5 MiB
INPUT_CHUNK = 96 * 1024  # per environment variable: one "NAME=value" string must stay under 128 KiB (MAX_ARG_STRLEN)
INPUT_ENV = "LEGATO_INPUT_FILES"
SIDECAR_READY = "/kestra/.out-files-ready"  # outside the working dir: not handed back


class FileSidecar(Frozen):
    """Kestra's `fileSidecar`: the containers that prepare and hand back the working directory."""

    image: str = Field(default="busybox", description="Their image (it needs sh, tar and base64).")
    resources: dict[str, Any] | None = Field(default=None, description="Their resources (requests, limits), as in a container spec.")


def sidecar_script(nonce: str) -> str:
    """The out-files sidecar's sh script: idle until the kubelet stops it, then print the working dir."""
    return (f"trap 'echo LEGATO-FILES-BEGIN-{nonce}; (cd /kestra && tar -cf - working-dir | base64); "
            f"echo LEGATO-FILES-END-{nonce}; exit 0' TERM\n"
            f"touch {SIDECAR_READY}\n"
            "while true; do sleep 1 & wait $!; done\n")


# The kubelet starts a pod's containers once its native sidecars' startup probes pass: without this one, a stop
# signal sent before sh has set its trap (containers that end at once) would kill the sidecar silently.
STARTUP_PROBE = {"exec": {"command": ["test", "-f", SIDECAR_READY]}, "periodSeconds": 1, "failureThreshold": 120}


def input_archive(ctx: RunContext, rendered: Any) -> str:
    """The rendered `inputFiles` (kestra:/// URIs fetched) as a gzip'd tar in base64, within INPUT_FILES_LIMIT."""
    with tempfile.TemporaryDirectory(prefix="legato-pod-inputs-") as folder:
        workdir, archive = Path(folder) / "files", Path(folder) / "files.tgz"
        workdir.mkdir()
        files.stage_inputs(workdir, files.input_files_map(rendered), ctx.storage, ctx.execution.namespace)
        with tarfile.open(archive, mode="w:gz") as tar:  # on disk: inputs too large are not read into memory
            for path in sorted(workdir.rglob("*")):
                tar.add(path, arcname=path.relative_to(workdir).as_posix(), recursive=False, filter=_as_root)
        encoded = 4 * -(-archive.stat().st_size // 3)  # its length in base64
        if encoded > INPUT_FILES_LIMIT:
            raise TaskFailed(f"inputFiles take {encoded / 1024:.0f} KiB in the pod spec once compressed (gzip + base64), "
                             f"over the limit of {INPUT_FILES_LIMIT // 1024} KiB (a Kubernetes object is capped around "
                             "1.5 MiB): put larger files in a volume or object storage the pod reads")
        return base64.b64encode(archive.read_bytes()).decode("ascii")


def _as_root(info: tarfile.TarInfo) -> tarfile.TarInfo:
    # owned as the files init-files creates itself, not by the worker's uid
    info.uid = info.gid = 0
    info.uname = info.gname = "root"
    return info


def init_files(image: str, mount: list[dict[str, Any]], extra: dict[str, Any], archive: str | None) -> dict[str, Any]:
    """The init-files container: it makes the working dir and unpacks the input files' archive into it."""
    script = f"mkdir -p {WORKING_DIR}"
    chunks = [archive[at:at + INPUT_CHUNK] for at in range(0, len(archive), INPUT_CHUNK)] if archive else []
    env = [{"name": f"{INPUT_ENV}_{i}", "value": chunk} for i, chunk in enumerate(chunks)]
    if chunks:
        names = " ".join(f'"${e["name"]}"' for e in env)
        script += f" && printf '%s' {names} | base64 -d | tar -xzf - -C {WORKING_DIR}"
    return {"name": INIT_FILES, "image": image, "command": ["sh", "-c", script], "volumeMounts": mount,
            **({"env": env} if env else {}), **extra}


def with_file_containers(spec: dict[str, Any], sidecar: FileSidecar, nonce: str, ctx: RunContext,
                         archive: str | None = None, outputs: bool = True) -> dict[str, Any]:
    """`spec` with Kestra's files volume, the init container (unpacking `archive`, the input files) and, for
    `outputs`, the sidecar; user containers that take their reserved names are dropped, as Kestra does."""
    reserved = {INIT_FILES, OUT_FILES}
    containers = []
    for container in spec["containers"]:
        if container.get("name") in reserved:
            ctx.logger.warn(f"container '{container['name']}' uses a name reserved for the file transfer: it is replaced")
            continue
        mounts = [*container.get("volumeMounts", []), {"name": FILES_VOLUME, "mountPath": "/kestra"}]
        containers.append({**container, "volumeMounts": mounts})
    mount = [{"name": FILES_VOLUME, "mountPath": "/kestra"}]
    extra = {"resources": sidecar.resources} if sidecar.resources else {}
    added = [init_files(sidecar.image, mount, extra, archive)]
    if outputs:
        added.append({"name": OUT_FILES, "image": sidecar.image, "restartPolicy": "Always", "volumeMounts": mount,
                      "command": ["sh", "-c", sidecar_script(nonce)], "startupProbe": STARTUP_PROBE, **extra})
    inits = [c for c in spec.get("initContainers", []) if c.get("name") not in reserved]
    return {**spec, "containers": containers, "initContainers": [*inits, *added],
            "volumes": [*spec.get("volumes", []), {"name": FILES_VOLUME, "emptyDir": {}}]}


def archive_in(log: str, nonce: str) -> bytes | None:
    """The working dir's tar the sidecar printed, when it printed it whole."""
    lines = log.splitlines()
    begin, end = f"LEGATO-FILES-BEGIN-{nonce}", f"LEGATO-FILES-END-{nonce}"
    if begin not in lines or end not in lines[lines.index(begin):]:
        return None
    start = lines.index(begin)
    return base64.b64decode("".join(line.strip() for line in lines[start + 1:lines.index(end, start)]))


@TASKS.register
class PodCreate(KubeTask):
    """Run a pod to completion and return its metadata, status and the vars its logs carried."""

    TYPE: ClassVar[str] = "io.kestra.plugin.kubernetes.core.PodCreate"
    ALIASES: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.kubernetes.PodCreate",)
    RUNS_POD: ClassVar[bool] = True
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
        """\
id: transform
type: io.kestra.plugin.kubernetes.core.PodCreate
inputFiles:
  data.csv: "{{ outputs.extract.uri }}"
spec:
  containers:
    - name: main
      image: ubuntu:24.04
      command: [/bin/sh, -c, 'cd {{ workingDir }} && wc -l < data.csv > count.txt']
outputFiles:
  - count.txt
""",
    )

    metadata: dict[str, Any] | None = Field(default=None, description="The pod's metadata (name, labels, annotations); a name is generated when none is given.")
    spec: dict[str, Any] = Field(description="The pod's spec, as in a manifest (containers, restartPolicy...).")
    delete: bool | Expression = Field(default=True, description="Delete the pod once it has ended.")
    resume: bool | Expression = Field(default=True, description="Accepted for compatibility: a restarted attempt creates a new pod.")
    waitForLogInterval: str = Field(default="PT30S", description="Accepted for compatibility: logs are read once the pod has ended.")
    outputFiles: list[str] | Expression | None = Field(default=None, description="Files of the pod's working directory (`{{ workingDir }}`, /kestra/working-dir) to keep in internal storage once the pod has succeeded: globs relative to it (`*.json`, `out/**`); `outputs.outputFiles` maps each name to its URI.")
    inputFiles: dict[str, str] | str | None = Field(default=None, description="Files written into the pod's working directory (`{{ workingDir }}`, /kestra/working-dir) before its containers start: a map (or a JSON object) of file name, relative to it, to content or `kestra:///` URI of a file in internal storage. They travel in the pod spec, compressed: at most 512 KiB once gzip'd and base64-encoded.")
    fileSidecar: FileSidecar = Field(default_factory=FileSidecar, description="The image and resources of the containers that carry the input and output files.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        namespace = ctx.render_string(self.namespace)
        patterns = list(render_as(ctx, self.outputFiles, list[str], "outputFiles")) if self.outputFiles is not None else None
        paths = {"workingDir": WORKING_DIR, "outputFiles": {p: f"{WORKING_DIR}/{p}" for p in patterns or []}}
        meta = dict(ctx.render_with(self.metadata or {}, paths))
        meta.setdefault("name", f"{ctx.task_run.task_id.lower().replace('_', '-')[:40]}-{uuid.uuid4().hex[:8]}")
        meta.setdefault("labels", {})
        meta["labels"] = {**meta["labels"], "app.kubernetes.io/managed-by": "legato"}
        body = {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": ctx.render_with(self.spec, paths)}
        if not body["spec"].get("containers"):
            raise TaskFailed("property 'spec' needs at least one container")
        body["spec"].setdefault("restartPolicy", "Never")
        nonce = uuid.uuid4().hex
        archive = None
        if self.inputFiles is not None:
            archive = await asyncio.to_thread(input_archive, ctx, ctx.render_with(self.inputFiles, paths))
        if patterns is not None or archive is not None:
            body["spec"] = with_file_containers(body["spec"], self.fileSidecar, nonce, ctx, archive, patterns is not None)
        delete = bool(render_as(ctx, self.delete, bool, "delete"))
        collector = Collector(ctx.logger)
        client = self.client(ctx)
        try:
            pod, sidecar_log = await asyncio.to_thread(self._run, ctx, client, body, namespace, collector, patterns is not None)
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
        if patterns is not None:
            outputs["outputFiles"] = await asyncio.to_thread(self._keep, ctx, sidecar_log, nonce, patterns)
        return outputs

    def _run(self, ctx: RunContext, client: Any, body: dict[str, Any], namespace: str, collector: Collector,
             with_files: bool) -> tuple[dict[str, Any], str]:
        """Create the pod, wait for its end, log what its containers printed; (the pod, the sidecar's log)."""
        from lightkube import ApiError
        from lightkube.resources.core_v1 import Pod

        name = body["metadata"]["name"]
        try:
            client.create(Pod.from_dict(body), namespace=namespace)
            ctx.logger.info(f"Pod '{name}' is created")
            pod = self._wait(client, name, namespace, lambda p: p in ("Running", *ENDED),
                             self.waitUntilRunning.total_seconds(), "to start")
            pod = self._wait(client, name, namespace, lambda p: p in ENDED, self.waitRunning.total_seconds(), "to end")
            containers = [c["name"] for c in body["spec"]["containers"]]
            for container in containers:
                for line in client.log(name, namespace=namespace, container=container, follow=True):
                    collector(line.rstrip("\n"), False)
            sidecar = "".join(client.log(name, namespace=namespace, container=OUT_FILES)) if with_files else ""
            return pod, sidecar
        except ApiError as exc:
            raise api_error(exc, f"running pod '{name}'") from None

    @staticmethod
    def _keep(ctx: RunContext, sidecar_log: str, nonce: str, patterns: list[str]) -> dict[str, str]:
        """Unpack the working dir the sidecar printed and store the files matching `patterns`."""
        archive = archive_in(sidecar_log, nonce)
        if archive is None:
            raise TaskFailed(f"the '{OUT_FILES}' sidecar did not hand back the working directory (does its image "
                             "have sh, tar and base64? is the cluster's Kubernetes 1.29 or newer, for native sidecars?)")
        prefix = task_run_prefix(ctx.execution.namespace, ctx.execution.flow_id, ctx.execution.id,
                                 ctx.task_run.task_id, ctx.task_run.id)
        with tempfile.TemporaryDirectory(prefix="legato-pod-files-") as folder:
            workdir = Path(folder)
            extract_workdir(archive, workdir)
            return files.collect_outputs(workdir, patterns, None, set(), ctx.storage, prefix)

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
