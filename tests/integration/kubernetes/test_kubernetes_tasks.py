"""The kubernetes.* tasks with lightkube against the Kubernetes API server emulator (tests/kube_emulator.py, a
test double: no cluster runs here): server-side apply, get in each fetchType, the three patch strategies,
delete, a rolling restart, and a pod run to completion with its logs' outputs."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from tests.dns_double import fake_dns
from tests.integration.fs.conftest import Tasks
from tests.integration.kubernetes.conftest import connection
from tests.kube_emulator import KubeEmulator
from tests.unit.plugins.test_http_guard import _tls_server

from legato.plugins.context import TaskFailed
from legato.plugins.kubernetes.connection import _pinned

DEPLOYMENT = """\
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: web
      labels: {app: web}
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
              resources: {limits: {memory: 128Mi}}
            - name: sidecar
              image: busybox
    ---
    apiVersion: v1
    kind: ConfigMap
    metadata:
      name: settings
    data:
      mode: "{{ 'fast' | upper }}"
"""


def _task(kube: KubeEmulator, body: str) -> str:
    return body + connection(kube)


def test_apply_get_patch_delete(kube: KubeEmulator, tasks: Tasks) -> None:
    applied = tasks.run(_task(kube, f"id: apply\ntype: io.kestra.plugin.kubernetes.kubectl.Apply\nnamespace: shop\n"
                                    f"waitUntilReady: PT10S\nspec: |\n{DEPLOYMENT}"))
    assert [(m["name"], m["namespace"]) for m in applied["metadata"]] == [("web", "shop"), ("settings", "shop")]
    assert applied["metadata"][0]["managedFields"][0]["manager"] == "legato"
    assert ("PATCH", "/apis/apps/v1/namespaces/shop/deployments/web", "application/apply-patch+yaml") in kube.requests
    assert ("PATCH", "/api/v1/namespaces/shop/configmaps/settings", "application/apply-patch+yaml") in kube.requests
    assert kube.objects[("api/v1", "configmaps", "shop", "settings")]["data"] == {"mode": "FAST"}

    one = tasks.run(_task(kube, "id: get\ntype: io.kestra.plugin.kubernetes.kubectl.Get\nnamespace: shop\n"
                                "resourceType: deployments\nresourcesNames: [web, missing]\nfetchType: FETCH_ONE\n"))
    assert one["size"] == 1 and one["metadataItem"]["name"] == "web"
    assert one["statusItem"]["status"]["readyReplicas"] == 2
    every = tasks.run(_task(kube, "id: get\ntype: io.kestra.plugin.kubernetes.kubectl.Get\nnamespace: shop\n"
                                  "resourceType: ConfigMap\nfetchType: FETCH\n"))
    assert [m["name"] for m in every["metadataItems"]] == ["settings"] and every["size"] == 1
    stored = tasks.run(_task(kube, "id: get\ntype: io.kestra.plugin.kubernetes.kubectl.Get\nnamespace: shop\n"
                                   "resourceType: deployments\nfetchType: STORE\n"))
    lines = tasks.storage.get(stored["uri"]).decode().splitlines()
    assert stored["size"] == 1 and json.loads(lines[0])["metadata"]["name"] == "web"

    strategic = tasks.run(_task(kube, "id: patch\ntype: io.kestra.plugin.kubernetes.kubectl.Patch\nnamespace: shop\n"
                                      "resourceType: deployments\nresourceName: web\npatch: |\n"
                                      "  {\"spec\": {\"template\": {\"spec\": {\"containers\": [{\"name\": \"web\", "
                                      "\"resources\": {\"limits\": {\"memory\": \"256Mi\"}}}]}}}}\n"))
    containers = kube.objects[("apis/apps/v1", "deployments", "shop", "web")]["spec"]["template"]["spec"]["containers"]
    assert [(c["name"], c.get("resources")) for c in containers] == [
        ("web", {"limits": {"memory": "256Mi"}}), ("sidecar", None)]  # merged by name: the sidecar stays
    assert strategic["metadata"]["name"] == "web"
    scaled = tasks.run(_task(kube, "id: patch\ntype: io.kestra.plugin.kubernetes.kubectl.Patch\nnamespace: shop\n"
                                   "resourceType: deployments\nresourceName: web\npatchStrategy: JSON_PATCH\npatch: |\n"
                                   "  [{\"op\": \"test\", \"path\": \"/spec/replicas\", \"value\": 2},\n"
                                   "   {\"op\": \"replace\", \"path\": \"/spec/replicas\", \"value\": 5}]\n"))
    assert scaled["status"]["status"]["replicas"] == 5
    tasks.run(_task(kube, "id: patch\ntype: io.kestra.plugin.kubernetes.kubectl.Patch\nnamespace: shop\n"
                          "resourceType: deployments\nresourceName: web\npatchStrategy: JSON_MERGE\n"
                          "patch: '{\"metadata\": {\"labels\": {\"app\": null, \"tier\": \"front\"}}}'\n"))
    assert kube.objects[("apis/apps/v1", "deployments", "shop", "web")]["metadata"]["labels"] == {"tier": "front"}
    with pytest.raises(TaskFailed, match="test failed"):
        tasks.run(_task(kube, "id: patch\ntype: io.kestra.plugin.kubernetes.kubectl.Patch\nnamespace: shop\n"
                              "resourceType: deployments\nresourceName: web\npatchStrategy: JSON_PATCH\n"
                              "patch: '[{\"op\": \"test\", \"path\": \"/spec/replicas\", \"value\": 2}]'\n"))

    tasks.run(_task(kube, "id: delete\ntype: io.kestra.plugin.kubernetes.kubectl.Delete\nnamespace: shop\n"
                          "resourceType: deployments\nresourcesNames: [web, gone]\n"))
    assert ("apis/apps/v1", "deployments", "shop", "web") not in kube.objects
    assert "Deployment 'gone' not found in namespace 'shop': nothing to delete" in tasks.messages()


def test_restart_annotates_each_pod_template_as_kubectl_rollout_restart(kube: KubeEmulator, tasks: Tasks) -> None:
    tasks.run(_task(kube, f"id: apply\ntype: io.kestra.plugin.kubernetes.kubectl.Apply\nnamespace: shop\nspec: |\n{DEPLOYMENT}"))
    tasks.run(_task(kube, "id: restart\ntype: io.kestra.plugin.kubernetes.kubectl.Restart\nnamespace: shop\n"
                          "resourceType: Deployment\nresourcesNames: ['{{ \"web\" }}']\nwaitUntilReady: PT10S\n"))
    assert ("PATCH", "/apis/apps/v1/namespaces/shop/deployments/web",
            "application/strategic-merge-patch+json") in kube.requests
    template = kube.objects[("apis/apps/v1", "deployments", "shop", "web")]["spec"]["template"]
    assert set(template["metadata"]["annotations"]) == {"kubectl.kubernetes.io/restartedAt"}
    assert template["metadata"]["labels"] == {"app": "web"} and len(template["spec"]["containers"]) == 2
    assert "Restarted Deployment 'web' in namespace 'shop'" in tasks.messages()
    with pytest.raises(TaskFailed, match="restarting StatefulSet 'db'"):
        tasks.run(_task(kube, "id: restart\ntype: io.kestra.plugin.kubernetes.kubectl.Restart\nnamespace: shop\n"
                              "resourceType: StatefulSet\nresourcesNames: [db]\n"))


def test_a_custom_resource(kube: KubeEmulator, tasks: Tasks) -> None:
    tasks.run(_task(kube, "id: apply\ntype: io.kestra.plugin.kubernetes.kubectl.Apply\nnamespace: default\nspec: |\n"
                          "  apiVersion: stable.example.com/v1\n  kind: Shirt\n  metadata:\n    name: blue\n"
                          "  spec:\n    size: M\n"))
    got = tasks.run(_task(kube, "id: get\ntype: io.kestra.plugin.kubernetes.kubectl.Get\nresourceType: shirts\n"
                                "apiGroup: stable.example.com\napiVersion: v1\nresourcesNames: [blue]\nfetchType: FETCH_ONE\n"))
    assert got["metadataItem"]["name"] == "blue"
    assert ("GET", "/apis/stable.example.com/v1/namespaces/default/shirts/blue", "") in kube.requests


def test_a_pod_runs_to_completion_and_is_deleted(kube: KubeEmulator, tasks: Tasks) -> None:
    outputs = tasks.run(_task(kube, """\
