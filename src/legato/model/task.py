"""The base of every task type: Kestra's common task properties, and the registry that maps type names to classes."""

from __future__ import annotations

import sys
from types import FrameType
from typing import Annotated, Any, ClassVar, Literal, Protocol

from pydantic import AliasChoices, ConfigDict, Field, StringConstraints, model_validator

from legato.model.assets import TaskAssets
from legato.model.durations import Duration, DurationExpression
from legato.model.frozen import Frozen as Frozen  # re-exported: the models import their base from here

TASK_ID_PATTERN = r"^[a-zA-Z0-9][a-zA-Z0-9_-]*$"


def _retry_schema(schema: dict[str, Any]) -> None:
    """Legato's earlier name `maxAttempts` stays valid in the JSON Schema too (the editor must not flag it)."""
    properties = schema.get("properties", {})
    if "maxAttempt" in properties:
        properties["maxAttempts"] = {**properties["maxAttempt"], "description": "Same as maxAttempt."}


class Retry(Frozen):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True, json_schema_extra=_retry_schema)

    type: Literal["constant", "exponential", "random"] = Field(description="How the delay between attempts grows.")
    interval: Duration | None = Field(default=None, description="constant: delay between attempts; exponential: first delay.")
    maxInterval: Duration | None = Field(default=None, description="exponential: the delay never exceeds this.")
    minInterval: Duration | None = Field(default=None, description="random: lower bound of the delay.")
    delayFactor: float | None = Field(default=None, description="exponential: multiplier between delays (default 2).")
    maxAttempts: int | None = Field(
        default=None, ge=1, validation_alias=AliasChoices("maxAttempt", "maxAttempts"),
        description="Total attempts, the first one included (Kestra's `maxAttempt`; `maxAttempts` is accepted too).")
    maxDuration: Duration | None = Field(default=None, description="Stop retrying once this much time has passed since the first attempt.")
    warningOnRetry: bool = Field(default=False, description="End in WARNING instead of SUCCESS when a retry was needed.")
    behavior: Literal["RETRY_FAILED_TASK", "CREATE_NEW_EXECUTION"] = Field(
        default="RETRY_FAILED_TASK", description="Flow-level retry only: retry the failed task, or start a new execution."
    )

    @model_validator(mode="after")
    def _needs_interval(self) -> Retry:
        if self.type in ("constant", "exponential") and self.interval is None:
            raise ValueError(f"a {self.type} retry needs an 'interval' (ISO-8601 duration such as PT10S)")
        if self.type == "random" and (self.minInterval is None or self.maxInterval is None):
            raise ValueError("a random retry needs 'minInterval' and 'maxInterval'")
        if self.maxAttempts is None and self.maxDuration is None:
            raise ValueError("a retry needs 'maxAttempt' or 'maxDuration', or it would retry forever")
        return self


class WorkerGroup(Frozen):
    key: str = Field(description="Run this task only on workers started with this group key.")
    fallback: Literal["FAIL", "WAIT", "CANCEL"] = Field(default="WAIT", description="What to do when no worker of the group is alive.")


_TAG = r"^[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?$"  # an RFC 1123 label, as Kestra requires


class WorkerSelector(Frozen):
    """Kestra 2.0's routing of a task (or a flow's tasks, or a trigger) to workers by their tags: a worker
    started with `--group gpu --group eu` has the tags gpu and eu."""

    tags: list[Annotated[str, StringConstraints(pattern=_TAG)]] | None = Field(
        default=None, max_length=20, description="Tags the worker must have (lower-case letters, digits and '-').")
    match: Literal["ALL", "ANY"] | None = Field(default=None, description="ALL (default): the worker has every tag; "
                                                                          "ANY: at least one of them.")
    fallback: Literal["FAIL", "WAIT", "CANCEL", "IGNORE"] | None = Field(
        default=None, description="When no live worker has the tags: FAIL (default) or CANCEL end the task without "
                                  "running it, WAIT queues it until one comes, IGNORE runs it on any worker.")

    @model_validator(mode="after")
    def _with_tags(self) -> WorkerSelector:
        if not self.tags and (self.match is not None or self.fallback is not None):
            raise ValueError("match and fallback can only be set with tags")
        return self

    def key(self) -> str | None:
        """The worker-group key its jobs are queued under: the tags, sorted, joined by '+' (ANY: see any_of)."""
        if not self.tags:
            return None
        tags = sorted(set(self.tags))
        return tags[0] if self.match == "ANY" else "+".join(tags)

    def any_of(self) -> tuple[str, ...]:
        """With match ANY and several tags: the tags any one of which will do."""
        return tuple(sorted(set(self.tags or ()))) if self.match == "ANY" and len(set(self.tags or ())) > 1 else ()


