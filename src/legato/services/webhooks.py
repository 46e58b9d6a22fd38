"""Webhook triggers: finding the trigger a webhook call names, and turning the call into an execution.

A call names a flow and a key. The key is compared, in constant time, with the rendered `key` of every
Webhook trigger of the flow (an expression such as `{{ secret('GITHUB_HOOK') }}` is rendered first); a
missing or deleted flow, a disabled flow, a disabled trigger and a wrong key all raise the same
WebhookNotFound, so a caller learns nothing about which part was wrong.

The execution sees the call as `trigger.body` (JSON objects and arrays parsed, other text as is, binary
content base64-encoded), `trigger.headers` and `trigger.parameters` (both maps of lists of values, header
names in lower case). The trigger's `conditions` and `when` are evaluated against those variables first;
when they do not hold, no execution is created (the API answers 204, as Kestra does).
"""

from __future__ import annotations

import base64
import hmac
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from legato import secrets_env
from legato.engine import events as ev
from legato.engine.start import new_execution
from legato.expressions import ExpressionError, Renderer
from legato.flows import Flows
from legato.model.errors import FlowValidationError
from legato.model.execution import Execution
from legato.model.flow import Flow
from legato.model.ids import new_id
from legato.model.triggers import Webhook
from legato.scheduler import conditions as cond
from legato.services import audit
from legato.services.errors import NotFoundError
from legato.services.principal import Principal
from legato.store.ports import MAIN, AuditLog, ExecutionStore, FlowReader, FlowRecord, TriggerStore


class WebhookPorts(FlowReader, ExecutionStore, TriggerStore, AuditLog, Protocol):
    """What webhooks use: the deployed flows, their triggers' state, and executions created (audited)."""


log = logging.getLogger("legato.webhooks")

NOT_FOUND = "webhook not found"  # one message for every reason a call does not match
_DECOY = "legato-webhook-decoy-key"  # compared against when there is nothing to compare, to keep timing flat
# Content types whose body is text (anything else is base64-encoded, as Kestra does).
_TEXT_TYPES = ("text/", "application/json", "application/xml", "application/x-www-form-urlencoded",
               "application/yaml", "application/x-yaml", "application/csv", "+json", "+xml")


class WebhookNotFound(NotFoundError):
    """No enabled Webhook trigger of an enabled, live flow has this key."""

    def __init__(self) -> None:
        super().__init__(NOT_FOUND)


@dataclass(frozen=True)
class WebhookCall:
    """What a webhook call carries into the execution."""

    body: bytes
    content_type: str
    headers: Mapping[str, list[str]]
    parameters: Mapping[str, list[str]]

    def variables(self) -> dict[str, Any]:
        """`trigger.*` of the execution: body, headers, parameters."""
        return {"body": parse_body(self.body, self.content_type), "headers": dict(self.headers),
                "parameters": dict(self.parameters)}


@dataclass(frozen=True)
class Match:
    record: FlowRecord
    flow: Flow
    trigger: Webhook


def parse_body(body: bytes, content_type: str) -> Any:
    """A JSON object or array parsed; other text as a string; binary content base64-encoded; None when empty."""
    if not body:
        return None
    kind = content_type.split(";")[0].strip().lower()
    if kind and not any(kind.startswith(t) or kind.endswith(t) for t in _TEXT_TYPES):
        return base64.b64encode(body).decode("ascii")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return base64.b64encode(body).decode("ascii")
    stripped = text.lstrip()
    if stripped[:1] in ("{", "["):
        try:
            return json.loads(text)
        except ValueError:
            pass
    return text


