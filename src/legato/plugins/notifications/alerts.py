"""Incident and paging services: PagerDuty (Events API v2), Opsgenie (Alert API), Zenduty (events), Sentry
(envelope/store endpoints from a DSN) and Twilio (Notify, form-encoded with basic auth). Each `*Alert` task posts
a `payload` as is; each `*Execution` task builds the service's event from the execution summary."""

from __future__ import annotations

import base64
import json
import urllib.parse
import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar, Literal

from pydantic import Field

from legato.model.task import TASKS
from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.notifications.http import HttpNotification, parse_json
from legato.plugins.notifications.summary import ExecutionFields, Summary, summarize
from legato.plugins.runnable import render_optional_text

_KESTRA = "io.kestra.plugin.notifications"


class _JsonAlert(HttpNotification):
    url: str = Field(description="The service's endpoint (rendered).")
    payload: str | None = Field(
        default=None, description="The event: a JSON document in the service's format (rendered)."
    )

    def headers(self, ctx: RunContext) -> dict[str, str]:
        return {}

    async def event(self, ctx: RunContext) -> Any:
        if self.payload is None:
            raise TaskFailed(f"property 'payload' is required by {self.TYPE}")
        return parse_json(ctx.render_string(self.payload), "payload")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        await self.post_json(ctx, ctx.render_string(self.url), await self.event(ctx), self.headers(ctx))
        ctx.logger.info("Request succeeded")
        return {}


def _facts(summary: Summary) -> dict[str, str]:
    return {**dict(summary.facts()), "Duration": summary.duration, "Link": summary.link}


# --- PagerDuty -------------------------------------------------------------------------------------------


@TASKS.register
class PagerDutyAlert(_JsonAlert):
    """Send an event to PagerDuty's Events API v2 (`url`: https://events.pagerduty.com/v2/enqueue)."""

    TYPE: ClassVar[str] = "notifications.pagerduty.PagerDutyAlert"
    ALIASES: ClassVar[tuple[str, ...]] = (
        f"{_KESTRA}.pagerduty.PagerDutyAlert",
        "io.kestra.plugin.pagerduty.PagerDutyAlert",
    )
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: send_pagerduty_alert
type: io.kestra.plugin.notifications.pagerduty.PagerDutyAlert
url: https://events.pagerduty.com/v2/enqueue
payload: |
  {
    "routing_key": "{{ secret('PAGERDUTY_ROUTING_KEY') }}",
    "event_action": "trigger",
    "payload": {"summary": "Flow {{ flow.id }} failed", "source": "{{ flow.namespace }}", "severity": "error"}
  }
""",
    )


@TASKS.register
class PagerDutyExecution(PagerDutyAlert, ExecutionFields):
    """Trigger (or acknowledge/resolve) a PagerDuty incident with the summary of an execution."""

    TYPE: ClassVar[str] = "notifications.pagerduty.PagerDutyExecution"
    ALIASES: ClassVar[tuple[str, ...]] = (
        f"{_KESTRA}.pagerduty.PagerDutyExecution",
        "io.kestra.plugin.pagerduty.PagerDutyExecution",
    )
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: send_pagerduty
type: io.kestra.plugin.notifications.pagerduty.PagerDutyExecution
url: https://events.pagerduty.com/v2/enqueue
routingKey: "{{ secret('PAGERDUTY_ROUTING_KEY') }}"
executionId: "{{ trigger.executionId }}"
payloadSummary: "PagerDuty alert for a failed flow"
""",
    )

    routingKey: str | None = Field(
        default=None, description="Integration key of the PagerDuty service (rendered)."
    )
    deduplicationKey: str | None = Field(
        default=None, description="Key correlating trigger, acknowledge and resolve events (rendered)."
    )
    eventAction: str | None = Field(
        default=None,
        description="trigger, acknowledge or resolve (default: acknowledge with a deduplication key, else trigger).",
    )
    payloadSummary: str | None = Field(
        default=None,
        description="Summary of the alert (rendered; default: the execution's title and outcome).",
    )

    async def event(self, ctx: RunContext) -> Any:
        summary = await summarize(ctx, self)
        dedup = render_optional_text(ctx, self.deduplicationKey)
        action = render_optional_text(ctx, self.eventAction) or ("acknowledge" if dedup else "trigger")
        if action not in ("trigger", "acknowledge", "resolve"):
            raise TaskFailed(
                f"property 'eventAction' must be trigger, acknowledge or resolve, not {action!r}"
            )
        event: dict[str, Any] = {
            "event_action": action,
            "payload": {
                "summary": render_optional_text(ctx, self.payloadSummary)
                or f"{summary.title}: {summary.outcome}",
                "source": f"{summary.execution.namespace} {summary.execution.id}",
                "severity": "error" if summary.failed_task else "info",
                "timestamp": datetime.now(UTC).isoformat(),
                "custom_details": _facts(summary),
            },
            "links": [{"href": summary.link, "text": summary.outcome}],
        }
        routing = render_optional_text(ctx, self.routingKey)
        if routing:
            event["routing_key"] = routing
        if dedup:
            event["dedup_key"] = dedup
        return event


