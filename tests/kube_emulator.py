"""A Kubernetes API server emulator for the tests (no cluster runs here): an HTTP server on 127.0.0.1 speaking
the REST shapes of the Kubernetes API documentation for what the kubernetes.* tasks use, over an in-memory store.

- `/api/v1/...` (core group) and `/apis/<group>/<version>/...`, namespaced (`namespaces/<ns>/<plural>[/<name>]`)
  and cluster-scoped (`<plural>[/<name>]`): GET (one object or a `<Kind>List`), POST (create; 409 when it
  exists), DELETE (the object; 404 Status when missing), PATCH with the four content types: server-side apply
  (`application/apply-patch+yaml`, creating the object when missing, `fieldManager` recorded in managedFields),
  JSON merge patch (RFC 7386), strategic merge patch (lists of objects merged by `name`) and JSON patch (RFC 6902:
  add, remove, replace, test).
- Pods run: each container's command and args run as a local process (as the kubelet would run them in the
  image): init containers one after the other, then the containers side by side; an init container with
  `restartPolicy: Always` is a native sidecar, started before the containers (once its exec `startupProbe`, if
  any, passes) and sent SIGTERM once they have all ended (Kubernetes >= 1.29). An `emptyDir` volume is a
  temporary directory shared by the containers that mount it; since the processes run on this host, a mount path
  written in a command, an argument or an env value is replaced by that directory (what the mount would make the
  path mean in the container). The pod goes Pending → Running →
  Succeeded or Failed (a container's non-zero exit) with each container's exit code in containerStatuses, and
  `pods/<name>/log?container=<c>` returns what it printed (`follow=true` waits for the end; with several
  containers and none named, 400 as the API server answers).
- Deployments report their replicas ready at once.
- A bearer token is required (`Authorization: Bearer <token>`), else 401.
"""

from __future__ import annotations

import copy
import json
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import yaml

TOKEN = "emulator-token"
Key = tuple[str, str, str, str]  # (group/version prefix, plural, namespace or "", name)


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _status(code: int, reason: str, message: str) -> dict[str, Any]:
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": message,
            "reason": reason, "code": code}


def merge_patch(target: Any, patch: Any, strategic: bool = False) -> Any:
    """RFC 7386 (null deletes, maps merge, the rest replaces); `strategic` merges lists of maps by `name`."""
    if not isinstance(patch, dict):
        if strategic and isinstance(patch, list) and isinstance(target, list) and all(
                isinstance(i, dict) and "name" in i for i in patch + target):
            merged = {i["name"]: copy.deepcopy(i) for i in target}
            for item in patch:
                merged[item["name"]] = merge_patch(merged.get(item["name"], {}), item, strategic)
            return list(merged.values())
        return copy.deepcopy(patch)
    out = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge_patch(out.get(key), value, strategic)
    return out


def json_patch(target: Any, operations: list[dict[str, Any]]) -> Any:
    doc = copy.deepcopy(target)
    for op in operations:
        parts = [p.replace("~1", "/").replace("~0", "~") for p in op["path"].split("/")[1:]]
        parent = doc
        for part in parts[:-1]:
            parent = parent[int(part)] if isinstance(parent, list) else parent[part]
        last = parts[-1]
        kind = op["op"]
        if kind == "test":
            current = parent[int(last)] if isinstance(parent, list) else parent.get(last)
            if current != op["value"]:
                raise ValueError(f"test failed at {op['path']}: {current!r} != {op['value']!r}")
        elif kind == "remove":
            del parent[int(last) if isinstance(parent, list) else last]
        elif kind in ("add", "replace"):
            if isinstance(parent, list):
                index = len(parent) if last == "-" else int(last)
                if kind == "add":
                    parent.insert(index, op["value"])
                else:
                    parent[index] = op["value"]
            else:
                parent[last] = op["value"]
        else:
            raise ValueError(f"unsupported operation {kind}")
    return doc


