"""Kestra's Google Calendar tasks against the Google double with Calendar v3 (calendar_double.py): a service account
key whose grant the double's token endpoint checks, then the events API through LEGATO_GOOGLEWORKSPACE_ENDPOINT."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from tests.integration.googleworkspace.calendar_double import GoogleDouble
from tests.integration.googleworkspace.double import service_account
from tests.unit.plugins.conftest import Harness

from legato.plugins.context import TaskFailed
from legato.plugins.googleworkspace.connection import ENDPOINT

CAL = "team@example.com"


@pytest.fixture
def google(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[GoogleDouble, str]]:
    double = GoogleDouble()
    with double.serve() as url:
        key, double.public_key = service_account(f"{url}/token")
        monkeypatch.setenv(ENDPOINT, url)
        yield double, key


def task(key: str, kind: str, **props: Any) -> dict[str, Any]:
    return {"id": "t", "type": f"io.kestra.plugin.googleworkspace.calendar.{kind}", "serviceAccount": key,
            "calendarId": CAL, **props}


def at(day: int, hour: int) -> dict[str, str]:
    return {"dateTime": f"2026-12-{day:02d}T{hour:02d}:00:00+01:00", "timeZone": "Europe/Paris"}


def test_insert_list_get_update_delete(harness: Harness, google: tuple[GoogleDouble, str]) -> None:
    double, key = google
    double.add_event(CAL, {"summary": "Old standup", "start": at(1, 9), "end": at(1, 10)})
    inserted = harness.run(task(key, "InsertEvent", summary="Release freeze", description="no deploys",
                                location="Paris", startTime=at(7, 9), endTime=at(7, 18),
                                attendees=[{"email": "ann@example.com", "displayName": "Ann"}]))
    event = inserted["event"]
    assert event["summary"] == "Release freeze" and event["status"] == "confirmed"
    stored = double.calendars[CAL][event["id"]]
    assert stored["start"] == at(7, 9) and stored["attendees"] == [{"email": "ann@example.com", "displayName": "Ann"}]

    listed = harness.run(task(key, "ListEvents", timeMin="2026-12-05T00:00:00+01:00", timeMax="2026-12-08T00:00:00+01:00",
                              orderBy="startTime"))
    assert [e["summary"] for e in listed["events"]] == ["Release freeze"]
    assert listed["metadataList"][0]["htmlLink"].endswith(event["id"]) and listed["nextPageToken"] is None
    sent = double.requests[-1].query
    assert sent["singleEvents"] == ["true"] and sent["showDeleted"] == ["false"] and sent["orderBy"] == ["startTime"]
    page = harness.run(task(key, "ListEvents", maxResults=1, orderBy="startTime"))
    assert [e["summary"] for e in page["events"]] == ["Old standup"] and page["nextPageToken"] == "1"

    got = harness.run(task(key, "GetEvent", eventId=event["id"]))
    assert got["event"] == event and got["metadata"]["location"] == "Paris"
    moved = harness.run(task(key, "UpdateEvent", eventId=event["id"], location="Lyon"))
    assert moved["event"]["location"] == "Lyon" and stored["summary"] == "Release freeze"
    assert harness.run(task(key, "DeleteEvent", eventId=event["id"])) == {"eventId": event["id"]}
    with pytest.raises(TaskFailed, match=r"answered HTTP 404"):
        harness.run(task(key, "GetEvent", eventId=event["id"]))


def test_refusals(harness: Harness, google: tuple[GoogleDouble, str]) -> None:
    _, key = google
    with pytest.raises(TaskFailed, match="an event needs startTime and endTime"):
        harness.run(task(key, "InsertEvent", summary="x", startTime=at(7, 9)))
    spreadsheets_only = ["https://www.googleapis.com/auth/spreadsheets"]
    with pytest.raises(TaskFailed, match=r"answered HTTP 403: .*insufficient authentication scopes"):
        harness.run(task(key, "ListEvents", scopes=spreadsheets_only))
