"""Kestra's JDBC Query/Queries/Batch tasks on the real databases: fetch types and output shape, parameters,
transactions (afterSQL, rollback), STORE files, and the errors a user sees."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from pathlib import Path

import psycopg
import pytest
from tests.integration.jdbc.conftest import Tasks

from legato.plugins.context import TaskFailed


def _pg(url: str, body: str, kind: str = "Query") -> str:
    return f"id: task\ntype: io.kestra.plugin.jdbc.postgresql.{kind}\nurl: {url}\nusername: postgres\n{body}"


def test_postgres_fetch_types_and_output_shape(tasks: Tasks, pg_url: str) -> None:
    tasks.run(_pg(pg_url, """sql: |
  CREATE TABLE orders (id int PRIMARY KEY, total numeric(8,2), at timestamp, tags text[], doc jsonb);
  INSERT INTO orders VALUES (1, 12.50, '2024-05-01 10:00', '{a,b}', '{"k": 1}'), (2, 3, NULL, NULL, NULL);
""", "Queries"))
    fetched = tasks.run(_pg(pg_url, "sql: SELECT * FROM orders ORDER BY id\nfetchType: FETCH\n"))
    assert fetched == {"rows": [{"id": 1, "total": 12.5, "at": "2024-05-01T10:00:00", "tags": ["a", "b"], "doc": {"k": 1}},
                                {"id": 2, "total": 3, "at": None, "tags": None, "doc": None}], "size": 2}
    one = tasks.run(_pg(pg_url, "sql: SELECT id FROM orders WHERE id > :min ORDER BY id\nparameters:\n  min: 1\nfetchOne: true\n"))
    assert one == {"row": {"id": 2}, "size": 1}
    none = tasks.run(_pg(pg_url, "sql: SELECT id FROM orders WHERE id > 5\nfetchType: FETCH_ONE\n"))
    assert none == {"row": None, "size": 0}
    stored = tasks.run(_pg(pg_url, "sql: SELECT id, at FROM orders ORDER BY id\nfetchType: STORE\ntimeZoneId: Europe/Paris\n"))
    assert stored["size"] == 2 and stored["uri"].endswith(".ion")
    assert tasks.rows(stored["uri"]) == [{"id": 1, "at": "2024-05-01T10:00:00+02:00"}, {"id": 2, "at": None}]
    assert tasks.run(_pg(pg_url, "sql: UPDATE orders SET total = 0\n")) == {}


def test_postgres_store_streams_with_a_server_side_cursor(tasks: Tasks, pg_url: str) -> None:
    out = tasks.run(_pg(pg_url, "sql: SELECT g AS n, md5(g::text) AS h FROM generate_series(1, 25000) g\nfetchType: STORE\nfetchSize: 1000\n"))
    rows = tasks.rows(out["uri"])
    assert out["size"] == 25000 == len(rows) and rows[-1]["n"] == 25000


def test_parameters_are_bound_not_spliced(tasks: Tasks, pg_url: str) -> None:
    evil = "x'); DROP TABLE t; --"
    tasks.run(_pg(pg_url, "sql: CREATE TABLE t (name text)\n"))
    tasks.run(_pg(pg_url, "sql: INSERT INTO t VALUES (:name)\nparameters:\n  name: \"{{ inputs.name }}\"\n"), inputs={"name": evil})
    got = tasks.run(_pg(pg_url, "sql: SELECT name, '100%' AS pct, 1::int AS cast FROM t WHERE name = :name\nparameters:\n  name: \"{{ inputs.name }}\"\nfetchType: FETCH_ONE\n"),
                    inputs={"name": evil})
    assert got["row"] == {"name": evil, "pct": "100%", "cast": 1}


def test_after_sql_commits_with_the_query_and_rolls_back_with_it(tasks: Tasks, pg_url: str) -> None:
    tasks.run(_pg(pg_url, "sql: CREATE TABLE q (id int, done bool DEFAULT false); INSERT INTO q (id) VALUES (1), (2)\n", "Queries"))
    out = tasks.run(_pg(pg_url, "sql: SELECT id FROM q WHERE NOT done ORDER BY id\nafterSQL: UPDATE q SET done = true\nfetchType: FETCH\n"))
    assert out["size"] == 2
    assert tasks.run(_pg(pg_url, "sql: SELECT count(*) AS n FROM q WHERE done\nfetchType: FETCH_ONE\n"))["row"] == {"n": 2}
    with pytest.raises(TaskFailed, match="no_such_table"):
        tasks.run(_pg(pg_url, "sql: UPDATE q SET done = false\nafterSQL: DELETE FROM no_such_table\n"))
    assert tasks.run(_pg(pg_url, "sql: SELECT count(*) AS n FROM q WHERE done\nfetchType: FETCH_ONE\n"))["row"] == {"n": 2}


def test_queries_transaction_all_or_nothing_and_per_statement_outputs(tasks: Tasks, pg_url: str) -> None:
    tasks.run(_pg(pg_url, "sql: CREATE TABLE a (id int)\n"))
    with pytest.raises(TaskFailed, match="division by zero"):
        tasks.run(_pg(pg_url, "sql: INSERT INTO a VALUES (1); SELECT 1/0;\n", "Queries"))
    assert tasks.run(_pg(pg_url, "sql: SELECT count(*) AS n FROM a\nfetchType: FETCH_ONE\n"))["row"] == {"n": 0}
    with pytest.raises(TaskFailed):
        tasks.run(_pg(pg_url, "sql: INSERT INTO a VALUES (1); SELECT 1/0;\ntransaction: false\n", "Queries"))
    out = tasks.run(_pg(pg_url, "sql: |\n  -- a comment; with a semicolon\n  SELECT count(*) AS n FROM a;\n  SELECT ';' AS s;\nfetchType: FETCH\n", "Queries"))
    assert out == {"outputs": [{"rows": [{"n": 1}], "size": 1}, {"rows": [{"s": ";"}], "size": 1}]}


def test_query_refuses_several_statements_and_bad_urls(tasks: Tasks, pg_url: str) -> None:
    with pytest.raises(TaskFailed, match="Query runs one statement and this has 2; use the Queries task"):
        tasks.run(_pg(pg_url, "sql: SELECT 1; SELECT 2\n"))
    with pytest.raises(TaskFailed, match=r"url 'jdbc:mysql://h/db': unknown database 'mysql' for this task; expected jdbc:postgresql://host:port/database"):
        tasks.run(_pg("jdbc:mysql://h/db", "sql: SELECT 1\n"))
    with pytest.raises(TaskFailed, match=r"cannot connect to PostgreSQL at 127\.0\.0\.1:1"):
        tasks.run(_pg("jdbc:postgresql://127.0.0.1:1/x", "sql: SELECT 1\n"))


def test_a_timeout_cancels_the_running_statement(tasks: Tasks, pg_url: str) -> None:
    task = tasks.harness.task(_pg(pg_url, "sql: SELECT pg_sleep(30)\n"))
    ctx = tasks.harness.context(storage=tasks.storage)
    started = time.monotonic()

    async def main() -> None:
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(task.run(ctx), 1)

    asyncio.run(main())
    assert time.monotonic() - started < 5
    # the statement was cancelled on the server, not left running
    admin = pg_url.replace("jdbc:postgresql://", "postgresql://postgres@")
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        with psycopg.connect(admin, autocommit=True) as conn:
            if not conn.execute("SELECT 1 FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(30)%'").fetchall():
                return
        time.sleep(0.1)
    pytest.fail("the statement still runs on the server")


def test_batch_inserts_a_stored_file_in_chunks(tasks: Tasks, pg_url: str) -> None:
    tasks.run(_pg(pg_url, "sql: CREATE TABLE b (id int, name text)\n"))
    uri = tasks.put("rows.ion", b"".join(f'{{"id":{i},"name":"n{i}"}}\n'.encode() for i in range(2500)))
    out = tasks.run(_pg(pg_url, f"from: {uri}\nsql: INSERT INTO b VALUES (?, ?)\nchunk: 1000\n", "Batch"))
    assert out == {"rowCount": 2500, "updatedCount": 2500}
    out = tasks.run(_pg(pg_url, f"from: {uri}\ntable: b\n", "Batch"))
    assert out["rowCount"] == 2500
    assert tasks.run(_pg(pg_url, "sql: SELECT count(*) AS n, max(name) AS m FROM b\nfetchType: FETCH_ONE\n"))["row"] == {"n": 5000, "m": "n999"}
    with pytest.raises(TaskFailed, match="row 1 has 2 values but the statement has 3 placeholders"):
        tasks.run(_pg(pg_url, f"from: {uri}\nsql: INSERT INTO b VALUES (?, ?, ?)\n", "Batch"))


def test_mariadb_query_queries_batch(tasks: Tasks, maria: tuple[str, str]) -> None:
    url, table = maria
    head = f"id: task\nurl: {url}\nusername: root\n"
    out = tasks.run(head + f"type: io.kestra.plugin.jdbc.mysql.Queries\nsql: |\n  CREATE TABLE {table} (id INT PRIMARY KEY, name VARCHAR(20), at DATETIME);\n"
                    f"  INSERT INTO {table} VALUES (1, 'a', '2024-01-02 03:04:05'), (2, 'b%', NULL);\n  SELECT count(*) AS n FROM {table};\nfetchType: FETCH_ONE\n")
    assert out == {"outputs": [{"row": {"n": 2}, "size": 1}]}
    got = tasks.run(head + f"type: io.kestra.plugin.jdbc.mariadb.Query\nsql: SELECT * FROM {table} WHERE name LIKE :p ORDER BY id\nparameters:\n  p: \"b%\"\nfetchType: FETCH\n")
    assert got == {"rows": [{"id": 2, "name": "b%", "at": None}], "size": 1}
    stored = tasks.run(head + f"type: io.kestra.plugin.jdbc.mysql.Query\nsql: SELECT id, at FROM {table} ORDER BY id\nstore: true\n")
    assert tasks.rows(stored["uri"]) == [{"id": 1, "at": "2024-01-02T03:04:05"}, {"id": 2, "at": None}]
    uri = tasks.put("m.ion", b'{"id":3,"name":"c"}\n{"id":4,"name":"d"}\n')
    assert tasks.run(head + f"type: io.kestra.plugin.jdbc.mysql.Batch\nfrom: {uri}\ntable: {table}\ncolumns: [id, name]\n") == {"rowCount": 2, "updatedCount": 2}
    with pytest.raises(TaskFailed, match="Duplicate entry"):
        tasks.run(head + f"type: io.kestra.plugin.jdbc.mysql.Batch\nfrom: {uri}\nsql: INSERT INTO {table} (id, name) VALUES (?, ?)\n")


def test_sqlite_file_round_trip_through_storage(tasks: Tasks, tmp_path: Path) -> None:
    out = tasks.run("id: task\ntype: io.kestra.plugin.jdbc.sqlite.Queries\nurl: jdbc:sqlite:shop.db\noutputDbFile: true\nsql: |\n"
                    "  CREATE TABLE c (id INTEGER PRIMARY KEY, name TEXT);\n  INSERT INTO c (name) VALUES ('Ada'), ('Linus');\n")
    db_uri = out["databaseUri"]
    assert db_uri.endswith("/shop.db")
    got = tasks.run(f"id: task\ntype: io.kestra.plugin.jdbc.sqlite.Query\nsqliteFile: {db_uri}\nsql: SELECT name FROM c ORDER BY id\nfetchType: FETCH\n")
    assert got == {"rows": [{"name": "Ada"}, {"name": "Linus"}], "size": 2}
    path = tmp_path / "direct.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE t (x)")
    with pytest.raises(TaskFailed):
        tasks.run(f"id: task\ntype: io.kestra.plugin.jdbc.sqlite.Queries\nurl: jdbc:sqlite:{path}\nsql: INSERT INTO t VALUES (1); INSERT INTO nope VALUES (2)\n")
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT count(*) FROM t").fetchone() == (0,)  # rolled back together


def test_duckdb_reads_input_files_and_writes_output_files(tasks: Tasks) -> None:
    out = tasks.run("""
