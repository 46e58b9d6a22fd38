"""Polling trigger models: Kestra's type names resolve, bad settings fail at validation with the YAML line,
JDBC URLs translate, database values become JSON-safe, local paths stay inside the allowed directories."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from pathlib import Path

import pytest

from legato.flows import parse_flow
from legato.model.errors import FlowValidationError
from legato.plugins.aws import s3_trigger as s3
from legato.plugins.jdbc import duckdb, mysql, postgresql, sqlite, urls, values
from legato.plugins.jdbc.trigger import JdbcTriggerError
from legato.plugins.triggers import base, files, http
from tests.unit.plugins.documented import assert_documented

HEAD = "id: f\nnamespace: n\ntasks:\n  - id: l\n    type: io.kestra.plugin.core.log.Log\n    message: x\ntriggers:\n"


def trigger(body: str) -> object:
    flow = parse_flow(HEAD + body)
    assert flow.triggers
    return flow.triggers[0]


@pytest.mark.parametrize(("body", "cls"), [
    ("  - id: t\n    type: io.kestra.plugin.core.http.Trigger\n    uri: http://example.com\n", http.HttpTrigger),
    ("  - id: t\n    type: io.kestra.plugin.jdbc.postgresql.Trigger\n    url: jdbc:postgresql://h/db\n    sql: SELECT 1\n", postgresql.Trigger),
    ("  - id: t\n    type: io.kestra.plugin.jdbc.mysql.Trigger\n    url: jdbc:mysql://h/db\n    sql: SELECT 1\n", mysql.Trigger),
    ("  - id: t\n    type: io.kestra.plugin.jdbc.sqlite.Trigger\n    url: jdbc:sqlite:/x.db\n    sql: SELECT 1\n", sqlite.Trigger),
    ("  - id: t\n    type: io.kestra.plugin.fs.local.Trigger\n    from: /data\n", files.LocalFilesTrigger),
    ("  - id: t\n    type: io.kestra.plugin.aws.s3.Trigger\n    bucket: b\n    action: NONE\n", s3.S3Trigger),
])
def test_kestra_types_are_polling_triggers_with_a_one_minute_default(body: str, cls: type) -> None:
    model = trigger(body)
    assert isinstance(model, cls) and base.trigger_kind(model) == "polling"  # type: ignore[arg-type]
    assert model.interval == dt.timedelta(minutes=1)  # type: ignore[attr-defined]
    assert isinstance(model.source(), base.PollingSource)  # type: ignore[attr-defined]


def test_http_defaults_to_kestras_condition() -> None:
    model = trigger("  - id: t\n    type: io.kestra.plugin.core.http.Trigger\n    uri: http://example.com\n    interval: PT30S\n")
    assert model.responseCondition == "{{ response.statusCode < 400 }}"  # type: ignore[attr-defined]
    assert model.interval == dt.timedelta(seconds=30)  # type: ignore[attr-defined]


@pytest.mark.parametrize(("body", "message"), [
    ("  - id: t\n    type: io.kestra.plugin.core.http.Trigger\n    uri: http://x\n    interval: PT0S\n",
     "<flow>:11:15: triggers[0].interval: interval must be a positive duration"),
    ("  - id: t\n    type: io.kestra.plugin.fs.local.Trigger\n    from: /d\n    action: MOVE\n",
     "<flow>:8:5: triggers[0]: action MOVE needs moveDirectory"),
    ("  - id: t\n    type: io.kestra.plugin.aws.s3.Trigger\n    bucket: b\n    action: MOVE\n",
     "<flow>:8:5: triggers[0]: action MOVE needs moveTo"),
    ("  - id: t\n    type: io.kestra.plugin.aws.s3.Trigger\n    bucket: b\n", "triggers[0].action"),
    ("  - id: t\n    type: io.kestra.plugin.fs.local.Trigger\n    from: /d\n    regExp: '('\n",
     "regExp is not a regular expression"),
    ("  - id: t\n    type: io.kestra.plugin.jdbc.sqlite.Trigger\n    url: jdbc:sqlite:/x.db\n    sql: S\n    fetchType: ALL\n",
     "triggers[0].fetchType"),
])
def test_bad_settings_are_refused_with_their_place(body: str, message: str) -> None:
    with pytest.raises(FlowValidationError) as caught:
        parse_flow(HEAD + body)
    assert message in str(caught.value)


def test_deprecated_fetch_flags_choose_the_mode() -> None:
    one = trigger("  - id: t\n    type: io.kestra.plugin.jdbc.sqlite.Trigger\n    url: jdbc:sqlite:/x\n    sql: S\n    fetchOne: true\n")
    assert one.mode() == "FETCH_ONE"  # type: ignore[attr-defined]
    plain = trigger("  - id: t\n    type: io.kestra.plugin.jdbc.sqlite.Trigger\n    url: jdbc:sqlite:/x\n    sql: S\n")
    assert plain.mode() == "FETCH"  # type: ignore[attr-defined]  # Kestra's default for triggers


def test_jdbc_urls_parse_and_foreign_ones_are_refused() -> None:
    pg = urls.parse("jdbc:postgresql://u:p%40ss@h:5433/db?sslmode=disable", ("postgresql",))
    assert (pg.host, pg.port, pg.database, pg.user, pg.password, pg.params) == ("h", 5433, "db", "u", "p@ss", {"sslmode": "disable"})
    assert urls.parse("jdbc:mariadb://h/db", ("mysql", "mariadb")).database == "db"
    with pytest.raises(urls.JdbcUrlError, match="url 'jdbc:mysql://h/db': unknown database 'mysql' for this task; expected jdbc:postgresql://host:port/database"):
        urls.parse("jdbc:mysql://h/db", ("postgresql",))


def test_embedded_triggers_need_an_existing_file(tmp_path: Path) -> None:
    model = trigger("  - id: t\n    type: io.kestra.plugin.jdbc.sqlite.Trigger\n    url: jdbc:sqlite:/x\n    sql: S\n")
    with pytest.raises(JdbcTriggerError, match="does not exist"):
        model.target(f"jdbc:sqlite:{tmp_path / 'missing.db'}")  # type: ignore[attr-defined]
    with pytest.raises(JdbcTriggerError, match="in-memory"):
        model.target("jdbc:sqlite::memory:")  # type: ignore[attr-defined]


def test_database_values_become_json_safe() -> None:
    when = dt.datetime(2025, 3, 1, 12, 30, tzinfo=dt.UTC)
    assert values.jsonable(Decimal("12.00")) == 12 and values.jsonable(Decimal("1.5")) == 1.5
    assert values.jsonable(when) == "2025-03-01T12:30:00+00:00" and values.jsonable(dt.date(2025, 3, 1)) == "2025-03-01"
    assert values.jsonable(b"\x00\x01") == "AAE=" and values.jsonable(dt.timedelta(minutes=90)) == "PT1H30M"
    u = uuid.uuid4()
    assert values.jsonable([u, {"k": None}]) == [str(u), {"k": None}]


def test_local_paths_stay_inside_the_allowed_directories(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(files.ENV_ALLOWED, raising=False)
    with pytest.raises(files.LocalFilesError, match="set LEGATO_LOCAL_FILES_ALLOWED"):
        files.confined(str(tmp_path), "from", "t")
    allowed = tmp_path / "allowed"
    (allowed / "in").mkdir(parents=True)
    (tmp_path / "escape").symlink_to(allowed / "in")
    (allowed / "out").symlink_to(tmp_path)
    monkeypatch.setenv(files.ENV_ALLOWED, f"{allowed},/nonexistent")
    assert files.confined(str(allowed / "in"), "from", "t") == allowed / "in"
    assert files.confined(str(tmp_path / "escape"), "from", "t") == allowed / "in"  # a link resolves inside
    for bad in (str(allowed / ".." / "x"), str(allowed / "out"), "relative/dir"):
        with pytest.raises(files.LocalFilesError):
            files.confined(bad, "from", "t")


POLLING = [http.HttpTrigger, postgresql.Trigger, mysql.Trigger, sqlite.Trigger, duckdb.Trigger, files.LocalFilesTrigger, s3.S3Trigger]


@pytest.mark.parametrize("cls", POLLING, ids=lambda c: c.TYPE)
def test_polling_triggers_are_documented_and_their_examples_parse(cls: type) -> None:
    assert_documented(cls)
    for example in cls.EXAMPLES:  # type: ignore[attr-defined]
        flow = parse_flow(HEAD.removesuffix("triggers:\n") + example)
        assert flow.triggers and isinstance(flow.triggers[0], cls)
