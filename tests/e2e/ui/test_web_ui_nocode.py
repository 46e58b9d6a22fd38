"""No-code editing in a real browser (scenario in nocode_scenarios.mjs, run by browser.mjs) against a
`legato server local`: a Log task added after another from the editor's topology (type searched in the installed
ones, id typed), its message and level set in the form, wrong values flagged at their fields and kept out of the
YAML, a key mistyped in the code listed in the form with the server's words, a task added inside an If; the saved YAML differs from the hand-written one by the new tasks only (comments
kept); the run shows the new task's log line; axe-core finds nothing on the form and the dialog in either theme."""

from __future__ import annotations

from tests.e2e.ui.test_web_ui import _scenario


def test_task_added_from_the_topology_filled_in_the_form_saved_in_place_and_run(server: str) -> None:
    _scenario("nocode_editing", server)
