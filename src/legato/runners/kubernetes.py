"""The `kubernetes` runner: the command runs in a pod, through the Kubernetes REST API.

Files travel without `exec` (which needs a streaming protocol) and without any route from the pod back to the
worker:
- in: the working dir and helper folders are packed into a tar held by a Secret (so at most ~1 MiB; larger
  inputs belong in internal storage and are downloaded by the script); an init container with the task's
  image unpacks it into an emptyDir mounted at /legato;
- out: the main container runs the command through a small POSIX sh wrapper that, once it ends, prints the
  working dir as a base64 tar between two marker lines carrying a per-run nonce; the runner takes those lines
  out of the log stream and unpacks them into the working dir. Stderr lines are tagged by the wrapper, since
  the log API merges both streams. The image needs /bin/sh, tar and base64 (any distro or busybox image).
The pod and the Secret are deleted afterwards (unless `delete: false`), and at once on a timeout or a kill.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from legato.model.ids import new_id
from legato.runners.base import CommandSpec, CommandTimedOut, LineSink, RunnerError
from legato.runners.container_files import CONTAINER_WORKDIR, container_env, extract_workdir, stage_archive
from legato.runners.kube_api import KubeClient, KubeConfig, KubeError, KubeSession

MOUNT = "/legato"
STAGE_MOUNT = "/legato-stage"
STAGE_FILE = "files.tar"
MAX_STAGED = 1_000_000  # a Secret holds at most 1 MiB
STDERR_TAG = "\x1flegato-stderr\x1f"  # \x1f: not a line boundary for str.splitlines (lightkube's log lines)
_WAITING_ERRORS = {"ErrImagePull", "ImagePullBackOff", "InvalidImageName", "CreateContainerConfigError",
                   "CreateContainerError", "ErrImageNeverPull"}
PullPolicy = Literal["Always", "IfNotPresent", "Never"]


@dataclass(frozen=True)
class KubeOptions:
    """What a task asks of its pod; names follow Kestra's Kubernetes task runner."""

    image: str = "ubuntu:24.04"
    namespace: str | None = None  # default: the configuration's namespace
    labels: Mapping[str, str] = field(default_factory=dict)
    pull_policy: PullPolicy = "IfNotPresent"
    service_account: str | None = None
    node_selector: Mapping[str, str] = field(default_factory=dict)
    requests: Mapping[str, str] = field(default_factory=dict)  # cpu, memory
    limits: Mapping[str, str] = field(default_factory=dict)
    pull_secrets: Sequence[str] = ()
    config: Mapping[str, Any] | None = None  # Kestra's `config` (masterUrl, oauthToken, ...)
    delete: bool = True
    wait_until_running: float = 600.0  # seconds a pod may stay Pending
    poll_seconds: float = 0.5


def wrapper(nonce: str, mount: str = MOUNT) -> str:
    """The main container's sh script: run "$@", tag its stderr, then print `<mount>/work` as a base64 tar."""
    return (
        f'cd {mount}/work || exit 125\n'
        'fifo=/tmp/.legato-stderr-$$\n'
        'if mkfifo "$fifo" 2>/dev/null; then\n'
        f'  sed "s/^/$(printf \'\\037\')legato-stderr$(printf \'\\037\')/" < "$fifo" >&2 &\n'
        '  tagger=$!\n'
        '  "$@" 2>"$fifo"; code=$?\n'
        '  wait "$tagger"; rm -f "$fifo"\n'
        'else\n'
        '  "$@"; code=$?\n'
        'fi\n'
        f'echo "LEGATO-FILES-BEGIN-{nonce}"\n'
        f'(cd {mount} && tar -cf - work | base64)\n'
        f'echo "LEGATO-FILES-END-{nonce}"\n'
        'exit "$code"\n'
    )


def names(run_id: str) -> tuple[str, str]:
    """The pod's and the Secret's names (DNS-1123 labels)."""
    return f"legato-{run_id}", f"legato-{run_id}-files"


def secret_body(name: str, namespace: str, archive: bytes, labels: Mapping[str, str]) -> dict[str, Any]:
    return {
        "apiVersion": "v1", "kind": "Secret", "type": "Opaque",
        "metadata": {"name": name, "namespace": namespace, "labels": dict(labels)},
        "data": {STAGE_FILE: base64.b64encode(archive).decode()},
    }


