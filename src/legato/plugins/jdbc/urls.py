"""JDBC URLs, as Kestra flows write them, parsed into what a Python driver needs.

Network databases: `jdbc:<sub>://[user[:password]@]host[:port][/database][?key=value&...]` (PostgreSQL, MySQL,
MariaDB, ClickHouse, Trino, Snowflake), SQL Server's `jdbc:sqlserver://host[:port][;key=value;...]` and Oracle's
`jdbc:oracle:thin:@host:port:SID` / `@//host:port/service`. Embedded ones: `jdbc:sqlite:<file>` and
`jdbc:duckdb:[<file>]`, where no file means an in-memory database.

Every error says what is wrong and shows the form expected, e.g.
`url 'jdbc:postgres://h/db': unknown database 'postgres'; expected jdbc:postgresql://host:port/database`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qsl, unquote, urlsplit


class JdbcUrlError(ValueError):
    """A JDBC URL that cannot be used; the message shows the URL (password hidden) and the expected form."""


# The form each sub-protocol expects, for error messages.
FORMS: dict[str, str] = {
    "postgresql": "jdbc:postgresql://host:port/database",
    "mysql": "jdbc:mysql://host:port/database",
    "mariadb": "jdbc:mariadb://host:port/database",
    "sqlite": "jdbc:sqlite:/path/to/file.db",
    "duckdb": "jdbc:duckdb:[/path/to/file.duckdb]",
    "snowflake": "jdbc:snowflake://account.snowflakecomputing.com/?db=DB&warehouse=WH",
    "clickhouse": "jdbc:clickhouse://host:port/database",
    "trino": "jdbc:trino://host:port/catalog/schema",
    "oracle": "jdbc:oracle:thin:@host:port:SID or jdbc:oracle:thin:@//host:port/service",
    "sqlserver": "jdbc:sqlserver://host:port;databaseName=db",
    "redshift": "jdbc:redshift://host:5439/database",
    "vertica": "jdbc:vertica://host:5433/database",
    "sap": "jdbc:sap://host:port/?databaseName=db",
    "avatica": "jdbc:avatica:remote:url=http://host:8888/druid/v2/sql/avatica/",
    "pinot": "jdbc:pinot://host:port",
    "db2": "jdbc:db2://host:50000/database",
    "sybase": "jdbc:sybase:Tds:host:5000/database",
    "as400": "jdbc:as400://host/library",
    "ucanaccess": "jdbc:ucanaccess:///path/to/file.accdb",
    "vectorwise": "jdbc:vectorwise://host:port/database",
    "arrow-flight-sql": "jdbc:arrow-flight-sql://host:port/?useEncryption=false",
    "dremio": "jdbc:dremio:direct=host:port;ssl=true",
}
EMBEDDED = frozenset({"sqlite", "duckdb"})


@dataclass(frozen=True)
class JdbcUrl:
    """A parsed JDBC URL. `path` is the database file of an embedded database ('' for in-memory)."""

    subprotocol: str
    host: str | None = None
    port: int | None = None
    database: str | None = None
    user: str | None = None
    password: str | None = None
    path: str = ""
    params: dict[str, str] = field(default_factory=dict)

    def credentials(self, username: str | None, password: str | None) -> tuple[str | None, str | None]:
        """The task's `username`/`password` first, then those in the URL (`user@` or `?user=`)."""
        user = username or self.user or self.params.get("user")
        secret = password if password is not None else (self.password or self.params.get("password"))
        return user, secret


def masked(url: str) -> str:
    """The URL with any password hidden, for messages."""
    text = url
    if "@" in text and "://" in text:
        scheme, rest = text.split("://", 1)
        userinfo, sep, tail = rest.partition("@")
        if sep and ":" in userinfo:
            text = f"{scheme}://{userinfo.split(':', 1)[0]}:***@{tail}"
    for key in ("password=", "motherduck_token=", "token="):
        start = text.lower().find(key)
        if start >= 0:
            end = min([i for i in (text.find("&", start), text.find(";", start)) if i >= 0], default=len(text))
            text = text[: start + len(key)] + "***" + text[end:]
    return text