id: task
type: io.kestra.plugin.jdbc.duckdb.Query
inputFiles:
  orders.csv: |
    product,quantity,price
    pen,2,1.5
    ink,1,4
    pen,1,1.5
outputFiles: [summary]
sql: |
  COPY (SELECT product, sum(quantity * price) AS revenue FROM read_csv_auto('orders.csv')
        GROUP BY product ORDER BY product) TO '{{ outputFiles.summary }}' (FORMAT csv, HEADER)
""")
    assert tasks.storage.get(out["outputFiles"]["summary"]).decode().splitlines() == ["product,revenue", "ink,4.0", "pen,4.5"]
    got = tasks.run("id: task\ntype: io.kestra.plugin.jdbc.duckdb.Query\ninputFiles:\n  a.csv: \"x\\n1\\n2\\n\"\n"
                    "sql: SELECT sum(x) AS s FROM read_csv_auto('{{ workingDir }}/a.csv') WHERE x >= :low\nfetchType: FETCH_ONE\n"
                    "parameters:\n  low: 1\n")
    assert got == {"row": {"s": 3}, "size": 1}


def test_duckdb_database_file_and_dml_counts(tasks: Tasks) -> None:
    out = tasks.run("id: task\ntype: io.kestra.plugin.jdbc.duckdb.Queries\noutputDbFile: true\nsql: |\n"
                    "  CREATE TABLE s AS SELECT range AS id FROM range(5);\n  INSERT INTO s VALUES (10);\n  SELECT count(*) AS n FROM s;\nfetchType: FETCH_ONE\n")
    assert out["outputs"] == [{"row": {"n": 6}, "size": 1}]
    got = tasks.run(f"id: task\ntype: io.kestra.plugin.jdbc.duckdb.Query\ndatabaseUri: {out['databaseUri']}\nsql: SELECT max(id) AS m FROM s\nfetchType: FETCH_ONE\n")
    assert got["row"] == {"m": 10}


def test_cancel_reaches_mariadb(tasks: Tasks, maria: tuple[str, str]) -> None:
    url, _ = maria
    task = tasks.harness.task(f"id: task\ntype: io.kestra.plugin.jdbc.mysql.Query\nurl: {url}\nusername: root\nsql: SELECT SLEEP(30)\n")
    ctx = tasks.harness.context(storage=tasks.storage)
    threads = threading.active_count()  # other tests of this process may keep threads of their own
    started = time.monotonic()

    async def main() -> None:
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(task.run(ctx), 1)

    asyncio.run(main())
    assert time.monotonic() - started < 5
    assert threading.active_count() <= threads + 1  # the cancelled query left no thread blocked behind it


def test_copy_out_then_copy_in_round_trip(tasks: Tasks, pg_url: str) -> None:
    tasks.run(_pg(pg_url, "sql: |\n  CREATE TABLE src (id int, name text, note text);\n"
                          "  INSERT INTO src SELECT g, 'n' || g, CASE WHEN g % 2 = 0 THEN NULL ELSE 'a,\"b\"' END FROM generate_series(1, 3000) g;\n"
                          "  CREATE TABLE dst (LIKE src);\n", "Queries"))
    out = tasks.run(_pg(pg_url, "sql: SELECT * FROM src WHERE id <= 3 ORDER BY id\nformat: CSV\nheader: true\n", "CopyOut"))
    assert out["rowCount"] == 3
    assert tasks.storage.get(out["uri"]).decode().splitlines() == ["id,name,note", '1,n1,"a,""b"""', "2,n2,", '3,n3,"a,""b"""']
    whole = tasks.run(_pg(pg_url, "table: src\ndelimiter: \"\\\\t\"\n", "CopyOut"))
    assert whole["rowCount"] == 3000
    loaded = tasks.run(_pg(pg_url, f"from: {whole['uri']}\ntable: dst\ncolumns: [id, name, note]\n", "CopyIn"))
    assert loaded == {"rowCount": 3000}
    same = tasks.run(_pg(pg_url, "sql: SELECT count(*) AS n FROM (SELECT * FROM src EXCEPT SELECT * FROM dst) d\nfetchType: FETCH_ONE\n"))
    assert same["row"] == {"n": 0}
    with pytest.raises(TaskFailed, match=r"COPY failed: .*invalid input syntax for type integer"):
        tasks.run(_pg(pg_url, f"from: {out['uri']}\ntable: dst\nformat: CSV\n", "CopyIn"))  # the header is no row
    with pytest.raises(TaskFailed, match='COPY failed: relation "nope" does not exist'):
        tasks.run(_pg(pg_url, "sql: SELECT * FROM nope\nformat: CSV\n", "CopyOut"))
    with pytest.raises(TaskFailed, match='relation "nope" does not exist'):
        tasks.run(_pg(pg_url, "sql: SELECT * FROM nope\nfetchType: STORE\n"))
    assert tasks.run(_pg(pg_url, "sql: SELECT 1 AS x\nfetchType: FETCH_ONE\n"))["row"] == {"x": 1}  # the connection pool is clean
    with pytest.raises(TaskFailed, match="property 'delimiter' must be one single-byte character"):
        tasks.run(_pg(pg_url, "table: src\ndelimiter: ';;'\n", "CopyOut"))


