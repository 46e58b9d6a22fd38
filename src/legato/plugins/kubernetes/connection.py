"""How the Kubernetes tasks reach a cluster (lightkube): the task's `connection` (Kestra's names), else the
worker's own configuration (in-cluster service account, else KUBECONFIG or ~/.kube/config); and how a resource
type (`pods`, `Deployment`, `shirts` with apiGroup stable.example.com) becomes an API path."""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlsplit

from pydantic import Field

from legato.model.durations import Duration
from legato.model.task import Frozen
from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.core import netguard
from legato.plugins.runnable import Expression, RunnableTask, render_as, render_optional_text

if TYPE_CHECKING:
    from lightkube import Client
    from lightkube.config.kubeconfig import KubeConfig

# kinds whose objects live outside namespaces, and the API groups of common kinds when none is given
CLUSTER_SCOPED = {"namespaces", "nodes", "persistentvolumes", "clusterroles", "clusterrolebindings",
                  "customresourcedefinitions", "storageclasses", "priorityclasses", "ingressclasses",
                  "validatingwebhookconfigurations", "mutatingwebhookconfigurations", "apiservices"}
GROUPS = {"deployments": "apps", "statefulsets": "apps", "daemonsets": "apps", "replicasets": "apps",
          "jobs": "batch", "cronjobs": "batch", "ingresses": "networking.k8s.io",
          "networkpolicies": "networking.k8s.io", "customresourcedefinitions": "apiextensions.k8s.io",
          "roles": "rbac.authorization.k8s.io", "rolebindings": "rbac.authorization.k8s.io",
          "clusterroles": "rbac.authorization.k8s.io", "clusterrolebindings": "rbac.authorization.k8s.io",
          "horizontalpodautoscalers": "autoscaling", "storageclasses": "storage.k8s.io"}


class Connection(Frozen):
    """Kestra's Kubernetes connection settings; what is not set comes from the worker's configuration."""

    masterUrl: str | None = Field(default=None, description="The API server's address (https://host:6443).")
    namespace: str | None = Field(default=None, description="The default namespace of the connection.")
    oauthToken: str | None = Field(default=None, description="A bearer token (a service account's); use secret().")
    username: str | None = Field(default=None, description="Basic authentication user.")
    password: str | None = Field(default=None, description="Basic authentication password; use secret().")
    caCertData: str | None = Field(default=None, description="The cluster's CA certificate, PEM or base64 of PEM.")
    caCertFile: str | None = Field(default=None, description="A file holding the cluster's CA certificate.")
    clientCertData: str | None = Field(default=None, description="A client certificate, PEM or base64 of PEM.")
    clientCertFile: str | None = Field(default=None, description="A file holding the client certificate.")
    clientKeyData: str | None = Field(default=None, description="The client certificate's key, PEM or base64 of PEM; use secret().")
    clientKeyFile: str | None = Field(default=None, description="A file holding the client key.")
    clientKeyAlgo: str | None = Field(default=None, description="Accepted for compatibility (the key's own format says it).")
    trustCerts: bool | Expression | None = Field(default=None, description="Do not verify the API server's certificate (testing only).")
    disableHostnameVerification: bool | Expression | None = Field(default=None, description="Accepted for compatibility (see trustCerts).")
    apiVersion: str | None = Field(default=None, description="Accepted for compatibility.")


class KubeTask(RunnableTask):
    """Properties of every Kubernetes task."""

    REQUIRES: ClassVar[tuple[str, ...]] = ("lightkube",)
    EXTRA: ClassVar[str] = "kubernetes"
    RUNS_POD: ClassVar[bool] = False  # whether `outputFiles` means something (PodCreate)

    connection: Connection | None = Field(default=None, description="How to reach the cluster; default: the worker's in-cluster account or kubeconfig.")
    inheritClusterConfig: bool | Expression = Field(default=False, description="Start from the worker's configuration and override it with `connection`.")
    namespace: str = Field(default="default", description="The namespace of the resources.")
    waitUntilRunning: Duration = Field(default=timedelta(minutes=10), description="Longest wait for a pod to start running (PodCreate).")
    waitRunning: Duration = Field(default=timedelta(hours=1), description="Longest time a pod may run once running (PodCreate).")
    waitUntilReady: Duration = Field(default=timedelta(0), description="Wait up to this long for each resource to be ready (PT0S: do not wait).")
    outputFiles: list[str] | Expression | None = Field(default=None, description="Kestra compatibility: accepted and unused, as in Kestra (where every Kubernetes task has the property and only PodCreate uses it): this task runs no pod. A warning says so.")

    def client(self, ctx: RunContext) -> Client:
        if self.outputFiles is not None and not self.RUNS_POD:
            ctx.logger.warn("'outputFiles' has no effect on this task, which runs no pod (Kestra accepts and ignores it too)")
        return client(ctx, self.connection, bool(render_as(ctx, self.inheritClusterConfig, bool, "inheritClusterConfig")))