def pod_body(options: KubeOptions, spec: CommandSpec, name: str, secret: str, namespace: str, nonce: str) -> dict[str, Any]:
    """The body of POST /api/v1/namespaces/{ns}/pods for this command."""
    image = spec.image or options.image
    env = container_env(spec.env, spec.helpers)
    labels = {"app.kubernetes.io/managed-by": "legato", "io.legato.runner": "kubernetes", **options.labels}
    mount = [{"name": "work", "mountPath": MOUNT}]
    resources: dict[str, Any] = {}
    if options.requests:
        resources["requests"] = dict(options.requests)
    if options.limits:
        resources["limits"] = dict(options.limits)
    main: dict[str, Any] = {
        "name": "main", "image": image, "imagePullPolicy": options.pull_policy,
        "command": ["/bin/sh", "-c", wrapper(nonce), "legato", *spec.argv], "workingDir": CONTAINER_WORKDIR,
        "env": [{"name": k, "value": v} for k, v in sorted(env.items())], "volumeMounts": mount,
    }
    if resources:
        main["resources"] = resources
    stage = {
        "name": "stage-files", "image": image, "imagePullPolicy": options.pull_policy,
        "command": ["/bin/sh", "-c", f"tar -xf {STAGE_MOUNT}/{STAGE_FILE} -C / && chmod -R a+rwX {MOUNT}"],
        "volumeMounts": [*mount, {"name": "stage", "mountPath": STAGE_MOUNT, "readOnly": True}],
    }
    pod_spec: dict[str, Any] = {
        "restartPolicy": "Never",
        "volumes": [{"name": "work", "emptyDir": {}}, {"name": "stage", "secret": {"secretName": secret}}],
        "initContainers": [stage],
        "containers": [main],
    }
    if options.service_account:
        pod_spec["serviceAccountName"] = options.service_account
    if options.node_selector:
        pod_spec["nodeSelector"] = dict(options.node_selector)
    if options.pull_secrets:
        pod_spec["imagePullSecrets"] = [{"name": s} for s in options.pull_secrets]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": namespace, "labels": labels},
            "spec": pod_spec}


class LogSplitter:
    """Takes the main container's log lines apart: command output (stderr when tagged) goes to `on_line`, the
    lines between the file markers are kept as the base64 tar of the working dir."""

    def __init__(self, nonce: str, on_line: LineSink) -> None:
        self._begin, self._end = f"LEGATO-FILES-BEGIN-{nonce}", f"LEGATO-FILES-END-{nonce}"
        self._on_line = on_line
        self._inside = False
        self._files: list[str] = []
        self._pending = b""
        self.complete = False

    def feed(self, chunk: bytes) -> None:
        *lines, self._pending = (self._pending + chunk).split(b"\n")
        for line in lines:
            self._line(line.removesuffix(b"\r").decode("utf-8", errors="replace"))

    def close(self) -> None:
        if self._pending:
            self._line(self._pending.decode("utf-8", errors="replace"))
            self._pending = b""

    def archive(self) -> bytes | None:
        """The working dir's tar, when the wrapper got to print it whole."""
        return base64.b64decode("".join(self._files)) if self.complete else None

    def _line(self, line: str) -> None:
        if self._inside:
            if line == self._end:
                self._inside, self.complete = False, True
            else:
                self._files.append(line.strip())
        elif line == self._begin:
            self._inside = True
        elif line.startswith(STDERR_TAG):
            self._on_line(line[len(STDERR_TAG):], True)
        else:
            self._on_line(line, False)


