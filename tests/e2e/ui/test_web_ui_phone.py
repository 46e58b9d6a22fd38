"""The web UI at phone width (390 x 844) in a real browser (scenario in phone_scenarios.mjs, run by browser.mjs)
against a `legato server local` with the example flows: home, dashboard, flows list, a flow, an execution (overview,
logs, Gantt) and the editor fit the screen's width with no overlapping controls; the navigation folds behind a
Menu button (aria-expanded, Escape closes and gives focus back, a link navigates); the editor's panes stack; axe-core
finds nothing on the home page, the flows list or an execution in either theme at that width."""

from __future__ import annotations

from tests.e2e.ui.test_web_ui import _scenario


def test_main_pages_fit_a_phone_screen_with_a_menu_button_and_pass_axe(server: str) -> None:
    _scenario("phone_width", server)