# --- Opsgenie --------------------------------------------------------------------------------------------


@TASKS.register
class OpsgenieAlert(_JsonAlert):
    """Create an Opsgenie alert (`url`: https://api.opsgenie.com/v2/alerts; `authorizationToken`: the API
    integration's key, sent as `Authorization: GenieKey <key>`)."""

    TYPE: ClassVar[str] = "notifications.opsgenie.OpsgenieAlert"
    ALIASES: ClassVar[tuple[str, ...]] = (
        f"{_KESTRA}.opsgenie.OpsgenieAlert",
        "io.kestra.plugin.opsgenie.OpsgenieAlert",
    )
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: send_opsgenie_alert
type: io.kestra.plugin.notifications.opsgenie.OpsgenieAlert
url: https://api.opsgenie.com/v2/alerts
authorizationToken: "GenieKey {{ secret('OPSGENIE_KEY') }}"
payload: |
  {"message": "Flow {{ flow.id }} failed", "priority": "P1", "tags": ["kestra"]}
""",
    )

    authorizationToken: str | None = Field(
        default=None, description="The API key (rendered): `GenieKey <key>`, or the key alone."
    )

    def headers(self, ctx: RunContext) -> dict[str, str]:
        token = render_optional_text(ctx, self.authorizationToken)
        if not token:
            return {}
        return {"Authorization": token if token.startswith("GenieKey ") else f"GenieKey {token}"}


@TASKS.register
class OpsgenieExecution(OpsgenieAlert, ExecutionFields):
    """Create an Opsgenie alert with the summary of an execution in its details."""

    TYPE: ClassVar[str] = "notifications.opsgenie.OpsgenieExecution"
    ALIASES: ClassVar[tuple[str, ...]] = (
        f"{_KESTRA}.opsgenie.OpsgenieExecution",
        "io.kestra.plugin.opsgenie.OpsgenieExecution",
    )
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: send_opsgenie
type: io.kestra.plugin.notifications.opsgenie.OpsgenieExecution
url: https://api.opsgenie.com/v2/alerts
authorizationToken: "{{ secret('OPSGENIE_KEY') }}"
executionId: "{{ trigger.executionId }}"
message: Kestra Opsgenie alert
priority: P1
responders:
  4513b7ea-3b91-438f-b7e4-e3e54af9147c: team
tags: [ExecutionFailed, Error]
""",
    )

    message: str | None = Field(
        default=None, description="Alert message (rendered; default: the execution's title)."
    )
    alias: str | None = Field(
        default=None, description="Client-defined alias, to deduplicate alerts (rendered)."
    )
    responders: dict[str, str] | None = Field(
        default=None, description="Responders: id → type (team, user, escalation, schedule)."
    )
    visibleTo: dict[str, str] | None = Field(
        default=None, description="Teams and users the alert is visible to: id → type."
    )
    tags: list[str] | None = Field(default=None, description="Tags of the alert.")
    priority: str | None = Field(default=None, description="P1 to P5 (rendered).")

    async def event(self, ctx: RunContext) -> Any:
        summary = await summarize(ctx, self)
        event: dict[str, Any] = {
            "message": render_optional_text(ctx, self.message) or summary.title,
            "description": "\n".join(filter(None, [summary.custom_message, summary.outcome, summary.link])),
            "details": _facts(summary),
            "source": "legato",
        }
        for key, value in (("alias", self.alias), ("priority", self.priority)):
            if value is not None:
                event[key] = ctx.render_string(value)
        for key, pairs in (("responders", self.responders), ("visibleTo", self.visibleTo)):
            if pairs:
                event[key] = [
                    {"id": ctx.render_string(k), "type": ctx.render_string(v)} for k, v in pairs.items()
                ]
        if self.tags:
            event["tags"] = [ctx.render_string(t) for t in self.tags]
        return event


# --- Zenduty ---------------------------------------------------------------------------------------------


