"""Where the kubernetes runner's settings come from (the task's `config`, else the in-cluster service account,
else a kubeconfig file: KUBECONFIG or ~/.kube/config, current context), and its calls to the API through
lightkube, which `pip install 'legato[kubernetes]'` brings."""

from __future__ import annotations

import base64
import os
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlsplit

import yaml

if TYPE_CHECKING:
    from lightkube import AsyncClient
    from lightkube.resources.core_v1 import Pod, Secret

SERVICE_ACCOUNT = Path("/var/run/secrets/kubernetes.io/serviceaccount")


class KubeError(Exception):
    """The API answered with an error, could not be reached, or no usable configuration was found."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class KubeConfig:
    """How to reach one cluster. Certificates and keys are PEM text (never paths: they are read up front)."""

    server: str
    namespace: str = "default"
    token: str | None = None
    username: str | None = None
    password: str | None = None
    ca_pem: str | None = None
    client_cert_pem: str | None = None
    client_key_pem: str | None = None
    insecure: bool = False
    source: str = "config"  # where it came from, for messages

    def __repr__(self) -> str:  # never print credentials
        return f"KubeConfig(server={self.server!r}, namespace={self.namespace!r}, source={self.source!r})"


def in_cluster(environ: Mapping[str, str], account_dir: Path = SERVICE_ACCOUNT) -> KubeConfig | None:
    """The pod's own service account, when running inside a cluster."""
    host, port = environ.get("KUBERNETES_SERVICE_HOST"), environ.get("KUBERNETES_SERVICE_PORT")
    token_file = account_dir / "token"
    if not host or not port or not token_file.is_file():
        return None
    ca = account_dir / "ca.crt"
    ns = account_dir / "namespace"
    server_host = f"[{host}]" if ":" in host else host
    return KubeConfig(
        server=f"https://{server_host}:{port}", token=token_file.read_text().strip(),
        ca_pem=ca.read_text() if ca.is_file() else None,
        namespace=ns.read_text().strip() if ns.is_file() else "default", source="in-cluster service account",
    )


def from_kubeconfig(path: Path, context: str | None = None) -> KubeConfig:
    """The cluster, user and namespace of `context` (default: current-context) of a kubeconfig file."""
    try:
        doc = yaml.safe_load(path.read_text()) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise KubeError(f"cannot read kubeconfig {path}: {exc}") from None
    name = context or doc.get("current-context")
    if not name:
        raise KubeError(f"kubeconfig {path} has no current-context; set one or give the runner a config")
    ctx = _named(doc, "contexts", name, path).get("context") or {}
    cluster = _named(doc, "clusters", ctx.get("cluster"), path).get("cluster") or {}
    user = _named(doc, "users", ctx.get("user"), path).get("user") or {} if ctx.get("user") else {}
    if "exec" in user or "auth-provider" in user:
        raise KubeError(f"kubeconfig {path}: user '{ctx.get('user')}' authenticates through an exec/auth-provider "
                        "plugin, which Legato does not run; use a token or client certificate")
    server = cluster.get("server")
    if not server:
        raise KubeError(f"kubeconfig {path}: cluster '{ctx.get('cluster')}' has no server")
    base = path.parent
    token = user.get("token") or (_read(base, user["tokenFile"]) if user.get("tokenFile") else None)
    return KubeConfig(
        server=server, namespace=ctx.get("namespace") or "default", token=token.strip() if token else None,
        username=user.get("username"), password=user.get("password"),
        ca_pem=_pem(base, cluster, "certificate-authority"), client_cert_pem=_pem(base, user, "client-certificate"),
        client_key_pem=_pem(base, user, "client-key"), insecure=bool(cluster.get("insecure-skip-tls-verify")),
        source=f"kubeconfig {path} (context {name})",
    )


