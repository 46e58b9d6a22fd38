"""Drivers of the databases that do not run here: Snowflake (snowflake-connector-python; tested against
fakesnow), ClickHouse (clickhouse-connect, HTTP port 8123), Trino (trino), Oracle (oracledb, thin mode),
SQL Server (pymssql), Redshift (psycopg: it speaks PostgreSQL's protocol), Vertica (vertica-python), SAP HANA
(hdbcli), Druid (pydruid, over its SQL HTTP API) and Pinot (pinotdb, a broker's SQL endpoint). Each client library is imported when a task connects; a missing one fails with the
`pip install` line. None of these can stop a statement from another thread: a kill or a timeout ends the task
and closes the connection when its statement returns."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from legato.plugins.jdbc.drivers import Connect, Driver, DriverError, PostgresDriver, Session, load
from legato.plugins.jdbc.urls import JdbcUrl


def _connect_error(name: str, url: JdbcUrl, exc: BaseException) -> DriverError:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return DriverError(f"cannot connect to {name} at {url.host}{f':{url.port}' if url.port else ''}: {text}")


class _NoTransactions(Driver):
    def commit(self, raw: Any) -> None:
        return None

    def rollback(self, raw: Any) -> None:
        return None


class SnowflakeDriver(Driver):
    name = "Snowflake"
    subprotocols = ("snowflake",)

    def open(self, url: JdbcUrl, how: Connect) -> Session:
        connector = load("snowflake.connector", "snowflake-connector-python")
        user, password = url.credentials(how.username, how.password)
        host = url.host or ""
        settings: dict[str, Any] = {"user": user, "login_timeout": how.timeout, "autocommit": False}
        if host.endswith(".snowflakecomputing.com"):
            settings["account"] = url.params.get("account") or host.removesuffix(".snowflakecomputing.com")
        else:
            # Another endpoint (a proxy, a private link, a local emulator): JDBC's `account` and `ssl=off` say how.
            settings.update(account=url.params.get("account") or host.split(".")[0], host=host, port=url.port or 443,
                            protocol="http" if url.params.get("ssl", "").lower() == "off" else "https")
        if password:
            settings["password"] = password
        for key, param in (("database", "db"), ("schema", "schema"), ("warehouse", "warehouse"), ("role", "role")):
            value = how.extra.get(key) or url.params.get(param) or url.params.get(key)
            if value:
                settings[key] = value
        if how.extra.get("queryTag"):
            settings["session_parameters"] = {"QUERY_TAG": how.extra["queryTag"]}
        if how.extra.get("privateKey"):
            settings["private_key"] = _private_key(str(how.extra["privateKey"]), how.extra.get("privateKeyPassword"))
        try:
            raw = connector.connect(**settings)
        except Exception as exc:
            raise _connect_error("Snowflake", url, exc) from None
        return Session(self, raw, lambda: None)


def _private_key(pem: str, password: Any) -> bytes:
    """Kestra's `privateKey` (PEM text, or its base64 body) as the DER bytes the connector wants."""
    from cryptography.hazmat.primitives import serialization

    text = pem.strip()
    if not text.startswith("-----"):
        text = f"-----BEGIN PRIVATE KEY-----\n{text}\n-----END PRIVATE KEY-----"
    try:
        key = serialization.load_pem_private_key(text.encode(), password=str(password).encode() if password else None)
    except (ValueError, TypeError) as exc:
        raise DriverError(f"property 'privateKey' is not a usable PEM private key: {exc}") from None
    return key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


class ClickHouseDriver(_NoTransactions):
    name = "ClickHouse"
    subprotocols = ("clickhouse", "ch")

    def open(self, url: JdbcUrl, how: Connect) -> Session:
        dbapi = load("clickhouse_connect.dbapi", "clickhouse-connect")
        user, password = url.credentials(how.username, how.password)
        secure = url.params.get("ssl", "").lower() == "true"
        try:
            raw = dbapi.connect(host=url.host, port=url.port or (8443 if secure else 8123), username=user or "default",
                                password=password or "", database=url.database or "default", secure=secure,
                                connect_timeout=how.timeout)
        except Exception as exc:
            raise _connect_error("ClickHouse", url, exc) from None
        return Session(self, raw, lambda: None)