class KubeEmulator:
    def __init__(self) -> None:
        self.objects: dict[Key, dict[str, Any]] = {}
        self.logs: dict[Key, dict[str, str]] = {}  # pod → container → what it printed
        self.lock = threading.Lock()
        self.requests: list[tuple[str, str, str]] = []  # (method, path, content type)
        emulator = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_: object) -> None:
                pass

            def do_GET(self) -> None:
                emulator.handle(self, "GET")

            def do_POST(self) -> None:
                emulator.handle(self, "POST")

            def do_PATCH(self) -> None:
                emulator.handle(self, "PATCH")

            def do_DELETE(self) -> None:
                emulator.handle(self, "DELETE")

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    # requests ----------------------------------------------------------------------------------------------
    def handle(self, h: BaseHTTPRequestHandler, method: str) -> None:
        parts = urlsplit(h.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        body = h.rfile.read(int(h.headers.get("Content-Length") or 0))
        content_type = h.headers.get("Content-Type", "")
        self.requests.append((method, parts.path, content_type))
        if h.headers.get("Authorization") != f"Bearer {TOKEN}":
            return self.reply(h, 401, _status(401, "Unauthorized", "Unauthorized"))
        route = self.route(parts.path)
        if route is None:
            return self.reply(h, 404, _status(404, "NotFound", f"the server could not find {parts.path}"))
        prefix, namespace, plural, name, sub = route
        key = (prefix, plural, namespace, name or "")
        try:
            if method == "GET" and sub == "log":
                return self.reply_log(h, key, query)
            if method == "GET":
                return self.get(h, key, prefix, plural, namespace)
            if method == "POST":
                return self.create(h, key, json.loads(body), prefix, plural, namespace)
            if method == "DELETE":
                return self.delete(h, key)
            return self.patch(h, key, body, content_type, query, prefix, plural, namespace)
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            return self.reply(h, 422, _status(422, "Invalid", str(exc)))

    @staticmethod
    def route(path: str) -> tuple[str, str, str, str | None, str | None] | None:
        segments = [s for s in path.split("/") if s]
        if segments[:2] == ["api", "v1"]:
            prefix, rest = "api/v1", segments[2:]
        elif segments[:1] == ["apis"] and len(segments) >= 3:
            prefix, rest = "/".join(segments[:3]), segments[3:]
        else:
            return None
        namespace = ""
        if len(rest) >= 3 and rest[0] == "namespaces":
            namespace, rest = rest[1], rest[2:]
        if not rest or len(rest) > 3:
            return None
        return prefix, namespace, rest[0], rest[1] if len(rest) > 1 else None, rest[2] if len(rest) > 2 else None

    @staticmethod
    def reply(h: BaseHTTPRequestHandler, status: int, body: Any, content_type: str = "application/json") -> None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        h.send_response(status)
        h.send_header("Content-Type", content_type)
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)

    # verbs -------------------------------------------------------------------------------------------------
    def get(self, h: BaseHTTPRequestHandler, key: Key, prefix: str, plural: str, namespace: str) -> None:
        with self.lock:
            if key[3]:
                found = self.objects.get(key)
                if found is None:
                    return self.reply(h, 404, _status(404, "NotFound", f'{plural} "{key[3]}" not found'))
                return self.reply(h, 200, found)
            items = [o for (p, pl, ns, _), o in sorted(self.objects.items())
                     if p == prefix and pl == plural and (not namespace or ns == namespace)]
        kind = items[0]["kind"] if items else plural.capitalize()
        return self.reply(h, 200, {"kind": f"{kind}List", "apiVersion": prefix.removeprefix("api/").removeprefix("apis/"),
                                   "metadata": {"resourceVersion": str(len(self.objects))}, "items": items})

    def _store(self, key: Key, obj: dict[str, Any], prefix: str, namespace: str) -> dict[str, Any]:
        meta = obj.setdefault("metadata", {})
        meta["name"] = key[3] or meta.get("name")
        if namespace:
            meta["namespace"] = namespace
        meta.setdefault("uid", str(uuid.uuid4()))
        meta.setdefault("creationTimestamp", _now())
        meta["resourceVersion"] = str(int(meta.get("resourceVersion", "0")) + 1)
        meta["generation"] = int(meta.get("generation", 0)) + 1
        obj.setdefault("apiVersion", prefix.removeprefix("api/").removeprefix("apis/"))
        if obj.get("kind") == "Deployment":
            replicas = obj.get("spec", {}).get("replicas", 1)
            obj["status"] = {"replicas": replicas, "readyReplicas": replicas, "availableReplicas": replicas,
                             "observedGeneration": meta["generation"],
                             "conditions": [{"type": "Available", "status": "True"}]}
        self.objects[key] = obj
        return obj

    def create(self, h: BaseHTTPRequestHandler, key: Key, obj: dict[str, Any], prefix: str, plural: str,
               namespace: str) -> None:
        key = (key[0], key[1], key[2], obj.get("metadata", {}).get("name", ""))
        with self.lock:
            if key in self.objects:
                return self.reply(h, 409, _status(409, "AlreadyExists", f'{plural} "{key[3]}" already exists'))
            stored = self._store(key, obj, prefix, namespace)
            if plural == "pods":
                stored["status"] = {"phase": "Pending"}
        if plural == "pods":
            threading.Thread(target=self.run_pod, args=(key,), daemon=True, name=f"pod-{key[3]}").start()
        return self.reply(h, 201, stored)

    def delete(self, h: BaseHTTPRequestHandler, key: Key) -> None:
        with self.lock:
            found = self.objects.pop(key, None)
        if found is None:
            return self.reply(h, 404, _status(404, "NotFound", f'{key[1]} "{key[3]}" not found'))
        return self.reply(h, 200, found)

    def patch(self, h: BaseHTTPRequestHandler, key: Key, body: bytes, content_type: str, query: dict[str, str],
              prefix: str, plural: str, namespace: str) -> None:
        kind = content_type.split(";")[0].strip()
        with self.lock:
            current = self.objects.get(key)
            if kind == "application/apply-patch+yaml":
                applied = yaml.safe_load(body)
                if "fieldManager" not in query:
                    return self.reply(h, 422, _status(422, "Invalid", "fieldManager is required for apply requests"))
                merged = merge_patch(current or {}, applied, strategic=True)
                managed = [e for e in merged.get("metadata", {}).get("managedFields", [])
                           if e.get("manager") != query["fieldManager"]]
                managed.append({"manager": query["fieldManager"], "operation": "Apply", "apiVersion": applied.get("apiVersion"),
                                "time": _now(), "fieldsType": "FieldsV1"})
                merged.setdefault("metadata", {})["managedFields"] = managed
                return self.reply(h, 201 if current is None else 200, self._store(key, merged, prefix, namespace))
            if current is None:
                return self.reply(h, 404, _status(404, "NotFound", f'{plural} "{key[3]}" not found'))
            if kind == "application/json-patch+json":
                patched = json_patch(current, json.loads(body))
            elif kind in ("application/merge-patch+json", "application/strategic-merge-patch+json"):
                patched = merge_patch(current, json.loads(body), strategic=kind.startswith("application/strategic"))
            else:
                return self.reply(h, 415, _status(415, "UnsupportedMediaType", f"the body of the request was in an unknown format: {kind}"))
            return self.reply(h, 200, self._store(key, patched, prefix, namespace))

    # pods --------------------------------------------------------------------------------------------------
    def run_pod(self, key: Key) -> None:
        with self.lock:
            spec = copy.deepcopy(self.objects[key]["spec"])
        volumes = {v["name"]: tempfile.mkdtemp(prefix="kube-emptydir-") for v in spec.get("volumes", []) if "emptyDir" in v}
        logs: dict[str, str] = {}
        codes: dict[str, int] = {}
        try:
            time.sleep(0.1)
            sidecars = []
            for init in spec.get("initContainers", []):
                if init.get("restartPolicy") == "Always":
                    sidecars.append((init["name"], self._start(init, volumes)))
                    self._started(init, volumes)
                    continue
                logs[init["name"]], code = self._finish(self._start(init, volumes))
                if code != 0:
                    codes[init["name"]] = code
                    break
            self._set_phase(key, "Running", {c["name"]: {"running": {"startedAt": _now()}} for c in spec["containers"]})
            if not codes:
                started = [(c["name"], self._start(c, volumes)) for c in spec["containers"]]
                for name, process in started:
                    logs[name], codes[name] = self._finish(process)
            for name, process in sidecars:
                process.send_signal(signal.SIGTERM)
                logs[name], _ = self._finish(process)
        finally:
            for folder in volumes.values():
                shutil.rmtree(folder, ignore_errors=True)
        self.logs[key] = logs
        phase = "Succeeded" if codes and all(code == 0 for code in codes.values()) else "Failed"
        self._set_phase(key, phase, {name: {"terminated": {
            "exitCode": codes.get(name, 1), "reason": "Completed" if codes.get(name) == 0 else "Error",
            "startedAt": _now(), "finishedAt": _now()}} for name in [c["name"] for c in spec["containers"]]})

    @staticmethod
    def _start(container: dict[str, Any], volumes: dict[str, str]) -> subprocess.Popen[str]:
        mounts = sorted(((m["mountPath"].rstrip("/"), volumes[m["name"]]) for m in container.get("volumeMounts", [])
                         if m["name"] in volumes), key=lambda m: -len(m[0]))

        def local(arg: str) -> str:
            for path, folder in mounts:
                arg = arg.replace(path, folder)
            return arg

        argv = [local(a) for a in [*container.get("command", []), *container.get("args", [])]]
        env = {e["name"]: local(str(e.get("value", ""))) for e in container.get("env", [])}
        return subprocess.Popen(argv or ["true"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                env={"PATH": "/usr/bin:/bin", **env})

    @classmethod
    def _started(cls, sidecar: dict[str, Any], volumes: dict[str, str]) -> None:
        """Wait for a sidecar's exec startup probe to pass, as the kubelet does before the next containers."""
        probe = (sidecar.get("startupProbe") or {}).get("exec")
        deadline = time.monotonic() + 30
        while probe and time.monotonic() < deadline:
            if cls._finish(cls._start({**sidecar, "command": probe["command"], "args": []}, volumes))[1] == 0:
                return
            time.sleep(0.02)

    @staticmethod
    def _finish(process: subprocess.Popen[str]) -> tuple[str, int]:
        out, _ = process.communicate(timeout=120)
        return out, process.returncode

    def _set_phase(self, key: Key, phase: str, states: dict[str, dict[str, Any]]) -> None:
        with self.lock:
            pod = self.objects.get(key)
            if pod is None:
                return
            pod["status"] = {"phase": phase, "startTime": _now(), "containerStatuses": [{
                "name": c["name"], "image": c.get("image", ""), "imageID": "", "restartCount": 0,
                "state": states[c["name"]], "ready": phase == "Running"} for c in pod["spec"]["containers"]]}

    def reply_log(self, h: BaseHTTPRequestHandler, key: Key, query: dict[str, str]) -> None:
        pod = self.objects.get(key)
        if pod is None:
            return self.reply(h, 404, _status(404, "NotFound", f'pods "{key[3]}" not found'))
        names = [c["name"] for c in pod["spec"]["containers"]]
        container = query.get("container") or (names[0] if len(names) == 1 else None)
        if container is None:
            return self.reply(h, 400, _status(400, "BadRequest", f"a container name must be specified for pod {key[3]}, "
                                                                  f"choose one of: {names}"))
        deadline = time.monotonic() + 120
        while query.get("follow") == "true" and key not in self.logs and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.reply(h, 200, self.logs.get(key, {}).get(container, "").encode(), "text/plain")


@contextmanager
def kube_emulator() -> Iterator[KubeEmulator]:
    emulator = KubeEmulator()
    thread = threading.Thread(target=emulator.httpd.serve_forever, name="kube-emulator", daemon=True)
    thread.start()
    try:
        yield emulator
    finally:
        emulator.httpd.shutdown()
        emulator.httpd.server_close()
