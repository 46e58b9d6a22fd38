"""Configuration: defaults < YAML file < LEGATO_* variables < options, with errors that say where; and the
`legato sys` commands on a configured SQLite database."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from legato import config
from legato.cli.main import cli


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for key in list(os.environ):
        if key.startswith("LEGATO_"):
            monkeypatch.delenv(key)


def test_defaults_keep_sqlite_under_the_data_dir(tmp_path: Path) -> None:
    settings = config.load(data_dir=tmp_path)
    assert settings.store_url() == f"sqlite:///{tmp_path.resolve() / 'legato.db'}"
    assert (settings.host, settings.port, settings.worker_slots) == ("127.0.0.1", 8080, 16)
    assert settings.retention.executions == timedelta(days=30)


def test_env_overrides_file_and_options_override_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    file = tmp_path / "legato.yml"
    file.write_text("database_url: postgresql://u@db/legato\nworker_slots: 4\nport: 9000\n"
                    "retention:\n  executions: P7D\n  batch: 10\n")
    monkeypatch.setenv("LEGATO_WORKER_SLOTS", "8")
    monkeypatch.setenv("LEGATO_RETENTION__INTERVAL", "PT5M")
    monkeypatch.setenv("LEGATO_WORKER_GROUPS", "gpu, big")
    settings = config.load(file, port=9100)
    assert settings.database_url == "postgresql://u@db/legato"
    assert (settings.worker_slots, settings.port, settings.worker_groups) == (8, 9100, ("gpu", "big"))
    assert settings.retention.executions == timedelta(days=7) and settings.retention.batch == 10
    assert settings.retention.interval == timedelta(minutes=5)
    monkeypatch.setenv("LEGATO_CONFIG", str(file))
    assert config.load().port == 9000


def test_errors_name_the_setting_and_where_it_comes_from(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    file = tmp_path / "legato.yml"
    file.write_text("databse_url: x\nretention:\n  executions: soon\n")
    monkeypatch.setenv("LEGATO_LEASE_SECONDS", "-1")
    with pytest.raises(config.ConfigError) as caught:
        config.load(file)
    message = str(caught.value)
    assert "databse_url (env LEGATO_DATABSE_URL or" in message and "unknown setting" in message
    assert "retention.executions (env LEGATO_RETENTION__EXECUTIONS" in message
    assert "lease_seconds" in message and "greater than 0" in message
    file.write_text("- a list\n")
    with pytest.raises(config.ConfigError, match="must hold a mapping"):
        config.load(file)


def test_sys_migrate_servers_and_purge_on_a_configured_database(tmp_path: Path) -> None:
    env = {"LEGATO_DATA_DIR": str(tmp_path)}
    runner = CliRunner()
    assert "up to date" in runner.invoke(cli, ["sys", "migrate"], env=env).output
    assert (tmp_path / "legato.db").exists()
    listed = runner.invoke(cli, ["sys", "servers"], env=env)
    assert listed.exit_code == 0 and "ROLES" in listed.output
    purged = runner.invoke(cli, ["sys", "purge", "--executions-older-than", "P1D"], env=env)
    assert purged.exit_code == 0 and "purged 0 executions" in purged.output
    bad = runner.invoke(cli, ["sys", "purge", "--executions-older-than", "soon"], env=env)
    assert bad.exit_code == 2 and "ISO-8601" in bad.output
    wrong = runner.invoke(cli, ["sys", "migrate"], env={**env, "LEGATO_WORKER_SLOTS": "0"})
    assert wrong.exit_code == 2 and "worker_slots" in wrong.output


def test_secret_backend_audit_and_key_settings_from_file_and_env(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    file = tmp_path / "legato.yml"
    file.write_text("secrets:\n  backend: vault\n  vault:\n    url: http://127.0.0.1:8200\n    role_id: r\n"
                    "audit:\n  syslog_host: siem.local\n  syslog_protocol: tcp\nretention:\n  audit_logs: P365D\n")
    monkeypatch.setenv("LEGATO_SECRETS__VAULT__SECRET_ID", "s3cret-id")
    monkeypatch.setenv("LEGATO_ENCRYPTION_KEY", "A" * 43 + "=")
    settings = config.load(file)
    vault = settings.secrets.vault
    assert settings.secrets.backend == "vault" and vault is not None
    assert (vault.url, vault.role_id, vault.mount, vault.root) == ("http://127.0.0.1:8200", "r", "secret", "legato")
    assert vault.secret_id is not None and vault.secret_id.get_secret_value() == "s3cret-id"
    assert "s3cret-id" not in repr(settings)
    assert settings.encryption_key is not None and settings.encryption_key.get_secret_value() == "A" * 43 + "="
    assert (settings.audit.syslog_host, settings.audit.syslog_port, settings.audit.syslog_protocol) == (
        "siem.local", 514, "tcp")
    assert settings.retention.audit_logs == timedelta(days=365)
    file.write_text("secrets:\n  backend: vault\n  vault:\n    url: http://127.0.0.1:8200\n")
    with pytest.raises(config.ConfigError, match="vault needs `token`, or `role_id` and `secret_id`"):
        config.load(file)


def test_a_server_process_sizes_its_database_pool_by_its_roles(monkeypatch: pytest.MonkeyPatch) -> None:
    from legato.cli.roles_cmd import open_configured
    from legato.server import compose

    settings = config.load(database_url="postgresql://legato@127.0.0.1:5432/test", worker_slots=24)
    assert compose.pool_size(settings, [compose.EXECUTOR]) == 6  # 4 event threads + the timer loop and one more
    assert compose.pool_size(settings, [compose.WORKER]) == 14  # 2 + 24 slots / 2
    assert compose.pool_size(settings, [compose.WEBSERVER]) == 10
    assert compose.pool_size(settings, compose.ALL_ROLES) == 16  # standalone: capped
    monkeypatch.setenv("LEGATO_DATABASE_POOL_SIZE", "40")
    chosen = config.load(database_url="postgresql://legato@127.0.0.1:5432/test")
    assert compose.pool_size(chosen, [compose.WORKER]) == 40
    store = open_configured(settings, migrate=False, pool_size=compose.pool_size(settings, [compose.WORKER]))
    try:  # the engine's pool is what was asked (SQLAlchemy opens connections only when they are used)
        assert store._db.engine.pool.size() == 14  # type: ignore[attr-defined]
    finally:
        store.close()