def _pem(value: str) -> bytes:
    text = value.strip()
    if text.startswith("-----BEGIN"):
        return text.encode() + b"\n"
    try:
        return base64.b64decode(text, validate=True)
    except ValueError:
        raise TaskFailed("a certificate or key in 'connection' is neither PEM nor base64 of PEM") from None


def _b64(ctx: RunContext, data: str | None, file: str | None) -> str | None:
    data = render_optional_text(ctx, data)
    file = render_optional_text(ctx, file)
    if data:
        return base64.b64encode(_pem(data)).decode()
    if file:
        try:
            return base64.b64encode(Path(file).read_bytes()).decode()
        except OSError as exc:
            raise TaskFailed(f"cannot read {file}: {exc.strerror or exc}") from None
    return None


def client(ctx: RunContext, connection: Connection | None, inherit: bool) -> Client:
    """A lightkube client for the task's connection, or the worker's configuration."""
    from lightkube import Client
    from lightkube.config.kubeconfig import KubeConfig
    from lightkube.core.exceptions import ConfigError

    if connection is None or (inherit and not connection.masterUrl):
        try:
            config = KubeConfig.from_env()
        except ConfigError as exc:
            raise TaskFailed(f"no Kubernetes connection: set 'connection' or give the worker a kubeconfig ({exc})") from None
        namespace = render_optional_text(ctx, connection.namespace) if connection else None
        return Client(config=config, namespace=namespace or None, field_manager="legato")
    url = render_optional_text(ctx, connection.masterUrl)
    if not url:
        raise TaskFailed("property 'connection.masterUrl' is required when 'connection' is set")
    addresses = _check_address(url)
    cluster: dict[str, Any] = {"server": url}
    if (ca := _b64(ctx, connection.caCertData, connection.caCertFile)) is not None:
        cluster["certificate-authority-data"] = ca
    if connection.trustCerts is not None and render_as(ctx, connection.trustCerts, bool, "connection.trustCerts"):
        cluster["insecure-skip-tls-verify"] = True
    user: dict[str, Any] = {}
    if token := render_optional_text(ctx, connection.oauthToken):
        user["token"] = token
    if connection.username:
        user["username"] = render_optional_text(ctx, connection.username)
        user["password"] = render_optional_text(ctx, connection.password) or ""
    if (cert := _b64(ctx, connection.clientCertData, connection.clientCertFile)) is not None:
        user["client-certificate-data"] = cert
    if (key := _b64(ctx, connection.clientKeyData, connection.clientKeyFile)) is not None:
        user["client-key-data"] = key
    namespace = render_optional_text(ctx, connection.namespace) or "default"
    config = KubeConfig.from_dict({
        "clusters": [{"name": "task", "cluster": cluster}], "users": [{"name": "task", "user": user}],
        "contexts": [{"name": "task", "context": {"cluster": "task", "user": "task", "namespace": namespace}}],
        "current-context": "task",
    })
    return Client(config=config, field_manager="legato", transport=_pinned(config, url, addresses))


def _pinned(config: KubeConfig, url: str, addresses: list[str]) -> Any:
    """lightkube's transport for an API server the flow names: it connects to the addresses the SSRF guard
    checked (no second lookup, so DNS rebinding cannot switch them), with the name's TLS check and the
    connection's certificates; environment proxies do not apply (they would connect past the guard)."""
    import httpx2
    from lightkube.config.client_adapter import verify_cluster

    single = config.get()
    assert single is not None and single.user is not None  # the one context built above
    verify = verify_cluster(single.cluster, single.user, single.abs_file)
    return _PinnedTransport(urlsplit(url).hostname or "", addresses, httpx2.HTTPTransport(
        verify=verify, trust_env=False, limits=httpx2.Limits(max_keepalive_connections=0)))


