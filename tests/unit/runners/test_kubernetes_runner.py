"""The kubernetes runner without a cluster: the pod and Secret it builds, its wrapper script run for real by
/bin/sh, configuration loading (kubeconfig, in-cluster, the task's config), and a whole run against FakeKubeApi
(a stand-in for the Kubernetes API on 127.0.0.1 that runs each pod's containers as local processes, with the
paths under /legato moved into a temp dir). The live test runs only where a cluster answers."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import re
import subprocess
import tarfile
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from legato.runners import kube_api
from legato.runners.base import CommandSpec, RunnerError
from legato.runners.docker import CONTAINER_WORKDIR, extract_workdir
from legato.runners.environment import script_environment
from legato.runners.kube_api import KubeClient, KubeConfig, KubeError
from legato.runners.kubernetes import (
    STAGE_FILE,
    KubeOptions,
    KubernetesRunner,
    LogSplitter,
    pod_body,
    secret_body,
    wrapper,
)
from legato.runners.specs import KubernetesRunnerSpec
from tests.unit.runners.conftest import Lines


def _spec(workdir: Path, script: str = "echo hi", helpers: dict[str, list[Path]] | None = None) -> CommandSpec:
    env = script_environment(str(workdir), {"GREETING": "hi"}, output_dir=f"{workdir}/.outputs")
    return CommandSpec(argv=["/bin/sh", "-c", script], workdir=workdir, env=env, helpers=helpers or {})


# the pod -----------------------------------------------------------------------------------------------
def test_pod_body_maps_kestras_options(tmp_path: Path) -> None:
    from legato.runners.select import kube_options

    spec = KubernetesRunnerSpec.model_validate({
        "type": "io.kestra.plugin.ee.kubernetes.runner.Kubernetes", "namespace": "jobs", "pullPolicy": "ALWAYS",
        "serviceAccountName": "runner", "nodeSelector": {"pool": "batch"}, "labels": {"team": "data"},
        "resources": {"request": {"cpu": "500m", "memory": "256Mi"}, "limit": {"memory": "1Gi"}},
        "imagePullSecrets": ["regcred"],
    })
    options = kube_options(spec, "python:3.12-slim")
    body = pod_body(options, _spec(tmp_path, helpers={"PYTHONPATH": [tmp_path]}), "legato-abc", "legato-abc-files",
                    "jobs", "n1")
    assert body["metadata"] == {"name": "legato-abc", "namespace": "jobs", "labels": {
        "app.kubernetes.io/managed-by": "legato", "io.legato.runner": "kubernetes", "team": "data"}}
    pod = body["spec"]
    assert pod["restartPolicy"] == "Never" and pod["serviceAccountName"] == "runner"
    assert pod["nodeSelector"] == {"pool": "batch"} and pod["imagePullSecrets"] == [{"name": "regcred"}]
    assert pod["volumes"] == [{"name": "work", "emptyDir": {}}, {"name": "stage", "secret": {"secretName": "legato-abc-files"}}]
    (init,) = pod["initContainers"]
    (main,) = pod["containers"]
    assert init["image"] == main["image"] == "python:3.12-slim"
    assert init["imagePullPolicy"] == main["imagePullPolicy"] == "Always"
    assert main["resources"] == {"requests": {"cpu": "500m", "memory": "256Mi"}, "limits": {"memory": "1Gi"}}
    assert main["command"][:2] == ["/bin/sh", "-c"] and main["command"][3:] == ["legato", "/bin/sh", "-c", "echo hi"]
    assert main["workingDir"] == CONTAINER_WORKDIR
    env = {e["name"]: e["value"] for e in main["env"]}
    assert env["GREETING"] == "hi" and env["HOME"] == CONTAINER_WORKDIR and "PATH" not in env
    assert env["PYTHONPATH"] == "/legato/helpers/PYTHONPATH/0"


def test_the_secret_carries_the_working_dir_and_helpers(tmp_path: Path) -> None:
    from legato.runners.docker import stage_archive

    (tmp_path / "work").mkdir()
    (tmp_path / "work" / "in.txt").write_text("input")
    (tmp_path / "py").mkdir()
    (tmp_path / "py" / "kestra.py").write_text("# helper")
    archive = stage_archive(tmp_path / "work", {"PYTHONPATH": [tmp_path / "py"]})
    body = secret_body("s", "ns", archive, {"io.legato.pod": "p"})
    data = base64.b64decode(body["data"][STAGE_FILE])
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        names = {m.name: m for m in tar.getmembers()}
        assert tar.extractfile(names["legato/work/in.txt"]).read() == b"input"  # type: ignore[union-attr]
        assert "legato/helpers/PYTHONPATH/0/kestra.py" in names


def test_a_working_dir_too_large_for_a_secret_is_refused(tmp_path: Path) -> None:
    (tmp_path / "big.bin").write_bytes(b"x" * 1_100_000)
    runner = KubernetesRunner(KubeOptions(), KubeConfig(server="http://127.0.0.1:9"))
    with pytest.raises(Exception, match="more than the 1000000"):
        asyncio.run(runner.run(_spec(tmp_path), Lines()))


# the wrapper, run by a real shell --------------------------------------------------------------------
def test_the_wrapper_tags_stderr_and_sends_the_working_dir_back(tmp_path: Path) -> None:
    mount = tmp_path / "legato"
    (mount / "work").mkdir(parents=True)
    (mount / "work" / "in.txt").write_text("given")
    script = "echo out; echo err >&2; cat in.txt > copy.txt; mkdir -p sub && echo deep > sub/x.txt; exit 3"
    # the kubelet merges both streams into one log, as 2>&1 does here
    done = subprocess.run(["/bin/sh", "-c", wrapper("n0nce", str(mount)), "legato", "/bin/sh", "-c", script],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False, timeout=30)
    assert done.returncode == 3
    lines = Lines()
    splitter = LogSplitter("n0nce", lines)
    for i in range(0, len(done.stdout), 7):  # in small chunks, as a stream arrives
        splitter.feed(done.stdout[i:i + 7])
    splitter.close()
    assert lines.out == ["out"] and lines.err == ["err"]
    back = tmp_path / "back"
    back.mkdir()
    archive = splitter.archive()
    assert archive is not None
    extract_workdir(archive, back)
    assert (back / "copy.txt").read_text() == "given" and (back / "sub" / "x.txt").read_text() == "deep\n"


def test_an_incomplete_file_section_gives_no_archive() -> None:
    splitter = LogSplitter("n", Lines())
    splitter.feed(b"LEGATO-FILES-BEGIN-n\nAAAA\n")
    splitter.close()
    assert splitter.archive() is None


# configuration -----------------------------------------------------------------------------------------
CA = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"


def _kubeconfig(tmp_path: Path, user: dict[str, Any]) -> Path:
    doc = {
        "apiVersion": "v1", "current-context": "dev",
        "contexts": [{"name": "dev", "context": {"cluster": "c1", "user": "u1", "namespace": "team"}},
                     {"name": "other", "context": {"cluster": "c1", "user": "u1"}}],
        "clusters": [{"name": "c1", "cluster": {"server": "https://k8s.example:6443",
                                                "certificate-authority-data": base64.b64encode(CA.encode()).decode()}}],
        "users": [{"name": "u1", "user": user}],
    }
    path = tmp_path / "config"
    path.write_text(json.dumps(doc))
    return path


def test_kubeconfig_with_a_token_and_inline_ca(tmp_path: Path) -> None:
    config = kube_api.from_kubeconfig(_kubeconfig(tmp_path, {"token": "t0ken"}))
    assert config.server == "https://k8s.example:6443" and config.namespace == "team"
    assert config.token == "t0ken" and config.ca_pem == CA
    assert "t0ken" not in repr(config)
    assert kube_api.from_kubeconfig(_kubeconfig(tmp_path, {"token": "t"}), "other").namespace == "default"


def test_kubeconfig_with_client_certificate_files_relative_to_it(tmp_path: Path) -> None:
    (tmp_path / "client.crt").write_text("CERT")
    (tmp_path / "client.key").write_text("KEY")
    config = kube_api.from_kubeconfig(_kubeconfig(tmp_path, {"client-certificate": "client.crt", "client-key": "client.key"}))
    assert config.client_cert_pem == "CERT" and config.client_key_pem == "KEY" and config.token is None


def test_kubeconfig_exec_plugins_and_missing_entries_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(KubeError, match="exec/auth-provider"):
        kube_api.from_kubeconfig(_kubeconfig(tmp_path, {"exec": {"command": "aws"}}))
    with pytest.raises(KubeError, match="no entry named 'nope' in contexts"):
        kube_api.from_kubeconfig(_kubeconfig(tmp_path, {"token": "t"}), "nope")


def test_in_cluster_configuration_comes_first_then_kubeconfig(tmp_path: Path) -> None:
    account = tmp_path / "sa"
    account.mkdir()
    (account / "token").write_text("sa-token\n")
    (account / "namespace").write_text("pods")
    (account / "ca.crt").write_text(CA)
    kubeconfig = _kubeconfig(tmp_path, {"token": "file-token"})
    env = {"KUBERNETES_SERVICE_HOST": "10.0.0.1", "KUBERNETES_SERVICE_PORT": "443", "KUBECONFIG": str(kubeconfig)}
    inside = kube_api.load(None, env, account)
    assert (inside.server, inside.token, inside.namespace, inside.ca_pem) == ("https://10.0.0.1:443", "sa-token", "pods", CA)
    outside = kube_api.load(None, {"KUBECONFIG": str(kubeconfig)}, account)
    assert outside.token == "file-token"
    with pytest.raises(KubeError, match="no Kubernetes configuration"):
        kube_api.load(None, {"HOME": str(tmp_path / "nohome")}, account)


def test_the_tasks_config_wins_and_takes_base64_or_pem() -> None:
    config = kube_api.load({"masterUrl": "https://api:6443", "oauthToken": "x", "namespace": "n",
                            "caCertData": base64.b64encode(CA.encode()).decode(), "clientKeyData": "-----BEGIN KEY"}, {})
    assert (config.server, config.token, config.namespace, config.ca_pem) == ("https://api:6443", "x", "n", CA)
    assert config.client_key_pem == "-----BEGIN KEY"
    with pytest.raises(KubeError, match="masterUrl"):
        kube_api.from_task({"oauthToken": "x"})


# a whole run against FakeKubeApi ---------------------------------------------------------------------
class FakeKubeApi:
    """A stand-in for the Kubernetes API: records requests, and runs each pod as local processes: the Secret's
    tar unpacked where the init container would put it, then the main container's command, its stdout and
    stderr merged into the pod's log, /legato moved under a temp dir."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.requests: list[tuple[str, str, Any]] = []
        self.secrets: dict[str, dict[str, Any]] = {}
        self.pods: dict[str, dict[str, Any]] = {}
        self.refuse_pods = ""  # the message of a 403 to every pod creation, when set
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                fake.handle(self, "GET")

            def do_POST(self) -> None:
                fake.handle(self, "POST")

            def do_DELETE(self) -> None:
                fake.handle(self, "DELETE")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def handle(self, h: BaseHTTPRequestHandler, method: str) -> None:
        path = h.path.split("?", 1)[0]
        length = int(h.headers.get("Content-Length") or 0)
        body = json.loads(h.rfile.read(length)) if length else None
        self.requests.append((method, h.path, h.headers.get("Authorization")))
        if path == "/version":
            return self.reply(h, 200, {"gitVersion": "v1.30.0-fake"})
        match = re.fullmatch(r"/api/v1/namespaces/([^/]+)/(pods|secrets)(?:/([^/]+))?(/log)?", path)
        if not match:
            return self.reply(h, 404, {"message": f"no route {path}"})
        _, kind, name, log = match.groups()
        if method == "POST" and kind == "secrets":
            self.secrets[body["metadata"]["name"]] = body
            return self.reply(h, 201, body)
        if method == "POST" and self.refuse_pods:
            return self.reply(h, 403, {"kind": "Status", "apiVersion": "v1", "status": "Failure", "code": 403,
                                       "reason": "Forbidden", "message": self.refuse_pods})
        if method == "POST":
            self.pods[body["metadata"]["name"]] = {"body": body, "status": {"phase": "Pending"}, "log": b""}
            threading.Thread(target=self.run_pod, args=(body["metadata"]["name"],), daemon=True).start()
            return self.reply(h, 201, body)
        if method == "DELETE":
            return self.reply(h, 200, {})
        pod = self.pods[name]
        if log:
            while pod["status"]["phase"] not in ("Succeeded", "Failed"):
                threading.Event().wait(0.02)
            data = pod["log"]
            h.send_response(200)
            h.send_header("Content-Length", str(len(data)))
            h.end_headers()
            h.wfile.write(data)
            return None
        return self.reply(h, 200, {"status": pod["status"]})

    def run_pod(self, name: str) -> None:
        pod = self.pods[name]
        body = pod["body"]
        secret = self.secrets[body["spec"]["volumes"][1]["secret"]["secretName"]]
        root = self.root / name
        root.mkdir()
        with tarfile.open(fileobj=io.BytesIO(base64.b64decode(secret["data"][STAGE_FILE]))) as tar:
            tar.extractall(root, filter="data")
        (main,) = body["spec"]["containers"]
        mount = str(root / "legato")
        command = [part.replace("/legato", mount) for part in main["command"]]
        env = {e["name"]: e["value"].replace("/legato", mount) for e in main["env"]}
        env["PATH"] = "/usr/bin:/bin"
        pod["status"] = {"phase": "Running", "containerStatuses": [_container_status({"running": {}})]}
        done = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, check=False)
        pod["log"] = done.stdout
        pod["status"] = {"phase": "Succeeded" if done.returncode == 0 else "Failed", "containerStatuses": [
            _container_status({"terminated": {"exitCode": done.returncode}})]}

    @staticmethod
    def reply(h: BaseHTTPRequestHandler, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        h.send_response(status)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _container_status(state: dict[str, Any]) -> dict[str, Any]:
    """A ContainerStatus with the fields the API always sends."""
    return {"name": "main", "image": "busybox", "imageID": "", "ready": "running" in state, "restartCount": 0,
            "state": state}


@pytest.fixture
def fake(tmp_path: Path) -> Iterator[FakeKubeApi]:
    api = FakeKubeApi(tmp_path / "pods")
    (tmp_path / "pods").mkdir()
    yield api
    api.close()


def test_a_whole_run_stages_files_streams_lines_and_copies_results_back(tmp_path: Path, fake: FakeKubeApi) -> None:
    work = tmp_path / "work"
    work.mkdir()
    (work / "in.txt").write_text("staged")
    config = KubeConfig(server=fake.url, token="tok", namespace="jobs")
    runner = KubernetesRunner(KubeOptions(image="busybox", poll_seconds=0.02), config)
    assert KubeClient(config).reachable()
    lines = Lines()
    script = 'echo "read $(cat in.txt)"; echo warn >&2; echo made > out.txt; exit 4'
    code = asyncio.run(runner.run(_spec(work, script), lines))
    assert code == 4
    assert lines.out == ["read staged"] and lines.err == ["warn"]
    assert (work / "out.txt").read_text() == "made\n"
    calls = [(m, p.split("?")[0]) for m, p, _ in fake.requests if p != "/version"]
    assert calls[:2] == [("POST", "/api/v1/namespaces/jobs/secrets"), ("POST", "/api/v1/namespaces/jobs/pods")]
    (pod,) = fake.pods
    assert calls[-2:] == [("DELETE", f"/api/v1/namespaces/jobs/pods/{pod}"),
                          ("DELETE", f"/api/v1/namespaces/jobs/secrets/{pod}-files")]  # nothing left behind
    assert {auth for _, _, auth in fake.requests} == {"Bearer tok"}


def test_a_refused_pod_is_a_runner_error_with_the_apis_message_and_its_secret_is_deleted(
        tmp_path: Path, fake: FakeKubeApi) -> None:
    fake.refuse_pods = 'pods is forbidden: User "ci" cannot create resource "pods"'
    runner = KubernetesRunner(KubeOptions(image="busybox", poll_seconds=0.02),
                              KubeConfig(server=fake.url, token="tok", namespace="jobs"))
    with pytest.raises(RunnerError, match=r'the Kubernetes API refused the pod: POST Pod .*: pods is forbidden: User "ci"'):
        asyncio.run(runner.run(_spec(tmp_path, "true"), Lines()))
    (secret,) = fake.secrets
    assert ("DELETE", f"/api/v1/namespaces/jobs/secrets/{secret}") in [(m, p.split("?")[0]) for m, p, _ in fake.requests]


def test_an_unreachable_cluster_falls_back_with_a_note(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from legato.runners import select

    settings = select.RunnerSettings(environ={"HOME": str(tmp_path)}, docker_fallback="process")
    spec = KubernetesRunnerSpec(type="kubernetes")
    choice = select.choose(spec, settings, image="python:3.12")
    assert choice.runner.name == "process"
    assert choice.note is not None and "No Kubernetes API answers" in choice.note
    with pytest.raises(Exception, match="masterUrl"):
        select.choose(KubernetesRunnerSpec(type="kubernetes", config={"oauthToken": "x"}), settings)


def _live_client() -> KubeClient | None:
    try:
        return KubeClient(kube_api.load())
    except KubeError:
        return None


_LIVE = _live_client()


@pytest.mark.skipif(_LIVE is None or not _LIVE.reachable(), reason="no Kubernetes cluster reachable (in-cluster or KUBECONFIG)")
def test_live_cluster(tmp_path: Path) -> None:
    assert _LIVE is not None
    (tmp_path / "in.txt").write_text("live")
    runner = KubernetesRunner(KubeOptions(image="busybox:1.36"), _LIVE.config, _LIVE)
    lines = Lines()
    code = asyncio.run(runner.run(_spec(tmp_path, "cat in.txt; echo out > result.txt"), lines))
    assert code == 0 and lines.out == ["live"] and (tmp_path / "result.txt").read_text() == "out\n"


def test_a_cluster_the_flow_names_passes_the_ssrf_guard_before_any_request(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, fake: FakeKubeApi) -> None:
    """The task runner's `config.masterUrl` comes from the flow: an internal address is refused before the runner
    sends anything there (as the Kubernetes tasks and every HTTP task refuse it), unless the operator allows it."""
    from legato.plugins.context import TaskFailed
    from legato.plugins.core import netguard
    from legato.runners import select

    settings = select.RunnerSettings(environ={"HOME": str(tmp_path)}, docker_fallback="process",
                                     address_check=netguard.resolve_checked)
    spec = KubernetesRunnerSpec(type="kubernetes", config={"masterUrl": fake.url, "oauthToken": "x"})
    monkeypatch.delenv(netguard.ENV_ALLOWED, raising=False)
    with pytest.raises(TaskFailed, match=r"refusing to connect to 127\.0\.0\.1"):
        select.choose(spec, settings, image="python:3.12")
    assert fake.requests == []
    monkeypatch.setenv(netguard.ENV_ALLOWED, "127.0.0.1/32")
    assert select.choose(spec, settings, image="python:3.12").runner.name == "kubernetes"