def from_task(config: Mapping[str, Any], fallback_namespace: str = "default") -> KubeConfig:
    """Kestra's `config` property of the runner: masterUrl, oauthToken, caCertData, clientCertData, ..."""
    server = config.get("masterUrl")
    if not server:
        raise KubeError("the runner's config needs a masterUrl (https://host:port of the API server)")
    return KubeConfig(
        server=str(server), namespace=str(config.get("namespace") or fallback_namespace),
        token=config.get("oauthToken"), username=config.get("username"), password=config.get("password"),
        ca_pem=_decoded(config.get("caCertData")), client_cert_pem=_decoded(config.get("clientCertData")),
        client_key_pem=_decoded(config.get("clientKeyData")), insecure=bool(config.get("trustCerts")),
        source="the task's config",
    )


def load(config: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None,
         account_dir: Path = SERVICE_ACCOUNT) -> KubeConfig:
    """The settings to use: the task's config, else in-cluster, else the kubeconfig file."""
    env = os.environ if environ is None else environ
    if config:
        return from_task(config)
    found = in_cluster(env, account_dir)
    if found is not None:
        return found
    paths = [Path(p) for p in env.get("KUBECONFIG", "").split(os.pathsep) if p]
    if not paths and env.get("HOME"):
        paths = [Path(env["HOME"]) / ".kube" / "config"]
    for path in paths:
        if path.is_file():
            return from_kubeconfig(path)
    raise KubeError("no Kubernetes configuration: not in a cluster, no kubeconfig (KUBECONFIG or ~/.kube/config), "
                    "and no config on the runner")


class KubeClient:
    """The runner's way to one cluster: lightkube (legato[kubernetes]) with the settings of a KubeConfig."""

    def __init__(self, config: KubeConfig, timeout: float | None = 30.0) -> None:
        parts = urlsplit(config.server)
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise KubeError(f"invalid API server address {config.server!r} ({config.source})")
        try:
            from lightkube.config.kubeconfig import KubeConfig as Kubeconfig
        except ImportError:
            raise KubeError("the Kubernetes runner needs lightkube: install legato[kubernetes]") from None
        self.config = config
        self.timeout = timeout
        single = Kubeconfig.from_dict(_kubeconfig(config)).get()
        if single is None:  # never: the document names its one context as current
            raise KubeError(f"no usable Kubernetes configuration ({config.source})")
        self._single = single

    def reachable(self) -> bool:
        """Whether the API server answers its /version within 3 s."""
        import httpx2
        from lightkube.config import client_adapter

        params = client_adapter.ConnectionParams(timeout=httpx2.Timeout(3.0), trust_env=False)
        try:
            with client_adapter.Client(self._single, params) as http:
                return http.get("/version").is_success
        except (httpx2.HTTPError, OSError):
            return False

    @asynccontextmanager
    async def session(self) -> AsyncIterator[KubeSession]:
        """A connection for one run (lightkube's AsyncClient), closed at the end."""
        import httpx2
        from lightkube import AsyncClient

        client = AsyncClient(self._single, namespace=self.config.namespace, timeout=httpx2.Timeout(self.timeout),
                             trust_env=False, field_manager="legato")
        try:
            yield KubeSession(client, self.config.server)
        finally:
            await client.close()


