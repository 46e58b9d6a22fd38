"""`outputFiles` on the Kubernetes tasks against the Kubernetes API server emulator (tests/kube_emulator.py, a test
double: no cluster runs here): PodCreate hands back the files its containers wrote under `{{ workingDir }}`
through the `out-files` native sidecar, as Kestra's blueprints expect; kubectl.Get accepts the property and ignores
it, as Kestra does."""

from __future__ import annotations

import pytest
from tests.integration.fs.conftest import Tasks
from tests.integration.kubernetes.conftest import connection
from tests.kube_emulator import KubeEmulator

from legato.flows import parse_flow
from legato.plugins.context import TaskFailed
from legato.plugins.kubernetes.pod import archive_in

GPU_POD = """\
id: run_gpu_pod
type: io.kestra.plugin.kubernetes.core.PodCreate
namespace: gpu-jobs
waitUntilRunning: PT1M
metadata: {name: train}
delete: false
spec:
  containers:
    - name: train
      image: nvidia/cuda:12.4.0-runtime-ubuntu22.04
      command:
        - bash
        - -c
        - 'nvidia-smi > {{ workingDir }}/result.txt 2>&1 || echo "no gpu" > {{ workingDir }}/result.txt; mkdir -p {{ workingDir }}/out; echo 1,2 > {{ outputFiles["out/data.csv"] }}; echo skip > {{ workingDir }}/other.log'
  restartPolicy: Never
outputFiles:
  - result.txt
  - out/data.csv
"""


def test_a_pod_hands_back_its_output_files(kube: KubeEmulator, tasks: Tasks) -> None:
    outputs = tasks.run(GPU_POD + connection(kube))
    assert set(outputs["outputFiles"]) == {"result.txt", "out/data.csv"}  # other.log matches no glob
    assert tasks.storage.get(outputs["outputFiles"]["result.txt"]) == b"no gpu\n"
    assert tasks.storage.get(outputs["outputFiles"]["out/data.csv"]) == b"1,2\n"
    assert outputs["outputFiles"]["result.txt"].startswith("kestra:///")
    pod = kube.objects[("api/v1", "pods", "gpu-jobs", "train")]["spec"]
    # Kestra's layout: the files volume at /kestra in every container, init-files then the out-files sidecar
    assert pod["containers"][0]["volumeMounts"] == [{"name": "kestra-files", "mountPath": "/kestra"}]
    assert [(c["name"], c.get("restartPolicy"), c["image"]) for c in pod["initContainers"]] == [
        ("init-files", None, "busybox"), ("out-files", "Always", "busybox")]
    assert {"name": "kestra-files", "emptyDir": {}} in pod["volumes"]
    # the containers wait for the sidecar to have set its trap: a pod that ends at once still hands its files back
    assert pod["initContainers"][1]["startupProbe"]["exec"]["command"] == ["test", "-f", "/kestra/.out-files-ready"]
    assert "/kestra/working-dir/result.txt" in pod["containers"][0]["command"][2]


def test_the_sidecar_image_and_a_glob(kube: KubeEmulator, tasks: Tasks) -> None:
    outputs = tasks.run("""\
id: pod
type: io.kestra.plugin.kubernetes.core.PodCreate
metadata: {name: globbed}
delete: false
fileSidecar: {image: alpine:3.20, resources: {limits: {memory: 64Mi}}}
spec:
  containers:
    - name: main
      image: ubuntu:24.04
      command: [/bin/sh, -c, 'cd {{ workingDir }} && echo a > a.json && echo b > b.json && echo c > c.txt']
    - name: out-files
      image: user-image
outputFiles: ["*.json"]
""" + connection(kube))
    assert sorted(outputs["outputFiles"]) == ["a.json", "b.json"]
    spec = kube.objects[("api/v1", "pods", "default", "globbed")]["spec"]
    assert [c["name"] for c in spec["containers"]] == ["main"]  # the reserved name was replaced, as Kestra does
    assert {c["image"] for c in spec["initContainers"]} == {"alpine:3.20"}
    assert spec["initContainers"][1]["resources"] == {"limits": {"memory": "64Mi"}}
    assert any("reserved for the file transfer" in m for m in tasks.messages())


def test_no_files_are_kept_from_a_failed_pod(kube: KubeEmulator, tasks: Tasks) -> None:
    with pytest.raises(TaskFailed, match=r"Pod 'broken' ended Failed \(container 'main' exited with code 2\)") as failed:
        tasks.run("id: pod\ntype: io.kestra.plugin.kubernetes.core.PodCreate\nmetadata: {name: broken}\n"
                  "spec:\n  containers:\n    - name: main\n      image: busybox\n"
                  "      command: [/bin/sh, -c, 'echo x > {{ workingDir }}/x.txt; exit 2']\n"
                  "outputFiles: [x.txt]\n" + connection(kube))
    assert "outputFiles" not in failed.value.outputs


def test_a_sidecar_that_prints_nothing_is_a_clear_error() -> None:
    assert archive_in("idle\nLEGATO-FILES-BEGIN-n1\n", "n1") is None
    assert archive_in("LEGATO-FILES-BEGIN-n2\naGk=\nLEGATO-FILES-END-n2\n", "n1") is None
    assert archive_in("x\nLEGATO-FILES-BEGIN-n1\naGk=\nLEGATO-FILES-END-n1\n", "n1") == b"hi"


def test_kubectl_get_accepts_output_files_and_ignores_them(kube: KubeEmulator, tasks: Tasks) -> None:
    tasks.run("id: cm\ntype: io.kestra.plugin.kubernetes.kubectl.Apply\n"
              "spec: '{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\", \"metadata\": {\"name\": \"settings\"}}'\n" + connection(kube))
    flow = parse_flow(f"""\
id: monitor
namespace: company.team
tasks:
  - id: collect
    type: io.kestra.plugin.kubernetes.kubectl.Get
    resourceType: configmaps
    outputFiles:
      - configmaps.json
pluginDefaults:
  - type: io.kestra.plugin.kubernetes.kubectl.Get
    values:
      fetchType: STORE
      namespace: default
      connection: {{masterUrl: "{kube.url}", oauthToken: emulator-token}}
""")
    outputs = tasks.run(flow.task("collect").model_dump(mode="json", by_alias=True, exclude_none=True))  # type: ignore[arg-type]
    assert outputs["size"] == 1 and "outputFiles" not in outputs
    assert b"settings" in tasks.storage.get(outputs["uri"])
    assert any("'outputFiles' has no effect on this task" in m for m in tasks.messages())
