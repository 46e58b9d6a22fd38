"""The AI copilot: writes a flow, or changes one, from a request in plain words. The model is grounded in what is
installed here (the JSON Schema of the task and trigger types the request is about, the names of all the others,
and the closest blueprints), and its answer is checked with the real flow parser: an invalid flow goes back to the
model with the parser's errors, at most `max_rounds` answers in all. Only a flow that validates is ever proposed;
when none does, CopilotError says why and nothing is proposed."""

from __future__ import annotations

import difflib
import json
import math
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from legato import config, plugins
from legato.flows import parse_flow
from legato.model.errors import FlowValidationError
from legato.plugins.ai import wire
from legato.plugins.context import TaskFailed

SCHEMAS_SHOWN = 8  # full JSON Schemas of the most relevant types; the others by name only
BLUEPRINTS_SHOWN = 2
_WORD = re.compile(r"[a-z0-9]+")
_FENCE = re.compile(r"```(?:ya?ml)?[ \t]*\n(.*?)```", re.DOTALL)
_RULES = """\
You write Legato flows. Legato runs Kestra's flow YAML unchanged: a flow has an `id`, a `namespace`, optional
`inputs`, `tasks` (each with an `id` unique in the flow and a `type`), and optional `triggers`, `errors`,
`outputs`, `pluginDefaults`. Expressions are Pebble templates: "{{ inputs.name }}", "{{ outputs.task_id.value }}".
Use only the task and trigger types listed below, with only the properties their JSON Schema gives.
Keep credentials in secrets: "{{ secret('NAME') }}".
Answer with the whole flow in one ```yaml code block, and nothing after it."""


class CopilotError(Exception):
    """No valid flow could be proposed; the message says why (the model's last errors, or the API's)."""


@dataclass(frozen=True)
class Model:
    """The model the administrator configured for the copilot, and how many answers it may give per request."""

    endpoint: wire.Endpoint
    max_rounds: int


def configured(settings: config.Settings, timeout: float = 120.0) -> Model | None:
    """The copilot's model from the settings (ai_url, ai_model, ai_api_key, ai_provider); None when unset."""
    if not settings.ai_url or not settings.ai_model:
        return None
    key = settings.ai_api_key
    if settings.ai_provider == "anthropic":
        headers = {"x-api-key": key} if key else {}
    else:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
    # guarded=False: the operator's own endpoint (often on localhost, e.g. Ollama), not a flow's URL
    endpoint = wire.Endpoint(settings.ai_provider, settings.ai_url, settings.ai_model, headers, timeout, guarded=False)
    return Model(endpoint, settings.ai_max_rounds)


@dataclass(frozen=True)
class Proposal:
    source: str  # the flow's YAML, valid with the installed plugins
    rounds: int  # answers asked of the model, the first one included
    diff: str  # unified diff from the current flow (or from nothing)
    types: tuple[str, ...]  # the task and trigger types the flow uses


@dataclass(frozen=True)
class _Type:
    name: str
    names: tuple[str, ...]
    kind: str
    doc: str
    words: frozenset[str]
    cls: type[Any]


@lru_cache(maxsize=1)
def _catalogue() -> tuple[_Type, ...]:
    found = []
    for kind, registry in (("task", plugins.registry()), ("trigger", plugins.trigger_registry())):
        for cls in registry.classes():
            doc = " ".join((cls.__doc__ or "").split())
            names = (cls.TYPE, *cls.ALIASES)
            found.append(_Type(_kestra_name(names), names, kind, doc,
                               frozenset(_words(" ".join(names) + " " + doc)), cls))
    return tuple(found)


def _kestra_name(names: tuple[str, ...]) -> str:
    """The name Kestra's documentation uses (models write what they have read), else Legato's own."""
    for prefix in ("io.kestra.plugin.", "io.kestra."):
        for name in names:
            if name.startswith(prefix):
                return name
    return names[0]


@lru_cache(maxsize=1)
def _blueprints() -> tuple[tuple[str, str, frozenset[str]], ...]:
    out = []
    for item in sorted(resources.files("legato.blueprints").iterdir(), key=lambda p: p.name):
        if item.name.endswith(".yaml"):
            text = item.read_text(encoding="utf-8")
            out.append((item.name, text, frozenset(_words(text))))
    return tuple(out)


def _words(text: str) -> list[str]:
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", text)
    return [w for w in _WORD.findall(spaced.lower()) if len(w) > 2]