class TrinoDriver(Driver):
    name = "Trino"
    subprotocols = ("trino",)
    marker = "?"

    def open(self, url: JdbcUrl, how: Connect) -> Session:
        trino = load("trino.dbapi", "trino")
        user, password = url.credentials(how.username, how.password)
        catalog, _, schema = (url.database or "").partition("/")
        settings: dict[str, Any] = {"host": url.host, "port": url.port or 8080, "user": user or "legato",
                                    "catalog": catalog or None, "schema": schema or None, "request_timeout": how.timeout}
        if password:
            auth = load("trino.auth", "trino")
            settings.update(auth=auth.BasicAuthentication(user, password), http_scheme="https")
        raw = trino.connect(**settings)
        try:
            # The client connects lazily: a first statement tells an unreachable server from a failing query.
            probe = raw.cursor()
            probe.execute("SELECT 1")
            probe.fetchall()
        except Exception as exc:
            raw.close()
            raise _connect_error("Trino", url, exc) from None
        return Session(self, raw, lambda: None)


class OracleDriver(Driver):
    name = "Oracle"
    subprotocols = ("oracle",)
    marker = ":n"

    def open(self, url: JdbcUrl, how: Connect) -> Session:
        oracledb = load("oracledb", "oracledb")
        user, password = url.credentials(how.username, how.password)
        port = url.port or 1521
        if url.params.get("service"):
            dsn = f"{url.host}:{port}/{url.database or ''}"
        else:
            dsn = oracledb.makedsn(url.host, port, sid=url.database)
        try:
            raw = oracledb.connect(user=user, password=password, dsn=dsn, tcp_connect_timeout=how.timeout)
        except Exception as exc:
            raise _connect_error("Oracle", url, exc) from None
        return Session(self, raw, raw.cancel)


class SqlServerDriver(Driver):
    name = "SQL Server"
    subprotocols = ("sqlserver",)

    def open(self, url: JdbcUrl, how: Connect) -> Session:
        pymssql = load("pymssql", "pymssql")
        user, password = url.credentials(how.username, how.password)
        try:
            raw = pymssql.connect(server=url.host, port=str(url.port or 1433), user=user, password=password,
                                  database=url.database or "", login_timeout=int(how.timeout), autocommit=False)
        except Exception as exc:
            raise _connect_error("SQL Server", url, exc) from None
        return Session(self, raw, lambda: None)


class RedshiftDriver(PostgresDriver):
    name = "Redshift"
    subprotocols = ("redshift",)
    PORT = 5439

    def json_lines(self, raw: Any, query: str, args: list[Any] | None) -> Iterator[tuple[bytes, int]] | None:  # type: ignore[override]
        return None  # Redshift has no row_to_json: STORE converts rows in Python


class VerticaDriver(Driver):
    name = "Vertica"
    subprotocols = ("vertica",)

    def open(self, url: JdbcUrl, how: Connect) -> Session:
        vertica = load("vertica_python", "vertica-python")
        user, password = url.credentials(how.username, how.password)
        try:
            raw = vertica.connect(host=url.host, port=url.port or 5433, user=user, password=password or "",
                                  database=url.database or "", connection_timeout=how.timeout, autocommit=False)
        except Exception as exc:
            raise _connect_error("Vertica", url, exc) from None
        return Session(self, raw, raw.cancel)


class HanaDriver(Driver):
    name = "SAP HANA"
    subprotocols = ("sap",)
    marker = "?"

    def open(self, url: JdbcUrl, how: Connect) -> Session:
        dbapi = load("hdbcli.dbapi", "hdbcli")
        user, password = url.credentials(how.username, how.password)
        settings: dict[str, Any] = {"address": url.host, "port": url.port or 39015, "user": user, "password": password}
        if url.params.get("databaseName"):
            settings["databaseName"] = url.params["databaseName"]
        try:
            raw = dbapi.connect(**settings)
            raw.setautocommit(False)
        except Exception as exc:
            raise _connect_error("SAP HANA", url, exc) from None
        return Session(self, raw, raw.cancel)


class DruidDriver(_NoTransactions):
    name = "Druid"
    subprotocols = ("avatica",)

    def open(self, url: JdbcUrl, how: Connect) -> Session:
        db = load("pydruid.db", "pydruid")
        user, password = url.credentials(how.username, how.password)
        try:
            raw = db.connect(host=url.host, port=url.port or 8888, path="/druid/v2/sql/", scheme=url.params.get("scheme", "http"),
                             user=user, password=password)
        except Exception as exc:
            raise _connect_error("Druid", url, exc) from None
        return Session(self, raw, lambda: None)


class PinotDriver(_NoTransactions):
    name = "Pinot"
    subprotocols = ("pinot",)

    def open(self, url: JdbcUrl, how: Connect) -> Session:
        db = load("pinotdb", "pinotdb")
        user, password = url.credentials(how.username, how.password)
        try:
            raw = db.connect(host=url.host, port=url.port or 8099, path="/query/sql", scheme=url.params.get("scheme", "http"),
                             username=user, password=password)
        except Exception as exc:
            raise _connect_error("Pinot", url, exc) from None
        return Session(self, raw, lambda: None)


