"""The global Triggers page in a real browser (scenario in triggers_scenarios.mjs, run by browser.mjs) against
a `legato server local`: a Schedule and a Webhook in two namespaces listed with their short types and only the
actions that apply; the text and namespace filters kept in the URL; one trigger disabled and enabled from its
switch and both in bulk (the API agrees each time); the Schedule backfilled over three past hours from its
dialog, which starts its executions; a Schedule waiting for its paused execution unlocked from its row; a
failing trigger's error on its row; axe-core finds nothing on the page in either theme."""

from __future__ import annotations

from tests.e2e.ui.test_web_ui import _scenario


def test_triggers_of_all_namespaces_filtered_toggled_bulk_toggled_and_backfilled(server: str) -> None:
    _scenario("triggers_page", server)
