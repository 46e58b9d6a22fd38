"""docs/plugins.md, followed word for word: the files it shows are written as they are, the package is
installed (into a target directory on the Python path, rather than into the test environment), and the
commands it gives are run: `legato plugins list` shows the family with its version, the flows validate, and
the flow runs to SUCCESS with the output and logs the guide promises. Also the missing-extra message, and
LEGATO_EXTRA_PLUGINS for a package not installed."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "plugins.md"
BIN = Path(sys.executable).parent


def write_guide_files(into: Path) -> list[str]:
    """Every `File \\`path\\`:` block of the guide, written under `into`; their paths."""
    files = re.findall(r"File `([^`]+)`:\n\n```\w*\n(.*?)```", GUIDE.read_text(), re.S)
    for path, body in files:
        target = into / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(body)
    return [path for path, _ in files]


def legato(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / "legato"), *args], cwd=cwd, env={**os.environ, **env}, capture_output=True,
                          text=True, timeout=180)


def test_write_your_first_plugin(tmp_path: Path) -> None:
    assert write_guide_files(tmp_path) == ["acme-legato/pyproject.toml", "acme-legato/acme_legato/__init__.py",
                                           "hello_acme.yaml", "watch_acme.yaml"]
    site = tmp_path / "site"
    # `pip install ./acme-legato`, into a directory of its own so that the test environment stays as locked
    installed = subprocess.run([str(BIN / "uv"), "pip", "install", "--quiet", "--no-deps", "--python", sys.executable,
                                "--target", str(site), "./acme-legato"], cwd=tmp_path, capture_output=True, text=True,
                               timeout=300)
    assert installed.returncode == 0, installed.stderr
    env = {"PYTHONPATH": str(site)}

    listed = legato("plugins", "list", cwd=tmp_path, env=env)
    assert listed.returncode == 0, listed.stderr
    assert re.search(r"^acme\s+0\.1\.0\s+acme-legato\s+3\s+ok$", listed.stdout, re.M), listed.stdout
    families = [json.loads(line) for line in legato("plugins", "list", "--json", cwd=tmp_path, env=env).stdout.splitlines()]
    acme = next(f for f in families if f["name"] == "acme")
    assert acme["types"] == ["acme.FileChanged", "acme.Greet", "acme.Ticker"]

    valid = legato("flow", "validate", "hello_acme.yaml", "watch_acme.yaml", cwd=tmp_path, env=env)
    assert valid.returncode == 0 and "2 valid, 0 invalid" in valid.stderr + valid.stdout, valid.stderr

    ran = legato("flow", "run", "hello_acme.yaml", "--input", "who=World", "--output", "json", cwd=tmp_path, env=env)
    assert ran.returncode == 0, ran.stderr
    execution = json.loads(ran.stdout)
    assert execution["state"]["current"] == "SUCCESS" and execution["outputs"] == {"greeting": "Hello World!"}
    assert ran.stderr.count("INFO  greet #1: Hello World!") == 2  # the logs, on stderr

    # Without installing: the module named in LEGATO_EXTRA_PLUGINS, found on the Python path.
    dev = legato("flow", "validate", "hello_acme.yaml", cwd=tmp_path,
                 env={"PYTHONPATH": str(tmp_path / "acme-legato"), "LEGATO_EXTRA_PLUGINS": "acme_legato"})
    assert dev.returncode == 0, dev.stderr


MISSING = """
import sys
sys.modules["pyarrow"] = None  # as if the serdes extra were not installed: `import pyarrow` fails
from legato.cli.main import main
sys.argv = ["legato", *sys.argv[1:]]
main()
"""

PARQUET_FLOW = """id: to_parquet
namespace: company.team
tasks:
  - id: write
    type: io.kestra.plugin.serdes.parquet.IonToParquet
    from: "{{ inputs.file }}"
"""


def test_a_flow_needing_a_missing_extra_fails_validation_with_the_pip_line(tmp_path: Path) -> None:
    (tmp_path / "flow.yaml").write_text(PARQUET_FLOW)
    done = subprocess.run([sys.executable, "-c", MISSING, "flow", "validate", "flow.yaml"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert ("flow.yaml:5:11: tasks[0].type: task type 'io.kestra.plugin.serdes.parquet.IonToParquet' needs the Python "
            "package(s) pyarrow, not installed: run pip install 'legato[serdes]'") in done.stderr
    listed = subprocess.run([sys.executable, "-c", MISSING, "plugins", "list"], cwd=tmp_path, capture_output=True,
                            text=True, timeout=120)
    assert re.search(r"^serdes .* 2 type\(s\) need: pip install 'legato\[serdes\]'$", listed.stdout, re.M), listed.stdout
    (tmp_path / "csv.yaml").write_text(PARQUET_FLOW.replace("parquet.IonToParquet", "csv.IonToCsv"))
    fine = subprocess.run([sys.executable, "-c", MISSING, "flow", "validate", "csv.yaml"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert fine.returncode == 0, fine.stderr  # the family's other formats need nothing more