@TASKS.register
class ZendutyAlert(_JsonAlert):
    """Send an event to a Zenduty integration (`url`: https://www.zenduty.com/api/events/<integration key>/)."""

    TYPE: ClassVar[str] = "notifications.zenduty.ZendutyAlert"
    ALIASES: ClassVar[tuple[str, ...]] = (
        f"{_KESTRA}.zenduty.ZendutyAlert",
        "io.kestra.plugin.zenduty.ZendutyAlert",
    )
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: send_zenduty_message
type: io.kestra.plugin.notifications.zenduty.ZendutyAlert
url: "https://www.zenduty.com/api/events/{{ secret('ZENDUTY_INTEGRATION_KEY') }}/"
payload: |
  {"alert_type": "info", "message": "Flow {{ flow.id }} ran", "summary": "Execution {{ execution.id }}"}
""",
    )


@TASKS.register
class ZendutyExecution(ZendutyAlert, ExecutionFields):
    """Send the summary of an execution to Zenduty (error when it failed, resolved otherwise)."""

    TYPE: ClassVar[str] = "notifications.zenduty.ZendutyExecution"
    ALIASES: ClassVar[tuple[str, ...]] = (
        f"{_KESTRA}.zenduty.ZendutyExecution",
        "io.kestra.plugin.zenduty.ZendutyExecution",
    )
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: send_zenduty
type: io.kestra.plugin.notifications.zenduty.ZendutyExecution
url: "https://www.zenduty.com/api/events/{{ secret('ZENDUTY_INTEGRATION_KEY') }}/"
executionId: "{{ trigger.executionId }}"
message: Kestra workflow execution failed
alertType: ERROR
""",
    )

    message: str | None = Field(default=None, description="Event title (rendered).")
    summary: str | None = Field(default=None, description="Event summary (rendered).")
    alertType: Literal["CRITICAL", "ACKNOWLEDGED", "RESOLVED", "ERROR", "WARNING", "INFO"] | None = Field(
        default=None, description="Alert type (default: ERROR when the execution failed, else RESOLVED)."
    )
    entityId: str | None = Field(
        default=None,
        description="Id of the alert, to correlate events (rendered; default: the execution id).",
    )
    urls: list[str] | None = Field(default=None, description="Links added to the event (rendered).")

    async def event(self, ctx: RunContext) -> Any:
        found = await summarize(ctx, self)
        kind = self.alertType or ("ERROR" if found.failed_task else "RESOLVED")
        links = [{"link_url": found.link, "link_text": "Execution link"}]
        links += [{"link_url": ctx.render_string(u)} for u in self.urls or ()]
        return {
            "message": render_optional_text(ctx, self.message) or "Kestra workflow execution",
            "summary": render_optional_text(ctx, self.summary)
            or f"Execution {found.execution.id} of flow {found.execution.flow_id} in namespace "
            f"{found.execution.namespace} changed status to {found.state}. {found.outcome}",
            "alert_type": kind.lower(),
            "entity_id": render_optional_text(ctx, self.entityId) or found.execution.id,
            "urls": links,
            "payload": _facts(found),
        }


# --- Sentry ----------------------------------------------------------------------------------------------


def sentry_url(dsn: str, endpoint: str) -> str:
    """The envelope (or store) endpoint of a DSN `scheme://<key>@<host>/<project>`."""
    parts = urllib.parse.urlsplit(dsn.strip())
    project = parts.path.strip("/").rsplit("/", 1)[-1]
    if (
        parts.scheme not in ("http", "https")
        or not parts.username
        or not parts.hostname
        or not project.isdigit()
    ):
        raise TaskFailed(
            "property 'dsn' must be a Sentry DSN like https://<key>@o0.ingest.sentry.io/<project id>"
        )
    prefix = parts.path.strip("/").rsplit("/", 1)[0] if "/" in parts.path.strip("/") else ""
    host = parts.hostname + (f":{parts.port}" if parts.port else "")
    base = f"{parts.scheme}://{host}/" + (f"{prefix}/" if prefix else "")
    query = urllib.parse.urlencode(
        {"sentry_version": "7", "sentry_client": "legato", "sentry_key": parts.username}
    )
    return f"{base}api/{project}/{endpoint.lower()}/?{query}"


