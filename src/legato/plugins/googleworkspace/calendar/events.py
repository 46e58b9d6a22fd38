"""Google Calendar events (`io.kestra.plugin.googleworkspace.calendar.*`) over the Calendar v3 REST API:
`ListEvents` (with Kestra's filters; outputs `events`, the summary of each, `metadataList`, each as Google describes
it, and `nextPageToken`), `GetEvent`, `InsertEvent`, `UpdateEvent` and `DeleteEvent`. The scope defaults to
https://www.googleapis.com/auth/calendar."""

from __future__ import annotations

from typing import Any, ClassVar, Literal
from urllib.parse import quote

from pydantic import Field

from legato.model.task import TASKS, Frozen
from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.googleworkspace.connection import GOOGLE_APIS, WorkspaceTask
from legato.plugins.runnable import Expression, render_as, render_optional, render_optional_text, render_text

PREFIX = "io.kestra.plugin.googleworkspace.calendar"
CALENDAR = "https://www.googleapis.com/auth/calendar"
KEY = "serviceAccount: \"{{ secret('GCP_SERVICE_ACCOUNT_JSON') }}\"\n"


def event_summary(event: dict[str, Any]) -> dict[str, Any]:
    """Kestra's Event output: id, status, summary, description, location."""
    return {k: event.get(k) for k in ("id", "status", "summary", "description", "location")}


class CalendarTask(WorkspaceTask):
    SCOPES: ClassVar[tuple[str, ...]] = (CALENDAR,)

    calendarId: str = Field(description="The calendar: its id, e.g. an email address, or `primary` (rendered).")

    def events(self, ctx: RunContext, event_id: str | None = None) -> str:
        path = f"/calendar/v3/calendars/{quote(render_text(ctx, self.calendarId), safe='')}/events"
        return path + (f"/{quote(event_id, safe='')}" if event_id else "")


@TASKS.register
class ListEvents(CalendarTask):
    """The events of a calendar between `timeMin` and `timeMax`, matching `q`: `events` (id, status, summary,
    description, location), `metadataList` (each event as the API returns it) and `nextPageToken`."""

    TYPE: ClassVar[str] = f"{PREFIX}.ListEvents"
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        f"id: meetings\ntype: {PREFIX}.ListEvents\n{KEY}calendarId: team@example.com\n"
        "timeMin: \"{{ now() | dateAdd(-7, 'DAYS') }}\"\ntimeMax: \"{{ now() }}\"\n",
    )

    timeMin: str | None = Field(default=None, description="Only events ending after this RFC 3339 time (rendered).")
    timeMax: str | None = Field(default=None, description="Only events starting before this RFC 3339 time (rendered).")
    q: str | None = Field(default=None, description="Free text the events must contain (rendered).")
    singleEvents: bool | Expression = Field(default=True, description="Recurring events as their single instances.")
    orderBy: Literal["startTime", "updated"] | Expression | None = Field(default=None, description="startTime (needs singleEvents) or updated.")
    showDeleted: bool | Expression = Field(default=False, description="Include cancelled events.")
    maxResults: int | Expression | None = Field(default=None, description="Most events on the page.")
    pageToken: str | None = Field(default=None, description="The page to read (a previous run's nextPageToken).")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        def flag(name: str) -> str:
            return "true" if render_as(ctx, getattr(self, name), bool, name) else "false"

        params = {"timeMin": render_optional_text(ctx, self.timeMin), "timeMax": render_optional_text(ctx, self.timeMax),
                  "q": render_optional_text(ctx, self.q), "singleEvents": flag("singleEvents"),
                  "orderBy": render_optional(ctx, self.orderBy, Literal["startTime", "updated"], "orderBy"),
                  "showDeleted": flag("showDeleted"), "maxResults": render_optional(ctx, self.maxResults, int, "maxResults"),
                  "pageToken": render_optional_text(ctx, self.pageToken)}
        found = await (await self.api(ctx, GOOGLE_APIS)).call(
            "GET", self.events(ctx), params={k: v for k, v in params.items() if v is not None}) or {}
        items = found.get("items") or []
        ctx.logger.info(f"{len(items)} event(s) found")
        return {"events": [event_summary(e) for e in items], "metadataList": items, "nextPageToken": found.get("nextPageToken")}


@TASKS.register
class GetEvent(CalendarTask):
    """One event by its id: `event` (id, status, summary, description, location) and `metadata` (as the API
    returns it)."""

    TYPE: ClassVar[str] = f"{PREFIX}.GetEvent"
    EXAMPLES: ClassVar[tuple[str, ...]] = (f"id: event\ntype: {PREFIX}.GetEvent\n{KEY}calendarId: primary\neventId: abc123\n",)

    eventId: str = Field(description="The event's id (rendered).")
    maxAttendees: int | Expression | None = Field(default=None, description="Most attendees listed.")
    alwaysIncludeEmail: bool | Expression | None = Field(default=None, description="Accepted for Kestra's flows (Google ignores it).")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        params = {"maxAttendees": render_optional(ctx, self.maxAttendees, int, "maxAttendees")}
        event = await (await self.api(ctx, GOOGLE_APIS)).call(
            "GET", self.events(ctx, render_text(ctx, self.eventId)), params={k: v for k, v in params.items() if v is not None}) or {}
        return {"event": event_summary(event), "metadata": event}