id: pod
type: io.kestra.plugin.kubernetes.PodCreate
namespace: jobs
metadata:
  name: compute
spec:
  containers:
    - name: main
      image: ubuntu:24.04
      command: [/bin/sh, -c]
      args:
        - echo "computing {{ 6 * 7 }}"; echo '::{"outputs":{"answer":42}}::'
"""))
    assert outputs["vars"] == {"answer": 42}
    assert outputs["status"]["phase"] == "Succeeded" and outputs["metadata"]["name"] == "compute"
    assert outputs["metadata"]["labels"] == {"app.kubernetes.io/managed-by": "legato"}
    assert "computing 42" in tasks.messages()
    assert ("api/v1", "pods", "jobs", "compute") not in kube.objects  # deleted once ended


def test_a_failing_pod_fails_the_task(kube: KubeEmulator, tasks: Tasks) -> None:
    with pytest.raises(TaskFailed, match=r"Pod 'broken' ended Failed \(container 'main' exited with code 3\)"):
        tasks.run(_task(kube, "id: pod\ntype: io.kestra.plugin.kubernetes.core.PodCreate\nmetadata: {name: broken}\n"
                              "spec:\n  containers:\n    - name: main\n      image: busybox\n"
                              "      command: [/bin/sh, -c, 'echo oops; exit 3']\n"))
    assert "oops" in tasks.messages()


def test_a_bad_token_is_a_clear_error(kube: KubeEmulator, tasks: Tasks) -> None:
    with pytest.raises(TaskFailed, match=r"Failed to interact with Kubernetes API while fetching pods: .*401"):
        tasks.run("id: get\ntype: io.kestra.plugin.kubernetes.kubectl.Get\nresourceType: pods\nfetchType: FETCH\n"
                  + connection(kube, token="wrong"))


def test_the_api_server_is_reached_at_the_address_the_guard_checked(
        kube: KubeEmulator, tasks: Tasks, monkeypatch: pytest.MonkeyPatch) -> None:
    """The guard's lookup (a stand-in DNS here) is the only one: `kube.invalid` resolves nowhere else, so the
    emulator is reached only at the checked address; a name resolving to an internal address the operator did
    not allow (the fixture allows 127.0.0.1 only) is refused."""
    looked_up = fake_dns(monkeypatch, {"kube.invalid": ["127.0.0.1"], "inside.test": ["127.0.0.2"]})
    get = "id: get\ntype: io.kestra.plugin.kubernetes.kubectl.Get\nresourceType: pods\nfetchType: FETCH\n"
    assert tasks.run(get + connection(kube).replace("127.0.0.1", "kube.invalid"))["size"] == 0
    assert looked_up == ["kube.invalid"]
    with pytest.raises(TaskFailed, match=r"refusing to connect to inside\.test \(127\.0\.0\.2\)"):
        tasks.run(get + connection(kube).replace("127.0.0.1", "inside.test"))


@pytest.mark.parametrize(("name", "verified"), [("localhost", True), ("elsewhere.test", False)])
def test_tls_to_the_checked_address_checks_the_certificate_against_the_name(
        tmp_path: Path, name: str, verified: bool) -> None:
    import httpx2
    from lightkube.config.kubeconfig import KubeConfig

    httpd, _ = _tls_server(tmp_path, name)
    url = f"https://localhost:{httpd.server_address[1]}"
    ca = base64.b64encode((tmp_path / f"{name}.pem").read_bytes()).decode()
    config = KubeConfig.from_dict({
        "clusters": [{"name": "c", "cluster": {"server": url, "certificate-authority-data": ca}}],
        "users": [{"name": "u", "user": {"token": "t"}}],
        "contexts": [{"name": "x", "context": {"cluster": "c", "user": "u"}}], "current-context": "x"})
    try:
        with httpx2.Client(transport=_pinned(config, url, ["127.0.0.1"])) as http:
            if verified:
                assert http.get(f"{url}/version").json() == {"path": "/version", "host": f"localhost:{httpd.server_address[1]}"}
            else:
                with pytest.raises(httpx2.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
                    http.get(f"{url}/version")
    finally:
        httpd.shutdown()