class KubeSession:
    """The calls of the kubernetes runner, on Pods and Secrets written and read as the API's JSON (dicts);
    every failure is a KubeError with the API's own message."""

    def __init__(self, client: AsyncClient, server: str) -> None:
        self._client = client
        self._server = server

    async def create(self, body: Mapping[str, Any]) -> None:
        """Create the Pod or Secret `body` describes."""
        resource = _resource(str(body["kind"]))
        where = f"POST {body['kind']} {body['metadata']['name']}"
        with self._failures(where):
            await self._client.create(cast("Pod | Secret", resource.from_dict(dict(body))))

    async def pod_status(self, name: str, namespace: str) -> dict[str, Any]:
        """The `status` of a pod, as the API writes it."""
        from lightkube.resources.core_v1 import Pod

        with self._failures(f"GET Pod {name}"):
            pod = await self._client.get(Pod, name, namespace=namespace)
        return pod.status.to_dict() if pod.status is not None else {}

    async def delete(self, kind: str, name: str, namespace: str) -> None:
        """Delete a Pod or Secret at once (no grace period)."""
        with self._failures(f"DELETE {kind} {name}"):
            await self._client.delete(_resource(kind), name, namespace=namespace, grace_period=0)

    async def logs(self, name: str, namespace: str, container: str) -> AsyncIterator[str]:
        """A container's log lines as they come, until it ends."""
        with self._failures(f"GET Pod {name} log"):
            async for line in self._client.log(name, namespace=namespace, container=container, follow=True):
                yield line

    @contextmanager
    def _failures(self, what: str) -> Iterator[None]:
        import httpx2
        from lightkube import ApiError

        try:
            yield
        except ApiError as exc:
            raise KubeError(f"{what}: {exc.status.message or exc}", exc.status.code) from None
        except httpx2.HTTPError as exc:
            raise KubeError(f"cannot reach the Kubernetes API at {self._server}: {exc}") from exc
        except ValueError as exc:  # an answer that is not the object asked for (msgspec's validation)
            raise KubeError(f"{what}: unexpected answer from the Kubernetes API: {exc}") from None


def _resource(kind: str) -> type[Pod] | type[Secret]:
    from lightkube.resources.core_v1 import Pod, Secret

    match kind:
        case "Pod":
            return Pod
        case "Secret":
            return Secret
    raise KubeError(f"the kubernetes runner does not handle {kind} objects")


def _kubeconfig(config: KubeConfig) -> dict[str, Any]:
    """`config` as a one-context kubeconfig document (certificates inline), which lightkube reads."""
    cluster: dict[str, Any] = {"server": config.server, "insecure-skip-tls-verify": config.insecure}
    if config.ca_pem and not config.insecure:
        cluster["certificate-authority-data"] = _b64(config.ca_pem)
    user: dict[str, Any] = {}
    if config.token:
        user["token"] = config.token
    elif config.username is not None:
        user.update(username=config.username, password=config.password or "")
    if config.client_cert_pem and config.client_key_pem:
        user.update({"client-certificate-data": _b64(config.client_cert_pem),
                     "client-key-data": _b64(config.client_key_pem)})
    return {"clusters": [{"name": "legato", "cluster": cluster}], "users": [{"name": "legato", "user": user}],
            "contexts": [{"name": "legato", "context": {"cluster": "legato", "user": "legato",
                                                        "namespace": config.namespace}}],
            "current-context": "legato"}


def _b64(pem: str) -> str:
    return base64.b64encode(pem.encode()).decode()


def _named(doc: Mapping[str, Any], section: str, name: Any, path: Path) -> dict[str, Any]:
    for entry in doc.get(section) or []:
        if isinstance(entry, dict) and entry.get("name") == name:
            return entry
    raise KubeError(f"kubeconfig {path}: no entry named {name!r} in {section}")


def _read(base: Path, name: str) -> str:
    path = Path(name) if Path(name).is_absolute() else base / name
    try:
        return path.read_text()
    except OSError as exc:
        raise KubeError(f"cannot read {path}: {exc}") from None


def _pem(base: Path, section: Mapping[str, Any], key: str) -> str | None:
    """A PEM value given inline (`<key>-data`, base64) or as a file (`<key>`, relative to the kubeconfig)."""
    if section.get(f"{key}-data"):
        return _decoded(section[f"{key}-data"])
    if section.get(key):
        return _read(base, section[key])
    return None


def _decoded(value: Any) -> str | None:
    """PEM text from base64 (kubeconfig's *-data, Kestra's *Data); PEM text given as is stays as is."""
    if not value:
        return None
    text = str(value)
    if "-----BEGIN" in text:
        return text
    try:
        return base64.b64decode(text, validate=True).decode()
    except (ValueError, UnicodeDecodeError):
        raise KubeError("a certificate or key is neither PEM text nor base64-encoded PEM") from None
