"""Server configuration: defaults, overridden by a YAML file, overridden by `LEGATO_*` environment variables.

    LEGATO_CONFIG=/etc/legato.yml legato server standalone
    LEGATO_DATABASE_URL=postgresql://legato@db:5432/legato legato server worker --slots 32

The YAML file uses the field names below (`database_url: ...`, `retention: {executions: P30D}`); each
field is also read from `LEGATO_<FIELD>` (`LEGATO_WORKER_SLOTS=8`, nested ones as
`LEGATO_RETENTION__EXECUTIONS=P30D`). Command-line options win over both.
"""

from __future__ import annotations

import os
from contextvars import ContextVar
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
)

from legato import expressions, instance_vars
from legato.expressions import Limits
from legato.identity.lockout import Policy
from legato.model.durations import Duration

if TYPE_CHECKING:  # the sign-in clients (ldap3, httpx) load only where sign-in is configured
    from legato.identity.ldap import LdapConfig
    from legato.identity.oidc import OidcConfig

ENV_PREFIX = "LEGATO_"
CONFIG_ENV = "LEGATO_CONFIG"


class ConfigError(ValueError):
    """The configuration is invalid; the message names the file or variable and the field."""


class Retention(BaseModel):
    """How long finished work is kept before a purge deletes it (None keeps it forever)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    executions: Duration | None = Field(
        default=timedelta(days=30),
        description="Finished executions (with their task runs and logs) older than this are deleted.")
    logs: Duration | None = Field(
        default=None, description="Logs of finished executions older than this are deleted even while the "
                                  "execution itself is kept (None: logs go with their execution).")
    audit_logs: Duration | None = Field(
        default=None, description="Audit log entries older than this are deleted (None keeps them forever).")
    interval: Duration = Field(default=timedelta(hours=1), description="How often the executor role purges.")
    batch: int = Field(default=500, ge=1, le=100_000,
                       description="Executions deleted per transaction, so no lock is held for long.")


class OidcSettings(BaseModel):
    """OpenID Connect single sign-on (authorization code with PKCE): any provider with a discovery document
    (Keycloak, Okta, Entra ID, Google, Authentik, Dex...). Register Legato as a confidential client whose
    redirect URI is `<Legato's URL>/api/v1/auth/oidc/callback`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    issuer: str = Field(description="The provider's issuer URL; its discovery document is at "
                                    "<issuer>/.well-known/openid-configuration.")
    client_id: str = Field(description="Legato's client id at the provider.")
    client_secret: SecretStr | None = Field(default=None, description="Legato's client secret (none: a public client).")
    scopes: list[str] = Field(default=["openid", "profile", "email"], description="Scopes asked for; add the one "
                              "that releases the groups claim if the provider needs one (often `groups`).")
    username_claim: str = Field(default="preferred_username", description="The claim naming the Legato user "
                                "(then `email`, then `sub` when it is missing).")
    groups_claim: str = Field(default="groups", description="The claim listing the user's groups: the user is made a "
                              "member of exactly the Legato groups of those names at each sign-in.")
    redirect_url: str | None = Field(default=None, description="The callback URL the provider sends the browser "
                                     "back to; unset: derived from the URL the browser reached Legato at.")
    display_name: str = Field(default="Single sign-on", description="The sign-in button's label.")
    create_users: bool = Field(default=True, description="Create a user (without password) at its first sign-in; "
                               "false: only users an administrator created may sign in.")

    def client_config(self) -> OidcConfig:
        from legato.identity.oidc import OidcConfig

        secret = self.client_secret.get_secret_value() if self.client_secret else None
        return OidcConfig(self.issuer, self.client_id, secret, tuple(self.scopes), self.username_claim,
                          self.groups_claim, self.redirect_url, self.display_name, self.create_users)


