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
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
)

from legato import expressions
from legato.expressions import Limits
from legato.model.durations import Duration

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
    interval: Duration = Field(default=timedelta(hours=1), description="How often the executor role purges.")
    batch: int = Field(default=500, ge=1, le=100_000,
                       description="Executions deleted per transaction, so no lock is held for long.")


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
    expressions: ExpressionSettings = Field(default_factory=ExpressionSettings,
                                            description="Limits of every expression render.")

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
        return self.database_url or f"sqlite:///{self.data_dir.resolve() / 'legato.db'}"

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
