"""The Elasticsearch blueprint and the OpenSearch example run unchanged with `legato flow run` against the
search cluster test double (the operator's LEGATO_HTTP_ALLOWED_NETWORKS lets the flow reach 127.0.0.1)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.flow_cli import ALLOW_LOOPBACK, blueprint, run_flow
from tests.integration.elasticsearch.double import SearchDouble
from tests.integration.objectstore_support import ROOT


def test_elasticsearch_blueprint_runs_green(tmp_path: Path) -> None:
    double = SearchDouble("application/vnd.elasticsearch+json;compatible-with=8")
    with double.serve() as url:
        source = blueprint("elasticsearch_bulk_and_search").replace("http://localhost:9200", url)
        done = run_flow(source, tmp_path, env=ALLOW_LOOPBACK)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert sorted(double.indices["products"]) == ["1", "2", "3", "4"]
    assert '3 bulk operations; 2 kitchen products from 50: ["blender","toaster"]; 3 kitchen products in all' in done.stdout + done.stderr


def test_opensearch_example_runs_green(tmp_path: Path) -> None:
    double = SearchDouble()
    with double.serve() as url:
        source = (ROOT / "examples" / "opensearch.yaml").read_text().replace("http://localhost:9200", url)
        done = run_flow(source, tmp_path, env=ALLOW_LOOPBACK)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    found: dict[str, Any] = double.indices["logs"]
    assert len(found) == 3 and "2 error(s) on web-1" in done.stdout + done.stderr
