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

    venv = tmp_path / "venv"
    subprocess.run([str(uv), "venv", "-q", "--python", sys.executable, str(venv)], check=True, timeout=120)
    subprocess.run([str(uv), "pip", "install", "-q", "--python", str(venv / "bin" / "python"), str(wheel)],
                   check=True, timeout=600)
    done = subprocess.run([str(venv / "bin" / "legato"), "flow", "run", str(ROOT / "examples" / "hello.yaml"),
                           "--input", "name=Wheel"], capture_output=True, text=True, timeout=120, cwd=tmp_path,
                          check=False)
    assert done.returncode == 0, done.stderr
    assert 'Outputs: {"shout": "WHEEL"}' in done.stdout