def worker_keys(groups: tuple[str | None, ...]) -> tuple[str | None, ...]:
    """The job keys a worker started with `groups` (its tags) takes: every combination of its tags, as
    WorkerSelector.key() writes them, so that a job needing gpu+eu goes to a worker having both."""
    from itertools import combinations

    tags = sorted({g for g in groups if g})[:12]  # 4,095 combinations at most
    keys: list[str | None] = [None] if None in groups else []
    for size in range(1, len(tags) + 1):
        keys += ["+".join(c) for c in combinations(tags, size)]
    return tuple(keys)


class TaskCache(Frozen):
    enabled: bool = Field(default=False, description="Reuse the outputs of an earlier successful run with the same rendered properties.")
    ttl: Duration | None = Field(default=None, description="How long cached outputs stay valid.")


LogLevel = Literal["TRACE", "DEBUG", "INFO", "WARN", "ERROR"]


class Task(Frozen):
    """Properties every task has. Subclasses add their own and set TYPE (and ALIASES for Kestra's names)."""

    TYPE: ClassVar[str] = ""
    ALIASES: ClassVar[tuple[str, ...]] = ()
    FLOWABLE: ClassVar[bool] = False
    EXAMPLES: ClassVar[tuple[str, ...]] = ()
    # Python modules the type needs at run time, installed by the optional extra EXTRA (`legato[EXTRA]`): a
    # flow using the type fails validation with the pip line to run when one is missing (see missing_extra).
    REQUIRES: ClassVar[tuple[str, ...]] = ()
    EXTRA: ClassVar[str] = ""

    id: str = Field(pattern=TASK_ID_PATTERN, description="Unique id of the task within the flow.")
    type: str = Field(description="Task type: Legato's short name or Kestra's full class name.")
    description: str | None = Field(default=None, description="Free text shown in the UI (Markdown).")
    retry: Retry | None = Field(default=None, description="Retry policy when the task fails.")
    timeout: Duration | DurationExpression | None = Field(
        default=None, description="Kill the attempt after this long (ISO-8601 duration, or an expression giving one).")
    disabled: bool = Field(default=False, description="A disabled task is skipped.")
    allowFailure: bool = Field(default=False, description="A failure of this task does not fail the flow (it ends in WARNING).")
    allowWarning: bool = Field(default=False, description="A warning of this task counts as success.")
    runIf: str | bool | None = Field(default=None, description="Expression; the task runs only when it renders true, else it is SKIPPED.")
    when: str | bool | None = Field(default=None, description="Kestra 2.0 name of runIf.")
    logLevel: LogLevel | None = Field(default=None, description="Minimum level of the logs this task stores.")
    logToFile: bool = Field(default=False, description="Kestra compatibility: accepted, logs are always stored.")
    workerGroup: WorkerGroup | None = Field(default=None, description="Worker group that must run this task (Kestra 1.x).")
    workerSelector: WorkerSelector | None = Field(default=None, description="Kestra 2.0: the tags of the workers that may run this task.")
    taskCache: TaskCache | None = Field(default=None, description="Output cache of this task.")
    assets: TaskAssets | None = Field(default=None, description="The assets this task reads (inputs) and writes "
                                                                "(outputs), recorded with their lineage when it succeeds.")

    @model_validator(mode="after")
    def _one_routing(self) -> Task:
        if self.workerGroup is not None and self.workerSelector is not None:
            raise ValueError("use workerGroup (Kestra 1.x) or workerSelector (Kestra 2.0), not both")
        return self

    def run_condition(self) -> str | bool | None:
        """The run condition, whichever dialect wrote it."""
        return self.when if self.when is not None else self.runIf

    def branches(self) -> dict[str, list[Task]]:
        """Child task lists by branch name (flowable tasks only); runnable tasks have none."""
        return {}

    def parts(self) -> tuple[Task, ...]:
        """Tasks the engine runs for this one beside its children, each with task runs of its own (ForEachItem's
        `<id>_split`, `<id>_items`, `<id>_merge`); found by `Flow.task`, never written in a flow."""
        return ()

    def walk(self) -> list[Task]:
        """This task and every task nested in it, depth first."""
        out: list[Task] = [self]
        for children in self.branches().values():
            for child in children:
                out.extend(child.walk())
        return out