class KubernetesRunner:
    """Runs commands in pods of a Kubernetes cluster."""

    name = "kubernetes"

    def __init__(self, options: KubeOptions, config: KubeConfig, client: KubeClient | None = None) -> None:
        self.options = options
        self.config = config
        self.client = client or KubeClient(config)

    def visible_workdir(self, workdir: Path) -> str:
        return CONTAINER_WORKDIR

    async def run(self, spec: CommandSpec, on_line: LineSink) -> int:
        archive = stage_archive(spec.workdir, spec.helpers)
        if len(archive) > MAX_STAGED:
            raise RunnerError(f"the working directory's files take {len(archive)} bytes, more than the {MAX_STAGED} "
                              "a Secret can carry into the pod; keep large files in internal storage and download "
                              "them from the script")
        namespace = self.options.namespace or self.config.namespace
        run_id = new_id()[:12].lower()
        pod, secret = names(run_id)
        labels = {"io.legato.pod": pod}
        async with self.client.session() as kube:
            try:
                await kube.create(secret_body(secret, namespace, archive, labels))
                await kube.create(pod_body(self.options, spec, pod, secret, namespace, run_id))
            except KubeError as exc:
                await self._cleanup(namespace, pod, secret)
                raise RunnerError(f"the Kubernetes API refused the pod: {exc}") from None
            try:
                return await asyncio.wait_for(self._follow(kube, namespace, pod, spec, on_line, run_id), spec.timeout)
            except TimeoutError:
                raise CommandTimedOut(spec.timeout or 0) from None
            finally:
                await asyncio.shield(self._cleanup(namespace, pod, secret))

    async def _follow(self, kube: KubeSession, namespace: str, pod: str, spec: CommandSpec, on_line: LineSink,
                      nonce: str) -> int:
        await self._wait_started(kube, namespace, pod)
        splitter = LogSplitter(nonce, on_line)
        async for line in kube.logs(pod, namespace, "main"):
            splitter.feed(line.encode())
        splitter.close()
        code = await self._exit_code(kube, namespace, pod)
        archive = splitter.archive()
        if archive is not None:
            await asyncio.to_thread(extract_workdir, archive, spec.workdir)
        elif code == 0:
            raise RunnerError("the pod ended without sending back its working directory (does the image have "
                              "/bin/sh, tar and base64?)")
        return code

    async def _wait_started(self, kube: KubeSession, namespace: str, pod: str) -> None:
        """Until the main container runs or ran; an image or init failure is reported at once."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.options.wait_until_running
        while True:
            status = await kube.pod_status(pod, namespace)
            problem = _problem(status)
            if problem:
                raise RunnerError(f"pod {pod}: {problem}")
            main = _container(status, "containerStatuses", "main")
            state = (main or {}).get("state") or {}
            if "running" in state or "terminated" in state or status.get("phase") in ("Succeeded", "Failed"):
                return
            if loop.time() > deadline:
                raise RunnerError(f"pod {pod} did not start within {self.options.wait_until_running:g} s "
                                  f"(phase {status.get('phase', 'unknown')})")
            await asyncio.sleep(self.options.poll_seconds)

    async def _exit_code(self, kube: KubeSession, namespace: str, pod: str) -> int:
        for _ in range(int(30 / self.options.poll_seconds) + 1):
            status = await kube.pod_status(pod, namespace)
            terminated = ((_container(status, "containerStatuses", "main") or {}).get("state") or {}).get("terminated")
            if terminated is not None:
                return int(terminated.get("exitCode", 1))
            await asyncio.sleep(self.options.poll_seconds)
        raise RunnerError(f"pod {pod}: its logs ended but the container never reported an exit code")

    async def _cleanup(self, namespace: str, pod: str, secret: str) -> None:
        """Delete the pod and its Secret, on a connection of its own: a cancelled run closes its session while
        this (shielded) cleanup goes on."""
        if not self.options.delete:
            return
        async with self.client.session() as kube:
            for kind, name in (("Pod", pod), ("Secret", secret)):
                with contextlib.suppress(KubeError):
                    await kube.delete(kind, name, namespace)


def _container(status: Mapping[str, Any], key: str, name: str) -> dict[str, Any] | None:
    for entry in status.get(key) or []:
        if entry.get("name") == name:
            return dict(entry)
    return None


def _problem(status: Mapping[str, Any]) -> str | None:
    """Why the pod cannot get going, if it cannot."""
    for key in ("initContainerStatuses", "containerStatuses"):
        for entry in status.get(key) or []:
            state = entry.get("state") or {}
            waiting = state.get("waiting") or {}
            if waiting.get("reason") in _WAITING_ERRORS:
                return f"container {entry.get('name')}: {waiting.get('reason')}: {waiting.get('message', '')}".strip()
            terminated = state.get("terminated") or {}
            if key == "initContainerStatuses" and terminated and terminated.get("exitCode", 0) != 0:
                return f"staging the files failed (exit code {terminated.get('exitCode')}): {terminated.get('message', '')}"
    return None