class Db2Driver(Driver):
    name = "DB2"
    subprotocols = ("db2",)
    marker = "?"

    def open(self, url: JdbcUrl, how: Connect) -> Session:
        dbi = load("ibm_db_dbi", "ibm_db")
        user, password = url.credentials(how.username, how.password)
        dsn = (f"DATABASE={url.database or ''};HOSTNAME={url.host};PORT={url.port or 50000};PROTOCOL=TCPIP;"
               f"UID={user or ''};PWD={password or ''};CONNECTTIMEOUT={int(how.timeout)};")
        try:
            raw = dbi.connect(dsn, "", "")
        except Exception as exc:
            raise _connect_error("DB2", url, exc) from None
        return Session(self, raw, lambda: None)


class SybaseDriver(Driver):
    name = "Sybase"
    subprotocols = ("sybase",)

    def open(self, url: JdbcUrl, how: Connect) -> Session:
        pymssql = load("pymssql", "pymssql")
        user, password = url.credentials(how.username, how.password)
        try:
            raw = pymssql.connect(server=url.host, port=str(url.port or 5000), user=user, password=password,
                                  database=url.database or "", login_timeout=int(how.timeout), tds_version="5.0")
        except Exception as exc:
            raise _connect_error("Sybase", url, exc) from None
        return Session(self, raw, lambda: None)


class OdbcDriver(Driver):
    """Databases reached through an ODBC driver installed on the worker (pyodbc)."""

    marker = "?"
    ODBC: str = ""

    def open(self, url: JdbcUrl, how: Connect) -> Session:
        pyodbc = load("pyodbc", "pyodbc")
        user, password = url.credentials(how.username, how.password)
        parts = {"DRIVER": "{" + self.ODBC + "}", **self.odbc_settings(url), "UID": user, "PWD": password}
        text = ";".join(f"{k}={v}" for k, v in parts.items() if v)
        try:
            raw = pyodbc.connect(text, timeout=int(how.timeout), autocommit=False)
        except Exception as exc:
            raise _connect_error(self.name, url, exc) from None
        return Session(self, raw, lambda: None)

    def odbc_settings(self, url: JdbcUrl) -> dict[str, Any]:
        return {"SYSTEM": url.host, "PORT": url.port, "DATABASE": url.database}


class As400Driver(OdbcDriver):
    name = "IBM i (AS400)"
    subprotocols = ("as400",)
    ODBC = "IBM i Access ODBC Driver"

    def odbc_settings(self, url: JdbcUrl) -> dict[str, Any]:
        return {"SYSTEM": url.host, "DBQ": url.database}


class AccessDriver(OdbcDriver):
    name = "Microsoft Access"
    subprotocols = ("ucanaccess",)
    ODBC = "Microsoft Access Driver (*.mdb, *.accdb)"

    def odbc_settings(self, url: JdbcUrl) -> dict[str, Any]:
        return {"DBQ": url.path}


class ActianVectorDriver(OdbcDriver):
    name = "Actian Vector"
    subprotocols = ("vectorwise",)
    ODBC = "Actian Vector"

    def odbc_settings(self, url: JdbcUrl) -> dict[str, Any]:
        return {"SERVER": f"@{url.host},tcp_ip,{url.port or 'VW7'}", "DATABASE": url.database}


class FlightSqlDriver(Driver):
    """Arrow Flight SQL servers (Dremio speaks it too), through ADBC's Flight SQL driver."""

    name = "Arrow Flight SQL"
    subprotocols = ("arrow-flight-sql", "dremio")
    marker = "?"

    def open(self, url: JdbcUrl, how: Connect) -> Session:
        dbapi = load("adbc_driver_flightsql.dbapi", "adbc-driver-flightsql")
        user, password = url.credentials(how.username, how.password)
        secure = url.params.get("useEncryption", url.params.get("ssl", "true")).lower() != "false"
        port = url.port or (32010 if url.subprotocol == "dremio" else 31010)
        kwargs: dict[str, Any] = {}
        if user:
            kwargs["db_kwargs"] = {"username": user, "password": password or ""}
        try:
            raw = dbapi.connect(f"{'grpc+tls' if secure else 'grpc'}://{url.host}:{port}", autocommit=True, **kwargs)
        except Exception as exc:
            raise _connect_error(self.name, url, exc) from None
        return Session(self, raw, lambda: None)
