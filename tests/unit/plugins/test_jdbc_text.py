"""JDBC URLs as Kestra flows write them, statement splitting and parameter binding: pure functions."""

from __future__ import annotations

import pytest

from legato.plugins.jdbc import sqltext, urls


@pytest.mark.parametrize(("url", "sub", "expected"), [
    ("jdbc:postgresql://u:p@h:5433/db?sslmode=require", ("postgresql",), ("h", 5433, "db", "u", "p")),
    ("jdbc:mysql://127.0.0.1/test", ("mysql", "mariadb"), ("127.0.0.1", None, "test", None, None)),
    ("jdbc:sqlserver://h:1433;databaseName=sales;user=sa;password=x", ("sqlserver",), ("h", 1433, "sales", "sa", "x")),
    ("jdbc:oracle:thin:@h:1521:XE", ("oracle",), ("h", 1521, "XE", None, None)),
    ("jdbc:oracle:thin:@//h:1521/ORCLPDB", ("oracle",), ("h", 1521, "ORCLPDB", None, None)),
    ("jdbc:sybase:Tds:h:5000/sales", ("sybase",), ("h", 5000, "sales", None, None)),
    ("jdbc:dremio:direct=h:32010;ssl=false", ("dremio",), ("h", 32010, None, None, None)),
    ("jdbc:avatica:remote:url=http://h:8888/druid/v2/sql/avatica/;transparent_reconnection=true", ("avatica",),
     ("h", 8888, "/druid/v2/sql/avatica/", None, None)),
    ("jdbc:trino://h:8080/tpch/sf1", ("trino",), ("h", 8080, "tpch/sf1", None, None)),
])
def test_network_urls(url: str, sub: tuple[str, ...], expected: tuple[object, ...]) -> None:
    parsed = urls.parse(url, sub)
    assert (parsed.host, parsed.port, parsed.database, parsed.user, parsed.password) == expected


def test_embedded_urls_and_errors() -> None:
    assert urls.parse("jdbc:sqlite:", ("sqlite",)).path == ""
    assert urls.parse("jdbc:sqlite::memory:", ("sqlite",)).path == ""
    assert urls.parse("jdbc:duckdb:/d/x.duckdb", ("duckdb",)).path == "/d/x.duckdb"
    assert urls.parse("jdbc:duckdb:md:db?motherduck_token=t", ("duckdb",)).params == {"motherduck_token": "t"}
    assert urls.parse("jdbc:ucanaccess:///data/a.accdb", ("ucanaccess",)).path == "/data/a.accdb"
    with pytest.raises(urls.JdbcUrlError, match=r"must start with 'jdbc:'; expected jdbc:postgresql://host:port/database"):
        urls.parse("postgresql://h/db", ("postgresql",))
    with pytest.raises(urls.JdbcUrlError, match="the port is not a number"):
        urls.parse("jdbc:mysql://h:x/db", ("mysql",))
    with pytest.raises(urls.JdbcUrlError, match="has no host"):
        urls.parse("jdbc:postgresql:db", ("postgresql",))
    assert urls.masked("jdbc:postgresql://u:secret@h/db?password=s2") == "jdbc:postgresql://u:***@h/db?password=***"


def test_statements_split_outside_literals_and_comments() -> None:
    sql = "SELECT ';' AS a; -- c;\nSELECT $$x;y$$; /* ; */ SELECT \"a;b\" FROM t;;\n-- only a comment;"
    assert sqltext.split_statements(sql) == ["SELECT ';' AS a", "-- c;\nSELECT $$x;y$$", '/* ; */ SELECT "a;b" FROM t']
    assert sqltext.first_keyword("/* x */ with q as (select 1) select * from q") == "WITH"


def test_named_parameters_bind_positionally() -> None:
    text, values = sqltext.bind_named("SELECT :a, ':a', x::int, :b, '100%' FROM t WHERE y = :a", {"a": 1, "b": 2}, "%s")
    assert text == "SELECT %s, ':a', x::int, %s, '100%%' FROM t WHERE y = %s" and values == [1, 2, 1]
    text, values = sqltext.bind_named("SELECT :a, :missing", {"a": 1}, "?")
    assert text == "SELECT ?, :missing" and values == [1]
    assert sqltext.bind_named("SELECT :a, :b", {"a": 1, "b": 2}, ":n") == ("SELECT :1, :2", [1, 2])
    assert sqltext.positional("INSERT INTO t VALUES (?, '?', ?)", ":n") == "INSERT INTO t VALUES (:1, '?', :2)"
    assert sqltext.placeholders("INSERT INTO t VALUES (?, '?', ?) -- ?") == 2