def test_postgres_store_gives_the_rows_fetch_gives(tasks: Tasks, pg_url: str) -> None:
    sql = ("sql: |\n  SELECT 1 AS id, E'back\\\\slash \"q\" tab\\tnew\\nline é' AS s, 12.50::numeric AS n, interval '90 minutes' AS i,\n"
           "    timestamp '2024-05-01 10:00' AS at, NULL::text AS z, ARRAY[1,2] AS a, '{\"k\": [1]}'::jsonb AS j\n")
    fetched = tasks.run(_pg(pg_url, sql + "fetchType: FETCH\n"))["rows"]
    stored = tasks.run(_pg(pg_url, sql + "fetchType: STORE\n"))
    assert fetched[0]["s"] == 'back\\slash "q" tab\tnew\nline é' and fetched[0]["i"] == "PT1H30M"
    assert tasks.rows(stored["uri"]) == fetched and stored["size"] == 1


@pytest.mark.parametrize("source", [
    "type: io.kestra.plugin.jdbc.sqlite.Query\nsql: WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c\n",
    "type: io.kestra.plugin.jdbc.duckdb.Query\nsql: SELECT count(*) FROM range(100000000000) a\n",
])
def test_a_timeout_interrupts_embedded_databases(tasks: Tasks, source: str) -> None:
    task = tasks.harness.task("id: task\n" + source)
    ctx = tasks.harness.context(storage=tasks.storage)
    started = time.monotonic()

    async def main() -> None:
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(task.run(ctx), 1)

    asyncio.run(main())  # asyncio.run waits for the worker thread: it ended because the statement was interrupted
    assert time.monotonic() - started < 10


def test_query_auto_commit_false_keeps_nothing_it_changed(tasks: Tasks, tmp_path: Path) -> None:
    path = tmp_path / "auto.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE t (x)")
    head = f"id: task\ntype: io.kestra.plugin.jdbc.sqlite.Query\nurl: jdbc:sqlite:{path}\n"
    tasks.run(head + "autoCommit: false\nsql: INSERT INTO t VALUES (1)\n")  # Kestra's deprecated property
    tasks.run(head + "sql: INSERT INTO t VALUES (2)\n")  # the default: true
    got = tasks.run(head + "autoCommit: false\nsql: SELECT x FROM t\nfetchType: FETCH\n")
    assert got == {"rows": [{"x": 2}], "size": 1}