class CalendarTime(Frozen):
    dateTime: str = Field(description="An RFC 3339 time, e.g. 2026-12-07T09:00:00+01:00 (rendered).")
    timeZone: str | None = Field(default=None, description="An IANA time zone, e.g. Europe/London (rendered).")


class Attendee(Frozen):
    email: str = Field(description="The person's email address (rendered).")
    displayName: str | None = Field(default=None, description="Their name (rendered).")


class _Write(CalendarTask):
    summary: str | None = Field(default=None, description="The event's title (rendered).")
    description: str | None = Field(default=None, description="Its description (rendered).")
    location: str | None = Field(default=None, description="Its place (rendered).")
    startTime: CalendarTime | None = Field(default=None, description="When it starts: dateTime and timeZone.")
    endTime: CalendarTime | None = Field(default=None, description="When it ends: dateTime and timeZone.")
    creator: Attendee | None = Field(default=None, description="Who created it: email and displayName.")
    attendees: list[Attendee] | None = Field(default=None, description="Who is invited: email and displayName each.")

    def body(self, ctx: RunContext) -> dict[str, Any]:
        def when(at: CalendarTime | None) -> dict[str, Any] | None:
            if at is None:
                return None
            return {k: v for k, v in {"dateTime": render_text(ctx, at.dateTime),
                                      "timeZone": render_optional_text(ctx, at.timeZone)}.items() if v is not None}

        def person(p: Attendee) -> dict[str, Any]:
            return {k: v for k, v in {"email": render_text(ctx, p.email),
                                      "displayName": render_optional_text(ctx, p.displayName)}.items() if v is not None}

        body = {"summary": render_optional_text(ctx, self.summary), "description": render_optional_text(ctx, self.description),
                "location": render_optional_text(ctx, self.location), "start": when(self.startTime), "end": when(self.endTime),
                "creator": person(self.creator) if self.creator else None,
                "attendees": [person(a) for a in self.attendees] if self.attendees else None}
        return {k: v for k, v in body.items() if v is not None}


@TASKS.register
class InsertEvent(_Write):
    """Create an event (`startTime` and `endTime` required by Google); outputs `event` (id, status, summary,
    description, location)."""

    TYPE: ClassVar[str] = f"{PREFIX}.InsertEvent"
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        f"id: block\ntype: {PREFIX}.InsertEvent\n{KEY}calendarId: primary\nsummary: Release freeze\n"
        "startTime:\n  dateTime: \"2026-12-24T09:00:00+01:00\"\n  timeZone: Europe/Paris\n"
        "endTime:\n  dateTime: \"2026-12-24T18:00:00+01:00\"\n  timeZone: Europe/Paris\n",
    )

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        if self.startTime is None or self.endTime is None:
            raise TaskFailed("an event needs startTime and endTime")
        event = await (await self.api(ctx, GOOGLE_APIS)).call("POST", self.events(ctx), json=self.body(ctx)) or {}
        ctx.logger.info(f"event {event.get('id')} created")
        return {"event": event_summary(event)}


@TASKS.register
class UpdateEvent(_Write):
    """Change the fields given of an event (PATCH); outputs `event`."""

    TYPE: ClassVar[str] = f"{PREFIX}.UpdateEvent"
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        f"id: move\ntype: {PREFIX}.UpdateEvent\n{KEY}calendarId: primary\neventId: abc123\nlocation: Room 4\n",)

    eventId: str = Field(description="The event's id (rendered).")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        event = await (await self.api(ctx, GOOGLE_APIS)).call(
            "PATCH", self.events(ctx, render_text(ctx, self.eventId)), json=self.body(ctx)) or {}
        return {"event": event_summary(event)}


@TASKS.register
class DeleteEvent(CalendarTask):
    """Delete an event; outputs its `eventId`."""

    TYPE: ClassVar[str] = f"{PREFIX}.DeleteEvent"
    EXAMPLES: ClassVar[tuple[str, ...]] = (f"id: cancel\ntype: {PREFIX}.DeleteEvent\n{KEY}calendarId: primary\neventId: abc123\n",)

    eventId: str = Field(description="The event's id (rendered).")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        event_id = render_text(ctx, self.eventId)
        await (await self.api(ctx, GOOGLE_APIS)).call("DELETE", self.events(ctx, event_id))
        return {"eventId": event_id}
