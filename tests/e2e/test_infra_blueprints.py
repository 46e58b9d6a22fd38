"""The infrastructure blueprints, each run end to end by `legato flow run` as a user would run it, against the
tests' servers: a real sshd (SSH and SFTP), real ansible-playbook, the Kubernetes API server emulator, the Jenkins
test double, and terraform where one is on PATH (it is not a Debian or PyPI package)."""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from tests.jenkins_double import TOKEN as JENKINS_TOKEN
from tests.jenkins_double import USER as JENKINS_USER
from tests.jenkins_double import jenkins_double
from tests.kube_emulator import TOKEN as KUBE_TOKEN
from tests.kube_emulator import kube_emulator
from tests.sshd import PASSWORD_USER, ssh_server

from legato.api.blueprints import all_blueprints

LEGATO = str(Path(sys.executable).parent / "legato")


def _run(tmp_path: Path, blueprint_id: str, inputs: dict[str, object], secrets: dict[str, str]) -> str:
    """Run the blueprint; its output (which ends with the execution's state)."""
    source = {b.id: b.source for b in all_blueprints()}[blueprint_id]
    flow = tmp_path / f"{blueprint_id}.yaml"
    flow.write_text(source)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LEGATO_", "SECRET_"))}
    env.update({"LEGATO_STORAGE_ROOT": str(tmp_path / "storage"), "LEGATO_HTTP_ALLOWED_NETWORKS": "127.0.0.1/32"})
    env.update({f"SECRET_{k}": base64.b64encode(v.encode()).decode() for k, v in secrets.items()})
    args = [LEGATO, "flow", "run", str(flow), *[a for k, v in inputs.items() for a in ("--input", f"{k}={v}")]]
    done = subprocess.run(args, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300, check=False)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-3000:]
    assert "SUCCESS" in done.stdout.splitlines()[-1], output[-3000:]
    return output


def test_ssh_remote_report(tmp_path: Path) -> None:
    with ssh_server(tmp_path / "repos", tmp_path / "sshd", password_home=tmp_path / "home") as sshd:
        output = _run(tmp_path, "ssh_remote_report", {"host": "127.0.0.1", "port": sshd.port, "username": PASSWORD_USER},
                      {"SSH_PASSWORD": sshd.password})
    assert "Total 42; 2 files on the server; summary total,42" in output
    assert (tmp_path / "home/reports/orders.csv").read_text().startswith("id,total")


def test_ansible_local_playbook(tmp_path: Path) -> None:
    output = _run(tmp_path, "ansible_local_playbook", {}, {})
    assert "Checked: true, " in output and " kB free" in output


@pytest.mark.skipif(shutil.which("terraform") is None, reason="no terraform on PATH (it is not a Debian or PyPI package)")
def test_terraform_apply(tmp_path: Path) -> None:
    output = _run(tmp_path, "terraform_apply", {"release": "v7"}, {})
    assert "Released v7" in output


def test_kubernetes_deploy(tmp_path: Path) -> None:
    with kube_emulator() as kube:
        output = _run(tmp_path, "kubernetes_deploy", {"masterUrl": kube.url, "namespace": "shop"}, {"K8S_TOKEN": KUBE_TOKEN})
        assert ("apis/apps/v1", "deployments", "shop", "web") in kube.objects
    assert "web had 2 ready replicas, now 3; migrated: true" in output


def test_jenkins_build(tmp_path: Path) -> None:
    with jenkins_double(["deploy-app"]) as jenkins:
        output = _run(tmp_path, "jenkins_build", {"serverUrl": jenkins.url, "job": "deploy-app", "buildNumber": 1},
                      {"JENKINS_API_TOKEN": JENKINS_TOKEN})
        assert jenkins.builds["deploy-app"][0]["actions"][0]["parameters"][0] == {"name": "branch", "value": "main"}
    assert "Build queued (201); build #1 ended SUCCESS" in output
    assert JENKINS_USER == "admin"  # the blueprint's user
