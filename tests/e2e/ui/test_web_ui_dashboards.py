"""Custom dashboards in a real browser (scenario in dashboards_scenarios.mjs, run by browser.mjs) against a
`legato server local`: the built-in default dashboard on the home page; one created from YAML after a mistake is shown at its line, charts drawn from real
executions (KPI ratio, pie, bars, Markdown), a chart exported as CSV, the YAML edited, the dashboard deleted; axe-core finds nothing on the
list and on a dashboard in either theme."""

from __future__ import annotations

from tests.e2e.ui.test_web_ui import _scenario


def test_dashboard_created_with_a_mistake_fixed_charts_drawn_exported_edited_and_deleted(server: str) -> None:
    _scenario("dashboards", server)