def parse(url: str, accepted: tuple[str, ...]) -> JdbcUrl:
    """Parse `url` for one of the sub-protocols `accepted` (the first names the expected form)."""
    text = url.strip()
    expected = " or ".join(FORMS.get(s, f"jdbc:{s}:...") for s in accepted[:1])
    if not text.startswith("jdbc:"):
        raise JdbcUrlError(f"url {masked(url)!r} must start with 'jdbc:'; expected {expected}")
    body = text[len("jdbc:"):]
    sub = body.split(":", 1)[0].lower()
    if sub not in accepted:
        raise JdbcUrlError(f"url {masked(url)!r}: unknown database {sub!r} for this task; expected {expected}")
    rest = body[len(sub) + 1:] if ":" in body else ""
    if sub in EMBEDDED:
        return _embedded(sub, rest)
    if sub == "oracle":
        return _oracle(url, rest, expected)
    if sub == "sqlserver":
        return _sqlserver(url, rest, expected)
    if sub == "avatica":
        return _avatica(url, rest, expected)
    if sub == "ucanaccess":
        return JdbcUrl(sub, path=rest[2:] if rest.startswith("//") else rest)
    if sub == "sybase":
        return _network(url, sub, "//" + rest.split(":", 1)[1] if rest.lower().startswith("tds:") else rest, expected)
    if sub == "dremio":
        return _dremio(url, rest, expected)
    return _network(url, sub, rest, expected)


def _embedded(sub: str, rest: str) -> JdbcUrl:
    path, _, query = rest.partition("?")
    if path in (":memory:", "memory:"):
        path = ""
    return JdbcUrl(sub, path=path, params=dict(parse_qsl(query)))


def _network(url: str, sub: str, rest: str, expected: str) -> JdbcUrl:
    if not rest.startswith("//"):
        raise JdbcUrlError(f"url {masked(url)!r} has no host; expected {expected}")
    parts = urlsplit(f"x:{rest}")
    try:
        port = parts.port
    except ValueError:
        raise JdbcUrlError(f"url {masked(url)!r}: the port is not a number; expected {expected}") from None
    if not parts.hostname:
        raise JdbcUrlError(f"url {masked(url)!r} has no host; expected {expected}")
    return JdbcUrl(
        sub, host=parts.hostname, port=port, database=unquote(parts.path.strip("/")) or None,
        user=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password is not None else None,
        params=dict(parse_qsl(parts.query, keep_blank_values=True)),
    )


def _sqlserver(url: str, rest: str, expected: str) -> JdbcUrl:
    address, *pairs = rest.split(";")
    params = {}
    for pair in pairs:
        if pair.strip():
            key, sep, value = pair.partition("=")
            if not sep:
                raise JdbcUrlError(f"url {masked(url)!r}: property {key!r} has no value; expected {expected}")
            params[key.strip()] = value.strip()
    network = _network(url, "sqlserver", address, expected)
    lowered = {k.lower(): v for k, v in params.items()}
    database = lowered.get("databasename") or lowered.get("database") or network.database
    return JdbcUrl("sqlserver", host=network.host, port=network.port, database=database,
                   user=lowered.get("user"), password=lowered.get("password"), params=params)


def _oracle(url: str, rest: str, expected: str) -> JdbcUrl:
    body = rest.split(":", 1)[1] if rest.lower().startswith("thin:") else rest
    if not body.startswith("@"):
        raise JdbcUrlError(f"url {masked(url)!r}: expected {expected}")
    target = body[1:]
    if target.startswith("//"):
        network = _network(url, "oracle", target, expected)
        return JdbcUrl("oracle", host=network.host, port=network.port, database=network.database, params={"service": "1"})
    host, _, tail = target.partition(":")
    port_text, _, sid = tail.partition(":")
    if not host or not port_text.isdigit() or not sid:
        raise JdbcUrlError(f"url {masked(url)!r}: expected {expected}")
    return JdbcUrl("oracle", host=host, port=int(port_text), database=sid)


def _avatica(url: str, rest: str, expected: str) -> JdbcUrl:
    # Druid's Avatica form: jdbc:avatica:remote:url=http://host:8888/druid/v2/sql/avatica/;key=value
    settings = dict(pair.split("=", 1) for pair in rest.removeprefix("remote:").split(";") if "=" in pair)
    endpoint = settings.pop("url", "")
    parts = urlsplit(endpoint)
    if not parts.hostname:
        raise JdbcUrlError(f"url {masked(url)!r} has no url=http://host:port/...; expected {expected}")
    return JdbcUrl("avatica", host=parts.hostname, port=parts.port, database=parts.path or None,
                   params={"scheme": parts.scheme or "http", **settings})


def _dremio(url: str, rest: str, expected: str) -> JdbcUrl:
    # jdbc:dremio:direct=host:port;key=value;...
    first, *pairs = rest.split(";")
    if not first.startswith("direct="):
        raise JdbcUrlError(f"url {masked(url)!r}: expected {expected}")
    network = _network(url, "dremio", "//" + first.removeprefix("direct="), expected)
    params = dict(pair.split("=", 1) for pair in pairs if "=" in pair)
    return JdbcUrl("dremio", host=network.host, port=network.port, params=params)
