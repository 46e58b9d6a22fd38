"""`envs` and `globals` of every expression, as in Kestra: environment variables with ENV_ or KESTRA_ (or the
configured prefix) in lower case without it, never Legato's own settings or secrets; globals from the config."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from legato import config, instance_vars
from legato.expressions import Renderer


@pytest.fixture(autouse=True)
def _reset() -> Iterator[None]:
    yield
    instance_vars.configure(None, None)


def render(template: str) -> str:
    return Renderer().render(template, {"envs": instance_vars.Envs(), "globals": instance_vars.globals_()})


def test_both_kestra_prefixes_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENV_MY_VAR", "new")
    monkeypatch.setenv("KESTRA_TEST2", "Pass by env")
    assert render("{{ envs.my_var }} / {{ envs.test2 }}") == "new / Pass by env"


def test_a_configured_prefix_replaces_them(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACME_REGION", "eu")
    monkeypatch.setenv("ENV_OTHER", "hidden")
    instance_vars.configure("ACME_", None)
    assert dict(instance_vars.Envs()) == {"region": "eu"}


def test_secrets_and_legato_settings_are_never_envs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECRET_TOKEN", "czNjcjN0")
    monkeypatch.setenv("LEGATO_DATABASE_URL", "postgresql://u:p@db/x")
    for prefix in ("SECRET_", "LEGATO_"):  # even when asked for
        instance_vars.configure(prefix, None)
        assert dict(instance_vars.Envs()) == {}


def test_globals_come_from_the_configuration(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    file = tmp_path / "legato.yml"
    file.write_text("variables:\n  env_vars_prefix: CORP_\n  globals:\n    string: string\n    int: 1\n"
                    "    nested:\n      int: 2\n")
    monkeypatch.setenv("CORP_TEAM", "data")
    config.load(file, data_dir=tmp_path)
    assert render("{{ globals.string }} {{ globals.int + 1 }} {{ globals.nested.int }} {{ envs.team }}") == \
        "string 2 2 data"