class _PinnedTransport:
    """An httpx2 transport (lightkube's HTTP client) that sends each request for `host` to one of `addresses`,
    keeping the name for the Host header and the TLS server name."""

    def __init__(self, host: str, addresses: list[str], wire: Any) -> None:
        self._host, self._addresses, self._wire = host, addresses, wire

    def handle_request(self, request: Any) -> Any:
        import httpx2

        if request.url.host != self._host:
            raise TaskFailed(f"refusing to connect to {request.url.host}: the Kubernetes API host is {self._host}")
        error: Exception | None = None
        for address in self._addresses:
            direct = httpx2.Request(request.method, request.url.copy_with(host=address), headers=request.headers,
                                    stream=request.stream, extensions={**request.extensions, "sni_hostname": self._host})
            try:
                return self._wire.handle_request(direct)
            except httpx2.ConnectError as exc:  # the next address, as a socket connect would try them
                error = exc
        raise error or httpx2.ConnectError(f"no address to connect to for {self._host}", request=request)

    def close(self) -> None:
        self._wire.close()

    def __enter__(self) -> _PinnedTransport:
        return self

    def __exit__(self, *args: object) -> None:
        self.close()


def _check_address(url: str) -> list[str]:
    """The same SSRF guard as the HTTP tasks for an API server address written in the flow: its checked addresses."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TaskFailed(f"property 'connection.masterUrl': {url!r} is not an http(s) address")
    return netguard.resolve_checked(parts.hostname, parts.port or 443, "the Kubernetes API host ")


def plural(kind: str) -> str:
    """The resource name of a kind as URLs spell it (Deployment → deployments, Ingress → ingresses)."""
    word = kind.strip().lower()
    if word.endswith(("s", "x", "ch", "sh")):
        return word if word.endswith("s") and not word.endswith(("ss", "ress")) else word + "es"
    if re.search(r"[^aeiou]y$", word):
        return word[:-1] + "ies"
    return word + "s"


@dataclass(frozen=True)
class ResourceType:
    group: str
    version: str
    kind: str
    plural: str

    @property
    def namespaced(self) -> bool:
        return self.plural not in CLUSTER_SCOPED

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    def resource(self) -> Any:
        """lightkube's class for this type: its own model of a built-in kind, else a generic resource."""
        from lightkube.core.resource_registry import resource_registry
        from lightkube.generic_resource import create_global_resource, create_namespaced_resource

        known = resource_registry.get(self.api_version, self.kind)
        if known is not None:
            return known
        make = create_namespaced_resource if self.namespaced else create_global_resource
        return make(self.group, self.version, self.kind, self.plural)


def resource_type(kind: str, group: str | None = None, version: str | None = None) -> ResourceType:
    """A resource type from a kind or resource name and an optional group and version (Kestra's resourceType,
    apiGroup, apiVersion): common kinds find their group when none is given."""
    name = plural(kind)
    group = group if group else GROUPS.get(name, "")
    display = kind.strip()
    display = display[:1].upper() + display[1:]
    return ResourceType(group, version or "v1", display.rstrip("s") if display.lower() == name else display, name)


def metadata(obj: Any) -> dict[str, Any]:
    """Kestra's Metadata output of an object."""
    meta = (obj.get("metadata") if isinstance(obj, dict) else None) or {}
    return {
        "uid": meta.get("uid"), "name": meta.get("name"), "namespace": meta.get("namespace"),
        "clusterName": meta.get("name"), "annotations": meta.get("annotations"), "labels": meta.get("labels"),
        "creationTimestamp": meta.get("creationTimestamp"),
        "deletionGracePeriodSeconds": meta.get("deletionGracePeriodSeconds"),
        "deletionTimestamp": meta.get("deletionTimestamp"), "finalizers": meta.get("finalizers"),
        "generateName": meta.get("generateName"), "generation": meta.get("generation"),
        "managedFields": meta.get("managedFields"), "ownerReferences": meta.get("ownerReferences"),
        "resourceVersion": meta.get("resourceVersion"), "selfLink": meta.get("selfLink"),
    }


def as_dict(obj: Any) -> dict[str, Any]:
    """A lightkube object (typed or generic) as plain JSON data."""
    if isinstance(obj, dict):
        return dict(obj)
    to_dict = getattr(obj, "to_dict", None)
    result: dict[str, Any] = to_dict() if callable(to_dict) else dict(obj)
    return result


def api_error(exc: Exception, what: str) -> TaskFailed:
    """A Kubernetes API error (or an unreachable server) as a message saying what failed."""
    status = getattr(exc, "status", None)
    message = getattr(status, "message", None) or str(exc)
    code = getattr(status, "code", None)
    return TaskFailed(f"Failed to interact with Kubernetes API while {what}: {message}" + (f" (HTTP {code})" if code else ""))
