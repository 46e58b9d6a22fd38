"""The Helm chart deploy/helm/legato: `helm lint --strict` and `helm template` with the real Helm binary (`make
tools` puts it in tools/bin), and the rendered manifests checked for what an operator relies on: one Deployment
per role running `legato server <role>`, probes on /health and /ready at the port each role serves them on, non-root
pods, settings from a ConfigMap Legato accepts, secrets from a Secret, workers autoscaled on the queue-depth metric
Legato exports, and PostgreSQL bundled or external."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from tests.services import unavailable

from legato import config

ROOT = Path(__file__).resolve().parents[3]
CHART = ROOT / "deploy" / "helm" / "legato"
ROLES = ("webserver", "executor", "scheduler", "worker")


def helm() -> str:
    found = ROOT / "tools" / "bin" / "helm"
    if found.is_file():
        return str(found)
    on_path = shutil.which("helm")
    if on_path is None:
        unavailable("helm", "not in tools/bin (run `make tools`) nor on PATH")
    assert on_path is not None
    return on_path


def render(*sets: str) -> list[dict[str, Any]]:
    args = [item for s in sets for item in ("--set", s)]
    out = subprocess.run([helm(), "template", "rel", str(CHART), "--namespace", "ops", *args],
                         capture_output=True, text=True, timeout=60, check=True)
    return [doc for doc in yaml.safe_load_all(out.stdout) if doc]


def by_kind(docs: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def test_helm_lint_strict() -> None:
    out = subprocess.run([helm(), "lint", "--strict", str(CHART)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "1 chart(s) linted, 0 chart(s) failed" in out.stdout


def test_default_render_runs_every_role_on_the_bundled_postgresql(tmp_path: Path) -> None:
    docs = render()
    deployments = by_kind(docs, "Deployment")
    assert set(deployments) == {f"rel-legato-{r}" for r in ROLES}
    for role in ROLES:
        pod = deployments[f"rel-legato-{role}"]["spec"]["template"]["spec"]
        (container,) = pod["containers"]
        assert container["args"] == ["server", role]
        assert pod["securityContext"]["runAsNonRoot"] is True and pod["securityContext"]["runAsUser"] == 10001
        assert container["securityContext"]["allowPrivilegeEscalation"] is False
        port = 8080 if role == "webserver" else 8081
        assert container["livenessProbe"]["httpGet"] == {"path": "/health", "port": port}
        assert container["readinessProbe"]["httpGet"] == {"path": "/ready", "port": port}
        env = {e["name"]: e for e in container["env"]}
        assert env["LEGATO_DATABASE_URL"]["valueFrom"]["secretKeyRef"]["key"] == "database-url"
        if role != "webserver":
            assert env["LEGATO_PROBE_PORT"]["value"] == "8081" and env["LEGATO_PROBE_HOST"]["value"] == "0.0.0.0"
    worker = deployments["rel-legato-worker"]["spec"]["template"]["spec"]
    assert worker["terminationGracePeriodSeconds"] == 75  # drainSeconds + 15
    assert set(by_kind(docs, "StatefulSet")) == {"rel-legato-postgresql"}
    secret = by_kind(docs, "Secret")["rel-legato-secrets"]["stringData"]
    assert secret["database-url"] == "postgresql://legato:legato@rel-legato-postgresql:5432/legato"
    assert len(secret["encryption-key"]) == 44  # base64 of 32 random bytes
    settings_file = tmp_path / "legato.yml"
    settings_file.write_text(by_kind(docs, "ConfigMap")["rel-legato-config"]["data"]["legato.yml"])
    settings = config.load(settings_file)  # the settings Legato itself would read from the ConfigMap
    assert settings.logging.format == "json" and str(settings.retention.executions) == "30 days, 0:00:00"
    assert not by_kind(docs, "HorizontalPodAutoscaler")


def test_external_database_s3_storage_and_queue_depth_autoscaling() -> None:
    docs = render("postgresql.enabled=false", "database.url=postgresql://u:p@db.example:5432/legato",
                  "storage.type=s3", "storage.s3.url=s3://bucket/legato", "storage.s3.existingSecret=s3-creds",
                  "worker.autoscaling.enabled=true", "worker.autoscaling.maxReplicas=30")
    assert not by_kind(docs, "StatefulSet") and not by_kind(docs, "PersistentVolumeClaim")
    assert by_kind(docs, "Secret")["rel-legato-secrets"]["stringData"]["database-url"].startswith("postgresql://u:p@db.example")
    worker = by_kind(docs, "Deployment")["rel-legato-worker"]
    assert "replicas" not in worker["spec"]  # the HPA owns it
    (container,) = worker["spec"]["template"]["spec"]["containers"]
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert env["LEGATO_STORAGE_URL"] == "s3://bucket/legato" and "LEGATO_STORAGE_ROOT" not in env
    assert container["envFrom"] == [{"secretRef": {"name": "s3-creds"}}]
    (hpa,) = by_kind(docs, "HorizontalPodAutoscaler").values()
    assert hpa["spec"]["scaleTargetRef"]["name"] == "rel-legato-worker" and hpa["spec"]["maxReplicas"] == 30
    (metric,) = hpa["spec"]["metrics"]
    assert metric["external"]["metric"]["name"] == "legato_queue_depth"
    exported = (ROOT / "src" / "legato" / "api" / "metrics.py").read_text()
    assert 'GaugeMetricFamily("legato_queue_depth"' in exported  # the metric the HPA follows is one Legato exports


@pytest.mark.parametrize(("sets", "message"), [
    (("storage.type=s3",), "storage.s3.url is required"),
    (("storage.type=nfs",), "value must be one of 'pvc', 's3'"),
    (("postgresql.enabled=false",), "set database.url"),
    (("database.url=mysql://x",), "database/url"),
])
def test_bad_values_are_refused_with_the_setting_named(sets: tuple[str, ...], message: str) -> None:
    args = [item for s in sets for item in ("--set", s)]
    out = subprocess.run([helm(), "template", "rel", str(CHART), *args], capture_output=True, text=True, timeout=60)
    assert out.returncode != 0 and message in out.stderr, out.stderr
