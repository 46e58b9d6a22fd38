"""The Google double (double.py: the OAuth token endpoint, Sheets and Drive) with the Calendar v3 events API too,
in the shapes of developers.google.com/calendar/api/v3/reference/events:

- GET /calendar/v3/calendars/{calendarId}/events (`timeMin`, `timeMax`, `q`, `singleEvents`, `orderBy`, `showDeleted`,
  `maxResults`, `pageToken`) → `{kind: calendar#events, items, nextPageToken?}`: events ending after timeMin and
  starting before timeMax, containing `q` in their summary or description, cancelled ones only with showDeleted;
- POST .../events → the event, given an `id`, `status: confirmed` and an `htmlLink`; a missing start or end is 400
  `{"error": {"code": 400, "message": "Missing end time.", "status": "INVALID_ARGUMENT"}}`;
- GET, PATCH and DELETE .../events/{eventId} → the event, the event changed, 204; an unknown event is 404
  `{"error": {"code": 404, "message": "Not Found", "status": "NOT_FOUND"}}`.
Events need a token granted the calendar scope (403 `insufficientPermissions` otherwise)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import unquote

from tests.api_double import Reply, Request
from tests.integration.googleworkspace.double import SheetsDouble

CALENDAR_SCOPE = "https://www.googleapis.com/auth/calendar"


def _at(value: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(value["dateTime"])


def _error(code: int, message: str, status: str) -> Reply:
    return Reply(code, {"error": {"code": code, "message": message, "status": status}})


class GoogleDouble(SheetsDouble):
    def __init__(self) -> None:
        super().__init__()
        self.calendars: dict[str, dict[str, dict[str, Any]]] = {}
        c = r"/calendar/v3/calendars/(?P<cal>[^/]+)/events"
        self.route("GET", c, self._list)
        self.route("POST", c, self._insert)
        self.route("GET", c + r"/(?P<eid>[^/]+)", self._get_event)
        self.route("PATCH", c + r"/(?P<eid>[^/]+)", self._patch)
        self.route("DELETE", c + r"/(?P<eid>[^/]+)", self._delete_event)

    def dispatch(self, request: Request) -> Reply:
        if request.path.startswith("/calendar/") and self.authorized(request):
            token = request.headers["authorization"][7:]
            if CALENDAR_SCOPE not in self.tokens[token]:
                return _error(403, "Request had insufficient authentication scopes.", "PERMISSION_DENIED")
        return super().dispatch(request)

    def add_event(self, calendar: str, event: dict[str, Any]) -> str:
        eid = f"evt{next(self.ids)}"
        self.calendars.setdefault(calendar, {})[eid] = {
            "kind": "calendar#event", "id": eid, "status": "confirmed",
            "htmlLink": f"https://www.google.com/calendar/event?eid={eid}", **event}
        return eid

    def _list(self, request: Request, cal: str) -> Reply:
        q = {k: v[0] for k, v in request.query.items()}
        events = list(self.calendars.get(unquote(cal), {}).values())
        if "timeMin" in q:
            events = [e for e in events if _at(e["end"]) > datetime.fromisoformat(q["timeMin"])]
        if "timeMax" in q:
            events = [e for e in events if _at(e["start"]) < datetime.fromisoformat(q["timeMax"])]
        if "q" in q:
            events = [e for e in events if q["q"].lower() in (e.get("summary", "") + e.get("description", "")).lower()]
        if q.get("showDeleted") != "true":
            events = [e for e in events if e["status"] != "cancelled"]
        if q.get("orderBy") == "startTime":
            events.sort(key=lambda e: _at(e["start"]))
        start = int(q.get("pageToken", "0"))
        size = int(q.get("maxResults", "250"))
        body: dict[str, Any] = {"kind": "calendar#events", "items": events[start:start + size]}
        if start + size < len(events):
            body["nextPageToken"] = str(start + size)
        return Reply(200, body)

    def _insert(self, request: Request, cal: str) -> Reply:
        for part, message in (("start", "Missing start time."), ("end", "Missing end time.")):
            if part not in request.body:
                return _error(400, message, "INVALID_ARGUMENT")
        eid = self.add_event(unquote(cal), request.body)
        return Reply(200, self.calendars[unquote(cal)][eid])

    def _event(self, cal: str, eid: str) -> dict[str, Any] | None:
        return self.calendars.get(unquote(cal), {}).get(eid)

    def _get_event(self, request: Request, cal: str, eid: str) -> Reply:
        event = self._event(cal, eid)
        return Reply(200, event) if event else _error(404, "Not Found", "NOT_FOUND")

    def _patch(self, request: Request, cal: str, eid: str) -> Reply:
        event = self._event(cal, eid)
        if event is None:
            return _error(404, "Not Found", "NOT_FOUND")
        event.update(request.body)
        return Reply(200, event)

    def _delete_event(self, request: Request, cal: str, eid: str) -> Reply:
        if self.calendars.get(unquote(cal), {}).pop(eid, None) is None:
            return _error(404, "Not Found", "NOT_FOUND")
        return Reply(204)