class LdapSettings(BaseModel):
    """Sign-in with a name and password checked by an LDAP directory (OpenLDAP, Active Directory...). In the
    filters, `{username}` is the name typed and `{dn}` the user's entry."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str = Field(description="ldap://host:389 or ldaps://host:636.")
    user_base: str = Field(description="Where users are searched, e.g. ou=people,dc=example,dc=org.")
    user_filter: str = Field(default="(uid={username})", description="Finds the user's entry (Active Directory: "
                             "(sAMAccountName={username})).")
    bind_dn: str | None = Field(default=None, description="The account that searches (none: an anonymous search).")
    bind_password: SecretStr | None = Field(default=None, description="Its password.")
    start_tls: bool = Field(default=False, description="Upgrade ldap:// connections with StartTLS.")
    group_base: str | None = Field(default=None, description="Where groups are searched; unset: groups are not synced.")
    group_filter: str = Field(default="(|(member={dn})(uniqueMember={dn})(memberUid={username}))",
                              description="Finds the groups the user is in.")
    group_name_attribute: str = Field(default="cn", description="The attribute naming a group: the user is made a "
                                      "member of exactly the Legato groups of those names at each sign-in.")
    create_users: bool = Field(default=True, description="Create a user (without password) at its first sign-in.")

    def directory_config(self) -> LdapConfig:
        from legato.identity.ldap import LdapConfig

        password = self.bind_password.get_secret_value() if self.bind_password else None
        return LdapConfig(self.url, self.user_base, self.user_filter, self.bind_dn, password, self.start_tls,
                          self.group_base, self.group_filter, self.group_name_attribute, create_users=self.create_users)


class AuthSettings(BaseModel):
    """Sign-in of users: lockout after repeated failures (Kestra's defaults) and browser sessions."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    lockout_failures: int = Field(default=10, ge=1, le=1000,
                                  description="Failed sign-ins within lockout_window that lock an account.")
    lockout_window: Duration = Field(default=timedelta(minutes=5),
                                     description="The window in which failed sign-ins are counted.")
    lockout_duration: Duration = Field(default=timedelta(minutes=30),
                                       description="How long a locked account refuses every sign-in.")
    session_ttl: Duration = Field(default=timedelta(hours=12), description="How long a browser session lasts.")
    secure_cookies: bool = Field(default=False, description="Mark the session cookie Secure (serve over HTTPS).")
    oidc: OidcSettings | None = Field(default=None, description="OpenID Connect single sign-on.")
    ldap: LdapSettings | None = Field(default=None, description="LDAP sign-in and group sync.")

    def policy(self) -> Policy:
        return Policy(self.lockout_failures, self.lockout_window, self.lockout_duration)


class ExpressionSettings(BaseModel):
    """Limits of every template render (task properties, inputs, triggers, the evaluate API); a render that
    exceeds one fails with a message naming it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    render_seconds: float = Field(default=2.0, gt=0, le=600, description="Wall time of one render, jq and regexes included.")
    output_chars: int = Field(default=10_000_000, ge=1_000, description="Characters of one render's output, and of any one string it builds.")
    memory_mb: int = Field(default=256, ge=1, description="Estimated memory of the values one render builds (garbage included).")
    range_items: int = Field(default=100_000, ge=100, description="Items of one range, loop or generated list.")

    def limits(self) -> Limits:
        return Limits(max_render_seconds=self.render_seconds, max_output_chars=self.output_chars,
                      max_memory_bytes=self.memory_mb * 1024 * 1024, max_range_items=self.range_items)


class VariableSettings(BaseModel):
    """Kestra's instance-wide expression variables (legato.instance_vars)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    env_vars_prefix: str | None = Field(
        default=None, description="Environment variables starting with this are `envs.<rest in lower case>` "
                                  "(default: both of Kestra's, ENV_ and the older KESTRA_).")
    globals: dict[str, Any] = Field(default_factory=dict, description="`globals.<name>` in every expression.")

class VaultSettings(BaseModel):
    """A HashiCorp Vault (or API-compatible) server holding the namespace secrets in a KV version 2 engine,
    one entry per secret at `<mount>/data/<root>/<tenant>/<namespace>/<KEY>`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str = Field(description="Address of the server, e.g. https://vault.example.com:8200.")
    mount: str = Field(default="secret", description="Mount path of the KV v2 secrets engine.")
    root: str = Field(default="legato", description="Path under the mount where Legato keeps its secrets.")
    token: SecretStr | None = Field(default=None, description="Token authentication: the token.")
    role_id: str | None = Field(default=None, description="AppRole authentication: the role id.")
    secret_id: SecretStr | None = Field(default=None, description="AppRole authentication: the secret id.")
    approle_mount: str = Field(default="approle", description="Mount path of the AppRole auth method.")
    verify: bool = Field(default=True, description="Check the server's TLS certificate.")
    timeout_seconds: float = Field(default=10.0, gt=0, description="Timeout of one request to the server.")

    @model_validator(mode="after")
    def _one_auth(self) -> VaultSettings:
        if self.token is None and (self.role_id is None or self.secret_id is None):
            raise ValueError("vault needs `token`, or `role_id` and `secret_id` (AppRole)")
        return self


class SecretSettings(BaseModel):
    """Where namespace secrets live."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    backend: Literal["database", "vault"] = Field(
        default="database", description="`database`: sealed (AES-GCM) in Legato's database; `vault`: HashiCorp Vault KV v2.")
    vault: VaultSettings | None = Field(default=None, description="The Vault server (backend `vault`).")

    @model_validator(mode="after")
    def _vault_given(self) -> SecretSettings:
        if self.backend == "vault" and self.vault is None:
            raise ValueError("backend `vault` needs the `vault` settings (url and authentication)")
        return self


