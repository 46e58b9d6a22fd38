"""A small blocking client for the Kubernetes REST API (stdlib http.client + ssl), and where its settings come
from: the task's `config`, else the in-cluster service account, else a kubeconfig file (KUBECONFIG or
~/.kube/config, current context). Only what the kubernetes runner needs; callers run it in a thread."""

from __future__ import annotations

import base64
import http.client
import json
import os
import ssl
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import yaml

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
    """One request per connection; a streaming response (logs) never blocks another call."""

    def __init__(self, config: KubeConfig, timeout: float | None = 30.0) -> None:
        self.config = config
        self.timeout = timeout
        parts = urlsplit(config.server)
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise KubeError(f"invalid API server address {config.server!r} ({config.source})")
        self._https = parts.scheme == "https"
        self._host = parts.hostname
        self._port = parts.port or (443 if self._https else 80)
        self._prefix = parts.path.rstrip("/")
        self._ssl = _ssl_context(config) if self._https else None

    def reachable(self) -> bool:
        try:
            self.json("GET", "/version", timeout=3.0)
        except (KubeError, OSError):
            return False
        return True

    def json(self, method: str, path: str, *, query: Mapping[str, Any] | None = None, body: Any = None,
             timeout: float | None = -1.0) -> Any:
        """Send one request and decode its JSON answer; a status >= 400 raises KubeError."""
        response, conn = self._send(method, path, query, body, timeout)
        try:
            data = response.read()
        finally:
            conn.close()
        if response.status >= 400:
            raise KubeError(f"{method} {path}: {_message(data)}", response.status)
        return json.loads(data) if data.strip() else None

    def stream(self, path: str, *, query: Mapping[str, Any] | None = None) -> Iterator[bytes]:
        """The answer's body in chunks as they arrive (a pod's logs with follow=true)."""
        response, conn = self._send("GET", path, query, None, None)
        try:
            if response.status >= 400:
                raise KubeError(f"GET {path}: {_message(response.read())}", response.status)
            while chunk := response.read1(1 << 16):
                yield chunk
        finally:
            conn.close()

    def _send(self, method: str, path: str, query: Mapping[str, Any] | None, body: Any,
              timeout: float | None) -> tuple[http.client.HTTPResponse, http.client.HTTPConnection]:
        wait = self.timeout if timeout == -1.0 else timeout
        conn: http.client.HTTPConnection
        if self._https:
            conn = http.client.HTTPSConnection(self._host, self._port, timeout=wait, context=self._ssl)
        else:
            conn = http.client.HTTPConnection(self._host, self._port, timeout=wait)
        url = self._prefix + path + ("?" + urlencode({k: v for k, v in query.items() if v is not None}) if query else "")
        headers = {"Accept": "application/json"}
        if self.config.token:
            headers["Authorization"] = f"Bearer {self.config.token}"
        elif self.config.username is not None:
            basic = base64.b64encode(f"{self.config.username}:{self.config.password or ''}".encode()).decode()
            headers["Authorization"] = f"Basic {basic}"
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        try:
            conn.request(method, url, body=payload, headers=headers)
            return conn.getresponse(), conn
        except OSError as exc:
            conn.close()
            raise KubeError(f"cannot reach the Kubernetes API at {self.config.server}: {exc}") from exc


def _ssl_context(config: KubeConfig) -> ssl.SSLContext:
    context = ssl.create_default_context(cadata=config.ca_pem) if config.ca_pem else ssl.create_default_context()
    if config.insecure:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    if config.client_cert_pem and config.client_key_pem:
        # ssl loads a certificate chain from files only: write them privately, load, remove
        with tempfile.TemporaryDirectory(prefix="legato-kube-") as tmp:
            cert, key = Path(tmp) / "cert.pem", Path(tmp) / "key.pem"
            for path, text in ((cert, config.client_cert_pem), (key, config.client_key_pem)):
                path.touch(mode=0o600)
                path.write_text(text)
            context.load_cert_chain(str(cert), str(key))
    return context


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


def _message(data: bytes) -> str:
    try:
        return str(json.loads(data).get("message", data.decode(errors="replace")))
    except (ValueError, AttributeError):
        return data.decode(errors="replace").strip() or "no message"