@TASKS.register
class SentryAlert(HttpNotification):
    """Send an event to Sentry from its DSN (`endpointType` ENVELOPE, the default, or the older STORE); without
    `payload`, an error event naming the execution."""

    TYPE: ClassVar[str] = "notifications.sentry.SentryAlert"
    ALIASES: ClassVar[tuple[str, ...]] = (
        f"{_KESTRA}.sentry.SentryAlert",
        "io.kestra.plugin.sentry.SentryAlert",
    )
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: send_sentry_alert
type: io.kestra.plugin.notifications.sentry.SentryAlert
dsn: "{{ secret('SENTRY_DSN') }}"
endpointType: ENVELOPE
payload: |
  {"level": "error", "message": {"message": "Flow {{ flow.id }} failed"}, "platform": "python"}
""",
    )

    dsn: str = Field(
        description="The project's DSN (rendered): https://<key>@o<org>.ingest.sentry.io/<project id>."
    )
    endpointType: Literal["ENVELOPE", "STORE"] = Field(
        default="ENVELOPE", description="Sentry endpoint: ENVELOPE or the older STORE."
    )
    payload: str | None = Field(
        default=None,
        description="The event as JSON (rendered); default: an error event naming the execution.",
    )

    async def event(self, ctx: RunContext) -> dict[str, Any]:
        if self.payload is None:
            return {
                "timestamp": ctx.execution.created.isoformat(),
                "platform": "python",
                "level": "error",
                "message": {"message": f"Execution {ctx.execution.id} failed"},
                "extra": {
                    "Namespace": ctx.flow_namespace,
                    "Flow ID": ctx.flow_id,
                    "Execution ID": ctx.execution.id,
                },
            }
        value = parse_json(ctx.render_string(self.payload), "payload")
        if not isinstance(value, dict):
            raise TaskFailed("property 'payload' must be a JSON object (a Sentry event)")
        return value

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        dsn = ctx.render_string(self.dsn)
        url = sentry_url(dsn, self.endpointType)
        event = await self.event(ctx)
        event.setdefault("event_id", uuid.uuid4().hex)
        body = json.dumps(event)
        if self.endpointType == "STORE":
            await self.post(ctx, url, body.encode(), "application/json")
        else:
            sent_at = datetime.now(UTC).isoformat()
            head = {
                "event_id": event["event_id"],
                "dsn": dsn,
                "sdk": {"name": "legato", "version": "1"},
                "sent_at": sent_at,
            }
            item = {"type": "event", "length": len(body.encode()), "content_type": "application/json"}
            envelope = f"{json.dumps(head)}\n{json.dumps(item)}\n{body}\n"
            await self.post(ctx, url, envelope.encode(), "application/x-sentry-envelope")
        ctx.logger.info("Request succeeded")
        return {}


@TASKS.register
class SentryExecution(SentryAlert, ExecutionFields):
    """Send the summary of an execution to Sentry as an event (an exception naming the failed task)."""

    TYPE: ClassVar[str] = "notifications.sentry.SentryExecution"
    ALIASES: ClassVar[tuple[str, ...]] = (
        f"{_KESTRA}.sentry.SentryExecution",
        "io.kestra.plugin.sentry.SentryExecution",
    )
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: send_sentry
type: io.kestra.plugin.notifications.sentry.SentryExecution
dsn: "{{ secret('SENTRY_DSN') }}"
executionId: "{{ trigger.executionId }}"
level: ERROR
""",
    )

    eventId: str | None = Field(
        default=None, description="32 lowercase hex characters identifying the event (default: a new uuid4)."
    )
    platform: str = Field(
        default="JAVA", description="Platform the event is reported as (JAVA, PYTHON, OTHER...)."
    )
    level: Literal["FATAL", "ERROR", "WARNING", "INFO", "DEBUG"] = Field(
        default="ERROR", description="Severity of the event."
    )
    transaction: str | None = Field(
        default=None, description="Name of the transaction that caused the event (rendered)."
    )
    serverName: str | None = Field(default=None, description="Host the event is reported from (rendered).")
    extra: dict[str, Any] | None = Field(
        default=None, description="Extra metadata of the event (values rendered)."
    )
    errors: dict[str, Any] | None = Field(
        default=None, description="Processing errors attached to the event: path → details."
    )

    async def event(self, ctx: RunContext) -> dict[str, Any]:
        summary = await summarize(ctx, self)
        title = f"{summary.execution.flow_id} ➛ {summary.state}"
        event: dict[str, Any] = {
            "event_id": self.eventId or uuid.uuid4().hex,
            "timestamp": datetime.now(UTC).isoformat(),
            "platform": self.platform.lower(),
            "level": self.level.lower(),
            "exception": {
                "values": [{"type": title, "value": summary.outcome, "module": summary.execution.namespace}]
            },
            "extra": {**_facts(summary), **(ctx.render(self.extra) if self.extra else {})},
        }
        if summary.custom_message:
            event["message"] = {"message": summary.custom_message}
        for key, value in (("transaction", self.transaction), ("server_name", self.serverName)):
            if value is not None:
                event[key] = ctx.render_string(value)
        if self.errors:
            event["errors"] = [
                {"type": "unknown_error", "path": k, "details": v} for k, v in ctx.render(self.errors).items()
            ]
        return event