class Webhooks:
    """Resolves webhook calls to triggers and creates their executions (shared flow cache and renderer)."""

    def __init__(self, store: WebhookPorts, *, flows: Flows, renderer: Renderer | None = None):
        self.store = store
        self.flows = flows
        self.renderer = renderer or Renderer(functions=secrets_env.FUNCTIONS)
        self._key_renderer = Renderer(functions=secrets_env.FUNCTIONS)

    def find(self, namespace: str, flow_id: str, key: str, *, tenant: str = MAIN) -> Match:
        """The enabled Webhook trigger of the flow (of `tenant`) whose rendered key equals `key`; WebhookNotFound
        otherwise. Every candidate key is compared, in constant time, whatever matched before."""
        record = self.store.get_flow(namespace, flow_id, tenant=tenant)
        flow = self._flow(record) if record is not None and not record.deleted else None
        candidates = [t for t in (flow.triggers or ()) if isinstance(t, Webhook)] if flow is not None else []
        given = key.encode("utf-8", "surrogatepass")
        found: Webhook | None = None
        for trigger in candidates:
            assert flow is not None
            if hmac.compare_digest(given, self._key(flow, trigger).encode("utf-8", "surrogatepass")):
                found = found or trigger
        if not candidates:
            hmac.compare_digest(given, _DECOY.encode())
        if found is None or record is None or flow is None or record.disabled or flow.disabled or found.disabled:
            raise WebhookNotFound
        state = self.store.get_trigger_state(namespace, flow_id, found.id, tenant=tenant)
        if state is not None and state.disabled:
            raise WebhookNotFound
        return Match(record, flow, found)

    def _flow(self, record: FlowRecord) -> Flow | None:
        try:
            return self.flows.of(record)
        except FlowValidationError:
            return None

    def _key(self, flow: Flow, trigger: Webhook) -> str:
        if "{{" not in trigger.key and "{%" not in trigger.key:
            return trigger.key
        context = {"flow": {"id": flow.id, "namespace": flow.namespace}, "vars": flow.variables or {}}
        try:
            return self._key_renderer.render(trigger.key, context)
        except (ExpressionError, ValueError) as exc:
            log.warning("webhook %s of flow %s.%s: its key does not render: %s", trigger.id, flow.namespace,
                        flow.id, exc)
            return _DECOY + new_id()  # matches nothing

    def fire(self, match: Match, call: WebhookCall, *, by: Principal, now: datetime) -> Execution | None:
        """Create the execution of a matched trigger; None when its conditions do not hold. Raises
        InputsError (nothing created) when the trigger's inputs do not render or validate."""
        flow, trigger, record = match.flow, match.trigger, match.record
        variables = call.variables()
        context = {"trigger": variables, "flow": {"id": flow.id, "namespace": flow.namespace,
                                                  "revision": record.revision}}
        if not self._conditions_hold(match, context):
            return None
        inputs = {k: self.renderer.render_typed(v, context) if isinstance(v, str) else v
                  for k, v in (trigger.inputs or {}).items()}
        execution = new_execution(flow, record.revision, inputs, execution_id=new_id(), now=now,
                                  renderer=self.renderer, labels={lb.key: lb.value for lb in trigger.labels},
                                  trigger=variables, tenant=record.tenant)
        with audit.action(self.store, by, "CREATE", "EXECUTION", execution.id, namespace=flow.namespace, now=now,
                          details={"flowId": flow.id, "flowRevision": record.revision, "trigger": trigger.id}):
            self.store.create_execution(execution, ev.ExecutionCreated())
        log.info("webhook %s of flow %s.%s: execution %s", trigger.id, flow.namespace, flow.id, execution.id)
        return execution

    def _conditions_hold(self, match: Match, context: dict[str, Any]) -> bool:
        ctx = cond.ConditionContext(variables=context, renderer=self.renderer)
        trigger = match.trigger
        try:
            return cond.all_hold(trigger.conditions, ctx) and cond.when_holds(trigger.when, ctx)
        except (cond.ConditionError, ExpressionError) as exc:
            log.info("webhook %s of flow %s.%s: conditions not evaluated, so not met: %s", trigger.id,
                     match.flow.namespace, match.flow.id, exc)
            return False