def _relevant(request: str, used: set[str]) -> list[_Type]:
    """The types a request is most likely about: its words weighed by rarity (idf), triple in a type's own name."""
    catalogue = _catalogue()
    asked = set(_words(request))
    vocabulary = {w for item in catalogue for w in item.words}
    # "postgres" should find postgresql, "schedule" Schedule and "scheduled"
    wanted = asked | {v for v in vocabulary for w in asked if len(w) >= 4 and (v.startswith(w) or (w.startswith(v) and len(v) >= 4))}
    frequency = Counter(w for item in catalogue for w in item.words & wanted)
    weight = {w: math.log((1 + len(catalogue)) / (1 + frequency[w])) for w in wanted}
    scored = []
    for item in catalogue:
        own = set(_words(" ".join(n.rsplit(".", 1)[-1] for n in item.names)))
        score = sum(weight[w] * (3 if w in own else 1) for w in item.words & wanted)
        scored.append((score + (100 if used & set(item.names) else 0), item.name == "io.kestra.plugin.core.log.Log", item))
    scored.sort(key=lambda s: (s[0], s[1]), reverse=True)
    return [item for _, _, item in scored[:SCHEMAS_SHOWN]]


def _schema(item: _Type) -> str:
    schema = item.cls.model_json_schema()
    props = {k: {x: v[x] for x in ("type", "description", "enum", "anyOf", "default", "items") if x in v}
             for k, v in (schema.get("properties") or {}).items()
             if k not in ("id", "type", "description", "retry", "timeout", "disabled", "logLevel", "logToFile",
                          "workerGroup", "workerSelector", "taskCache", "assets", "allowWarning", "when", "runIf")}
    return json.dumps({"type": item.name, "kind": item.kind, "doc": item.doc[:400], "properties": props,
                       "required": [r for r in schema.get("required", []) if r not in ("id", "type")]})


def grounding(request: str, current: str | None) -> str:
    """What the model is told about this installation: types (schemas of the relevant ones) and blueprints."""
    used = set(re.findall(r"type:\s*([\w.]+)", current or ""))
    relevant = _relevant(request, used)
    shown = {t.name for t in relevant}
    others = sorted(t.name for t in _catalogue() if t.name not in shown)
    wanted = set(_words(request))
    close = sorted(_blueprints(), key=lambda b: len(wanted & b[2]), reverse=True)[:BLUEPRINTS_SHOWN]
    parts = ["JSON Schemas of the types most relevant here:", *(_schema(t) for t in relevant),
             "Other installed types (ask for none that is not listed): " + ", ".join(others),
             "Blueprints (working flows) close to the request:", *(f"```yaml\n{text}```" for _, text, _ in close)]
    return "\n\n".join(parts)


def extract(answer: str) -> str:
    """The YAML of a model's answer: its first ```yaml block, else the whole answer."""
    found = _FENCE.search(answer)
    return (found.group(1) if found else answer).strip() + "\n"


def _diff(current: str | None, proposed: str, name: str) -> str:
    before = (current or "").splitlines(keepends=True)
    lines = difflib.unified_diff(before, proposed.splitlines(keepends=True),
                                 fromfile=name if current is not None else "/dev/null", tofile=name)
    return "".join(lines)


async def propose(request: str, *, endpoint: wire.Endpoint, max_rounds: int, current: str | None = None,
                  name: str = "flow.yaml", on_round: Callable[[int, str | None], None] | None = None,
                  keep: tuple[str, str] | None = None) -> Proposal:
    """A valid flow for `request` (a change of `current` when given); CopilotError when none validates within
    `max_rounds` answers. `on_round(round, error)` hears of each answer (error None: it validated). `keep`
    (namespace, id): a flow with another namespace or id is sent back as invalid too."""
    task = f"Change this flow as asked: {request}\n\n```yaml\n{current}```" if current is not None else f"Write a flow: {request}"
    messages = [wire.Message("system", _RULES + "\n\n" + grounding(request, current)), wire.Message("user", task)]
    error = "no answer"
    for round_ in range(1, max_rounds + 1):
        try:
            reply = await wire.chat(endpoint, messages, [], wire.Options(temperature=0.2))
        except TaskFailed as exc:
            raise CopilotError(f"the model API failed: {exc}") from None
        source = extract(reply.text)
        try:
            flow = parse_flow(source, name)
        except FlowValidationError as exc:
            error = str(exc)
        else:
            if keep is None or (flow.namespace, flow.id) == keep:
                if on_round is not None:
                    on_round(round_, None)
                types = tuple(sorted({t.type for t in flow.all_tasks()} | {t.type for t in flow.triggers or ()}))
                return Proposal(source, round_, _diff(current, source, name), types)
            error = (f"the flow must keep namespace `{keep[0]}` and id `{keep[1]}` "
                     f"(the answer has namespace `{flow.namespace}` and id `{flow.id}`)")
        if on_round is not None:
            on_round(round_, error)
        messages += [wire.Message("assistant", reply.text),
                     wire.Message("user", f"This flow is invalid:\n{error}\nFix it and answer with the whole corrected flow.")]
    raise CopilotError(f"no valid flow after {max_rounds} answer(s) of the model; the last one was invalid:\n{error}")