# --- Twilio ----------------------------------------------------------------------------------------------


@TASKS.register
class TwilioAlert(HttpNotification):
    """Send a Twilio Notify notification: the JSON `payload` is posted form-encoded, with the account SID and auth
    token as basic auth (`url`: https://notify.twilio.com/v1/Services/<service SID>/Notifications)."""

    TYPE: ClassVar[str] = "notifications.twilio.TwilioAlert"
    # io.kestra.plugin.twilio.notify: Kestra's Twilio plugin, which took these tasks over, same properties
    ALIASES: ClassVar[tuple[str, ...]] = (
        f"{_KESTRA}.twilio.TwilioAlert", "io.kestra.plugin.twilio.notify.TwilioAlert"
    )
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: send_twilio_message
type: io.kestra.plugin.notifications.twilio.TwilioAlert
url: "https://notify.twilio.com/v1/Services/{{ secret('TWILIO_SERVICE_SID') }}/Notifications"
accountSID: "{{ secret('TWILIO_ACCOUNT_SID') }}"
authToken: "{{ secret('TWILIO_AUTH_TOKEN') }}"
payload: |
  {"Body": "Flow {{ flow.id }} failed", "Identity": "0000001"}
""",
    )

    url: str = Field(description="The Notify endpoint (rendered).")
    payload: str | None = Field(
        default=None, description="The notification's fields as a JSON object (rendered), sent form-encoded."
    )
    accountSID: str = Field(description="Twilio account SID (rendered).")
    authToken: str = Field(description="Twilio auth token (rendered).")

    async def fields(self, ctx: RunContext) -> dict[str, Any]:
        if self.payload is None:
            raise TaskFailed(f"property 'payload' is required by {self.TYPE}")
        value = parse_json(ctx.render_string(self.payload), "payload")
        if not isinstance(value, dict):
            raise TaskFailed("property 'payload' must be a JSON object of form fields")
        return value

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        fields = await self.fields(ctx)
        form = urllib.parse.urlencode(
            {k: v if isinstance(v, str) else json.dumps(v) for k, v in fields.items()}, doseq=False
        )
        user = f"{ctx.render_string(self.accountSID)}:{ctx.render_string(self.authToken)}"
        auth = {"Authorization": "Basic " + base64.b64encode(user.encode()).decode()}
        await self.post(
            ctx, ctx.render_string(self.url), form.encode(), "application/x-www-form-urlencoded", auth
        )
        ctx.logger.info("Request succeeded")
        return {}


@TASKS.register
class TwilioExecution(TwilioAlert, ExecutionFields):
    """Send the summary of an execution as a Twilio Notify notification (SMS, push...)."""

    TYPE: ClassVar[str] = "notifications.twilio.TwilioExecution"
    ALIASES: ClassVar[tuple[str, ...]] = (
        f"{_KESTRA}.twilio.TwilioExecution", "io.kestra.plugin.twilio.notify.TwilioExecution"
    )
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: send_twilio
type: io.kestra.plugin.notifications.twilio.TwilioExecution
url: "https://notify.twilio.com/v1/Services/{{ secret('TWILIO_SERVICE_SID') }}/Notifications"
accountSID: "{{ secret('TWILIO_ACCOUNT_SID') }}"
authToken: "{{ secret('TWILIO_AUTH_TOKEN') }}"
executionId: "{{ trigger.executionId }}"
identity: "0000001"
""",
    )

    body: str | None = Field(
        default=None, description="Text of the notification (rendered; default: the execution summary)."
    )
    identity: str | None = Field(default=None, description="Identity of the users to notify (rendered).")
    tag: str | None = Field(default=None, description="Tag of the users to notify (rendered).")

    async def fields(self, ctx: RunContext) -> dict[str, Any]:
        summary = await summarize(ctx, self)
        fields: dict[str, Any] = {"Body": render_optional_text(ctx, self.body) or summary.text()}
        for key, value in (("Identity", self.identity), ("Tag", self.tag)):
            if value is not None:
                fields[key] = ctx.render_string(value)
        return fields
