"""The copilot tests' scripted model answers (the API routes' and `legato ai`'s): a flow the parser refuses (a
misspelt property), then the repaired one, each in a fenced YAML block as a model writes it."""

from __future__ import annotations

REPORT = """id: nightly_report
namespace: company.reports
tasks:
  - id: fetch
    type: io.kestra.plugin.core.http.Download
    uri: https://example.com/sales.csv
"""
DONE = """  - id: done
    type: io.kestra.plugin.core.log.Log
    message: "downloaded {{ outputs.fetch.uri }}"
"""
NIGHTLY = """triggers:
  - id: nightly
    type: io.kestra.plugin.core.trigger.Schedule
    cron: "0 2 * * *"
"""


def answer(flow: str, preface: str) -> str:
    """A model's reply: `preface`, then `flow` in a fenced YAML block."""
    return f"{preface}\n```yaml\n{flow}```\n"


def invalid(preface: str = "Here it is:") -> str:
    """The first answer: `fetch` with a misspelt `mesage`, which the parser refuses."""
    return answer(REPORT + "    mesage: oops\n", preface)


def valid(*, scheduled: bool = False) -> str:
    """The repaired answer: `fetch` then `done` (with `scheduled`, a nightly Schedule too)."""
    return answer(REPORT + DONE + (NIGHTLY if scheduled else ""), "Fixed:")
