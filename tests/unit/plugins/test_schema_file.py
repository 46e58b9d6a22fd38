"""The flows' JSON Schema file made at install time: served while it matches the sources, ignored otherwise."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from legato.plugins import schema_file


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("schema") / "flow_schema.json"
    schema_file.write(path)
    return path


def test_the_file_holds_every_type_under_the_digest_of_its_sources(written: Path) -> None:
    head, _, body = written.read_bytes().partition(b"\n")
    assert head.decode() == schema_file.digest()
    assert schema_file.stored(written) == body
    schema = json.loads(body)
    tasks = schema["$defs"]["AnyTask"]["properties"]["type"]["enum"]
    assert "io.kestra.plugin.core.log.Log" in tasks and "io.kestra.plugin.scripts.python.Script" in tasks
    assert "io.kestra.plugin.core.trigger.Schedule" in schema["$defs"]["AnyTrigger"]["properties"]["type"]["enum"]
    assert not written.with_suffix(".partial").exists()


def test_a_file_made_from_other_sources_is_not_used(written: Path, tmp_path: Path) -> None:
    stale = tmp_path / "flow_schema.json"
    stale.write_bytes(b"0" * 32 + b"\n" + written.read_bytes().partition(b"\n")[2])
    assert schema_file.stored(stale) is None
    assert schema_file.stored(tmp_path / "missing.json") is None


def test_plugins_of_other_packages_make_the_process_build_its_own(written: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEGATO_EXTRA_PLUGINS", "tests.unit.plugins.lazy_types")
    assert schema_file.stored(written) is None


def test_the_digest_follows_a_change_of_a_plugin_source(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    package = tmp_path / "legato"
    for folder in ("model", "plugins"):
        (package / folder).mkdir(parents=True)
        (package / folder / "a.py").write_text("x = 1\n")
    monkeypatch.setattr(schema_file, "_ROOT", package)
    before = schema_file.digest()
    (package / "plugins" / "a.py").write_text("x = 2\n")
    assert schema_file.digest() != before