def missing_extra(cls: type[Any]) -> str | None:
    """Why a task or trigger type cannot run here (a module of its REQUIRES is not installed), with the
    command that fixes it; None when nothing is missing."""
    from importlib.util import find_spec

    def absent(module: str) -> bool:
        try:
            return find_spec(module) is None
        except ModuleNotFoundError:  # a dotted name whose parent package is missing
            return True

    missing = [m for m in getattr(cls, "REQUIRES", ()) if absent(m)]
    if not missing:
        return None
    extra = getattr(cls, "EXTRA", "")
    fix = f"pip install 'legato[{extra}]'" if extra else f"pip install {' '.join(missing)}"
    return f"needs the Python package(s) {', '.join(missing)}, not installed: run {fix}"


class TypeSource(Protocol):
    """Where a registry finds the types not imported yet (legato.plugins: an index of type name -> module)."""

    def load(self, name: str) -> None:
        """Import what registers `name`, if anything does."""

    def load_all(self) -> None:
        """Import every installed plugin."""


def _registering_module() -> str:
    """The module whose import is running this registration: the nearest module body on the stack (a class
    made by a factory in one module and registered from another's body belongs to the latter)."""
    frame: FrameType | None = sys._getframe(2)
    while frame is not None and frame.f_code.co_name != "<module>":
        frame = frame.f_back
    return str(frame.f_globals.get("__name__", "")) if frame is not None else ""


class TaskRegistry:
    """Maps every accepted type name (canonical and aliases) to its class. With a TypeSource attached, a name not
    registered yet is looked up there (importing only the module that defines it), and the listings
    (`names`, `classes`) load every installed plugin first."""

    def __init__(self) -> None:
        self._by_name: dict[str, type[Any]] = {}
        self._origin: dict[str, str] = {}
        self._source: TypeSource | None = None

    def attach(self, source: TypeSource) -> None:
        self._source = source

    def register(self, cls: type[Any]) -> type[Any]:
        names = (cls.TYPE, *cls.ALIASES)
        if not cls.TYPE:
            raise ValueError(f"{cls.__name__} has no TYPE")
        origin = _registering_module()
        for name in names:
            existing = self._by_name.get(name)
            if existing is not None and existing is not cls:
                raise ValueError(f"type name {name!r} is already taken by {existing.__name__}")
            self._by_name[name] = cls
            self._origin[name] = origin
        return cls

    def lookup(self, name: str) -> type[Any] | None:
        found = self._by_name.get(name)
        if found is None and self._source is not None:
            self._source.load(name)
            found = self._by_name.get(name)
        return found

    def loaded(self, name: str) -> type[Any] | None:
        """The class registered under `name` so far, importing nothing."""
        return self._by_name.get(name)

    def origins(self) -> dict[str, str]:
        """Each name registered so far -> the module whose import registered it (what the plugin index holds)."""
        return dict(self._origin)

    def names(self) -> list[str]:
        self._complete()
        return sorted(self._by_name)

    def classes(self) -> list[type[Any]]:
        """Each registered class once, by canonical name."""
        self._complete()
        return sorted({id(c): c for c in self._by_name.values()}.values(), key=lambda c: c.TYPE)

    def _complete(self) -> None:
        if self._source is not None:
            self._source.load_all()


# Tasks and triggers shipped with Legato register here at import; plugins of third parties through entry points.
TASKS = TaskRegistry()
TRIGGERS = TaskRegistry()