class AuditSettings(BaseModel):
    """Shipping the audit log to a SIEM as syslog CEF lines (from the executor role)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    syslog_host: str | None = Field(default=None, description="Host of the syslog receiver (unset: not shipped).")
    syslog_port: int = Field(default=514, ge=1, le=65535, description="Port of the syslog receiver.")
    syslog_protocol: Literal["udp", "tcp"] = Field(default="udp", description="UDP datagrams or a TCP stream.")
    syslog_interval_seconds: float = Field(default=2.0, gt=0, description="How often new entries are shipped.")


class TelemetrySettings(BaseModel):
    """Traces of executions and task attempts (OpenTelemetry, the `otel` extra)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    otlp_endpoint: str | None = Field(
        default=None, description="Base URL of an OTLP/HTTP collector (e.g. http://collector:4318; `/v1/traces` is "
                                  "added). Unset: the standard OTEL_EXPORTER_OTLP_ENDPOINT, else no tracing.")
    service_name: str = Field(default="legato", min_length=1, description="`service.name` of the spans.")


class LoggingSettings(BaseModel):
    """The server's own log lines on stderr."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    format: Literal["text", "json"] = Field(
        default="text", description="`text` lines, or `json`: one object per line (time, level, logger, message, "
                                    "execution_id and task_run_id when known), for log shippers.")
    level: str | None = Field(default=None, description="Level of the server's logs (unset: --log-level).")


class Settings(BaseSettings):
    """Everything a Legato server process reads at start."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, env_nested_delimiter="__", extra="forbid",
                                      frozen=True, case_sensitive=False)

    database_url: str | None = Field(
        default=None, description="sqlite:///path/to.db or postgresql://user:password@host:5432/db; "
                                  "unset: SQLite under data_dir.")
    data_dir: Path = Field(default=Path(".legato"), description="Local files: SQLite database, internal storage.")
    host: str = Field(default="127.0.0.1", description="Address the API listens on (non-loopback needs basic_auth).")
    port: int = Field(default=8080, ge=0, le=65535, description="Port of the API (0 picks a free one).")
    basic_auth: str | None = Field(default=None, description="USER:PASSWORD required on every API route but /health.")
    probe_port: int | None = Field(
        default=None, ge=0, le=65535, description="Port of /health, /ready and /metrics in a process without the "
                                                  "webserver role (executor, worker, scheduler); unset: none.")
    probe_host: str = Field(default="127.0.0.1", description="Address the probes listen on (they need no credentials).")
    database_pool_size: int | None = Field(
        default=None, ge=1, le=1000, description="Connections a server process keeps to the database (twice as many "
                                                 "more during bursts); unset: sized by its roles (webserver 10, "
                                                 "executor executor_threads + 2, scheduler 3, worker 2 + slots/2; "
                                                 "at most 16).")
    worker_slots: int = Field(default=16, ge=1, le=10_000, description="Tasks one worker process runs at once.")
    worker_groups: Annotated[tuple[str, ...], NoDecode] = Field(
        default=(), description="Worker groups this worker serves; empty: tasks without workerGroup.")
    lease_seconds: float = Field(
        default=30.0, gt=0, description="A job whose worker stopped heartbeating this long is resubmitted.")
    heartbeat_seconds: float = Field(
        default=5.0, gt=0, description="How often a server process records that it is alive.")
    dead_after_seconds: float = Field(
        default=30.0, gt=0, description="A server whose last heartbeat is older is listed as DEAD.")
    drain_seconds: float = Field(
        default=30.0, ge=0, description="On SIGTERM, how long running tasks may finish before they are handed back.")
    poll_seconds: float = Field(default=1.0, gt=0, description="Polling fallback when no wake-up arrives.")
    executor_threads: int = Field(
        default=4, ge=1, le=64,
        description="Events an executor process applies at once, each execution on one thread at a time "
                    "(PostgreSQL; SQLite, a single-writer database, always uses one).")
    retention: Retention = Field(default_factory=Retention, description="Purge of finished executions.")
    ai_url: str | None = Field(default=None, description="The AI copilot's model API (`legato ai`): an OpenAI-compatible base URL "
                                                         "such as https://api.openai.com/v1 or http://localhost:11434/v1, or Anthropic's.")
    ai_provider: Literal["openai", "anthropic"] = Field(default="openai", description="The wire format of ai_url: openai (and every compatible server) or anthropic.")
    ai_model: str | None = Field(default=None, description="The copilot's model, e.g. gpt-4o-mini.")
    ai_api_key: str | None = Field(default=None, description="The copilot's API key.")
    ai_max_rounds: int = Field(default=3, ge=1, le=10, description="Answers the copilot may ask of the model (the first and its repairs) before it gives up.")

    encryption_key: SecretStr | None = Field(
        default=None, description="Base64 of 32 random bytes sealing secrets at rest (AES-GCM); unset: the data "
                                  "dir's encryption.key. Every process of an installation needs the same key.")
    secrets: SecretSettings = Field(default_factory=SecretSettings, description="Where namespace secrets live.")
    audit: AuditSettings = Field(default_factory=AuditSettings, description="Shipping of the audit log.")
    expressions: ExpressionSettings = Field(default_factory=ExpressionSettings,
                                            description="Limits of every expression render.")
    variables: VariableSettings = Field(default_factory=VariableSettings,
                                        description="`envs` and `globals` of every expression, as in Kestra.")
    auth: AuthSettings = Field(default_factory=AuthSettings, description="Users' sign-in: lockout, sessions.")
    telemetry: TelemetrySettings = Field(default_factory=TelemetrySettings, description="Traces (OpenTelemetry).")
    logging: LoggingSettings = Field(default_factory=LoggingSettings, description="The server's own log lines.")

    @field_validator("worker_groups", mode="before")
    @classmethod
    def _split_groups(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(g.strip() for g in value.split(",") if g.strip())
        return value

    @model_validator(mode="after")
    def _heartbeat_below_dead(self) -> Settings:
        if self.heartbeat_seconds >= self.dead_after_seconds:
            raise ValueError("heartbeat_seconds must be smaller than dead_after_seconds")
        return self

    def store_url(self) -> str:
        """The database URL; SQLite under data_dir when none is configured."""
        return self.database_url or sqlite_url(self.data_dir)

    @classmethod
    def settings_customise_sources(
        cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource, dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Highest first: command-line options, LEGATO_* variables, the YAML file; nested maps merge.
        return (init_settings, env_settings, _YamlSource(settings_cls, _CONFIG_FILE.get()))


_CONFIG_FILE: ContextVar[Path | None] = ContextVar("legato_config_file", default=None)


class _YamlSource(PydanticBaseSettingsSource):
    """The settings of a YAML configuration file (read with yaml.safe_load)."""

    def __init__(self, settings_cls: type[BaseSettings], path: Path | None):
        super().__init__(settings_cls)
        self.data = _read_yaml(path) if path is not None else {}

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return self.data.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return dict(self.data)


def sqlite_url(data_dir: Path) -> str:
    """The URL of the SQLite database a data directory holds (the default store)."""
    return f"sqlite:///{data_dir.resolve() / 'legato.db'}"


def load(config_file: Path | None = None, **overrides: Any) -> Settings:
    """Settings from defaults < YAML file (`config_file` or $LEGATO_CONFIG) < LEGATO_* env < `overrides`
    (command-line options; None values are ignored). ConfigError names what is wrong and where.
    The expression limits they hold become this process's defaults (legato.expressions.configure)."""
    path = config_file or (Path(os.environ[CONFIG_ENV]) if os.environ.get(CONFIG_ENV) else None)
    given = {k: v for k, v in overrides.items() if v is not None}
    token = _CONFIG_FILE.set(path)
    try:
        settings = Settings(**given)
        expressions.configure(settings.expressions.limits())
        instance_vars.configure(settings.variables.env_vars_prefix, settings.variables.globals)
        return settings
    except ValidationError as exc:
        raise ConfigError(_explain(exc, path)) from None
    except SettingsError as exc:  # a LEGATO_* value that cannot be decoded at all
        raise ConfigError(f"invalid configuration: {exc}") from None
    finally:
        _CONFIG_FILE.reset(token)


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text())
    except OSError as exc:
        raise ConfigError(f"cannot read configuration file {path}: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"configuration file {path} is not valid YAML: {exc}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"configuration file {path} must hold a mapping of settings, not {type(data).__name__}")
    return {str(k).replace("-", "_"): v for k, v in data.items()}


def _explain(exc: ValidationError, path: Path | None) -> str:
    lines = []
    for error in exc.errors():
        field = ".".join(str(p) for p in error["loc"]) or "(settings)"
        env = ENV_PREFIX + "__".join(str(p) for p in error["loc"]).upper()
        where = f"{field} (env {env}" + (f" or {path}" if path else "") + ")"
        message = "unknown setting" if error["type"] == "extra_forbidden" else error["msg"]
        lines.append(f"{where}: {message}")
    return "invalid configuration:\n  " + "\n  ".join(lines)
