"""`pip install` of the built wheel gives a working `legato`, with its migrations, script helpers and UI inside."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def test_the_wheel_installs_and_runs_a_flow(tmp_path: Path) -> None:
    uv = Path(sys.executable).with_name("uv")
    subprocess.run([str(uv), "build", "--wheel", "-o", str(tmp_path / "dist"), "-q"], cwd=ROOT, check=True,
                   timeout=600)
    (wheel,) = (tmp_path / "dist").glob("legato-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert any(n.startswith("legato/store/migrations/versions/0001") for n in names)
    assert "legato/plugins/scripts/helpers/python/kestra/__init__.py" in names
    assert "legato/api/static/index.html" in names, "the built UI is not in the wheel"
    assert "legato/plugins/flow_schema.json" in names, "the flows' JSON Schema is not in the wheel"

    venv = tmp_path / "venv"
    subprocess.run([str(uv), "venv", "-q", "--python", sys.executable, str(venv)], check=True, timeout=120)
    subprocess.run([str(uv), "pip", "install", "-q", "--python", str(venv / "bin" / "python"), str(wheel)],
                   check=True, timeout=600)
    done = subprocess.run([str(venv / "bin" / "legato"), "flow", "run", str(ROOT / "examples" / "hello.yaml"),
                           "--input", "name=Wheel"], capture_output=True, text=True, timeout=120, cwd=tmp_path,
                          check=False)
    assert done.returncode == 0, done.stderr
    assert 'Outputs: {"shout": "WHEEL"}' in done.stdout
    # The installed schema file is current for the installed sources: a server serves it without building one.
    current = subprocess.run([str(venv / "bin" / "python"), "-c",
                              "from legato.plugins import schema_file; print(schema_file.stored() is not None)"],
                             capture_output=True, text=True, timeout=120, check=True)
    assert current.stdout.strip() == "True", current.stderr
    # Without extras, the optional families are listed with the pip line, and their built-in formats still run.
    listed = subprocess.run([str(venv / "bin" / "legato"), "plugins", "list"], capture_output=True, text=True,
                            timeout=120, check=True).stdout
    assert "pip install 'legato[serdes]'" in listed and "pip install 'legato[compress]'" not in listed
    assert "pip install 'legato[dbt]'" in listed and "pip install 'legato[gcp]'" in listed
    # A flow using a family whose extra is missing fails validation at the type, with the line to run.
    for blueprint, extra in (("dbt_duckdb_build", "dbt"), ("bigquery_query_to_csv", "gcp")):
        checked = subprocess.run([str(venv / "bin" / "legato"), "flow", "validate",
                                  str(ROOT / "src" / "legato" / "blueprints" / f"{blueprint}.yaml")],
                                 capture_output=True, text=True, timeout=120, check=False)
        assert checked.returncode == 1 and f"pip install 'legato[{extra}]'" in checked.stdout + checked.stderr, checked
    # Fivetran and Airbyte need nothing more than the core dependencies.
    elt = subprocess.run([str(venv / "bin" / "legato"), "flow", "validate", str(ROOT / "examples" / "airbyte.yaml")],
                         capture_output=True, text=True, timeout=120, check=False)
    assert elt.returncode == 0, elt.stdout + elt.stderr
    converted = subprocess.run([str(venv / "bin" / "legato"), "flow", "run",
                                str(ROOT / "src" / "legato" / "blueprints" / "csv_to_json.yaml")],
                               capture_output=True, text=True, timeout=120, cwd=tmp_path, check=False)
    assert converted.returncode == 0 and "SUCCESS" in converted.stdout, converted.stderr
