"""`inputFiles` on PodCreate against the Kubernetes API server emulator (tests/kube_emulator.py, a test double: no
cluster runs here; its init containers run as local processes with their real environment): the files reach
`{{ workingDir }}` before the pod's containers start, unpacked by `init-files` from the archive the pod spec
carries, and a container's output goes back through `outputFiles`."""

from __future__ import annotations

import hashlib
import os

import pytest
from tests.integration.fs.conftest import Tasks
from tests.integration.kubernetes.conftest import connection
from tests.kube_emulator import KubeEmulator

from legato.plugins.context import TaskFailed

POD = """\
id: pod
type: io.kestra.plugin.kubernetes.core.PodCreate
metadata: {{name: {name}}}
delete: false
spec:
  containers:
    - name: main
      image: ubuntu:24.04
      command: [/bin/sh, -c, '{command}']
"""


def test_a_container_reads_an_input_file_and_hands_back_an_output(kube: KubeEmulator, tasks: Tasks) -> None:
    outputs = tasks.run(POD.format(name="upper", command="tr a-z A-Z < {{ workingDir }}/in/data.csv > {{ workingDir }}/out.csv")
                        + "inputFiles:\n  in/data.csv: |\n    id,name\n    1,{{ 'ada' }}\noutputFiles: [out.csv]\n"
                        + connection(kube))
    assert tasks.storage.get(outputs["outputFiles"]["out.csv"]) == b"ID,NAME\n1,ADA\n"
    spec = kube.objects[("api/v1", "pods", "default", "upper")]["spec"]
    init = spec["initContainers"][0]
    assert (init["name"], init["image"]) == ("init-files", "busybox")
    assert [e["name"] for e in init["env"]] == ["LEGATO_INPUT_FILES_0"]
    assert "tar -xzf - -C /kestra/working-dir" in init["command"][2]


def test_input_files_alone_get_the_volume_and_init_container_but_no_sidecar(kube: KubeEmulator, tasks: Tasks) -> None:
    first = tasks.run(POD.format(name="producer", command="echo 42 > {{ workingDir }}/answer.txt")
                      + "outputFiles: [answer.txt]\n" + connection(kube))
    uri = first["outputFiles"]["answer.txt"]
    assert uri.startswith("kestra:///")
    outputs = tasks.run(POD.format(name="consumer", command='echo "::{\\"outputs\\":{\\"answer\\":$(cat {{ workingDir }}/answer.txt)}}::"')
                        + f"inputFiles:\n  answer.txt: '{uri}'\n" + connection(kube))
    assert outputs["vars"] == {"answer": 42}  # the content of the kestra:/// file, not its URI
    spec = kube.objects[("api/v1", "pods", "default", "consumer")]["spec"]
    assert [c["name"] for c in spec["initContainers"]] == ["init-files"]
    assert {"name": "kestra-files", "emptyDir": {}} in spec["volumes"]
    assert spec["containers"][0]["volumeMounts"] == [{"name": "kestra-files", "mountPath": "/kestra"}]


def test_a_large_input_is_split_over_environment_variables(kube: KubeEmulator, tasks: Tasks) -> None:
    data = os.urandom(200 * 1024).hex()[: 200 * 1024]  # hex compresses about half: ~135 KiB of base64, over one chunk
    outputs = tasks.run(POD.format(name="big", command="sha256sum {{ workingDir }}/big.txt | cut -c1-64 > {{ workingDir }}/sum")
                        + f"inputFiles:\n  big.txt: '{data}'\noutputFiles: [sum]\n" + connection(kube))
    assert tasks.storage.get(outputs["outputFiles"]["sum"]).strip() == hashlib.sha256(data.encode()).hexdigest().encode()
    env = kube.objects[("api/v1", "pods", "default", "big")]["spec"]["initContainers"][0]["env"]
    assert len(env) > 1 and all(len(e["value"]) <= 96 * 1024 for e in env)


def test_inputs_too_large_for_a_pod_spec_are_a_clear_error(kube: KubeEmulator, tasks: Tasks) -> None:
    data = os.urandom(450 * 1024).hex()  # 900 KiB of hex: ~600 KiB once gzip'd and base64-encoded
    with pytest.raises(TaskFailed, match=r"inputFiles take \d+ KiB in the pod spec .* over the limit of 512 KiB"):
        tasks.run(POD.format(name="huge", command="true") + f"inputFiles:\n  huge.txt: '{data}'\n" + connection(kube))
    assert ("api/v1", "pods", "default", "huge") not in kube.objects  # refused before any pod is created


@pytest.mark.parametrize("name", ["../escape.txt", "/etc/passwd", "a/../../b"])
def test_input_names_stay_inside_the_working_dir(kube: KubeEmulator, tasks: Tasks, name: str) -> None:
    with pytest.raises(TaskFailed, match="must be a relative path inside the working directory"):
        tasks.run(POD.format(name="escape", command="true") + f"inputFiles:\n  '{name}': x\n" + connection(kube))
    assert ("api/v1", "pods", "default", "escape") not in kube.objects
