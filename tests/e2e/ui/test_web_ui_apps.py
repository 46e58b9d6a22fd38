"""Apps in a real browser (scenario in apps_scenarios.mjs, run by browser.mjs) against a `legato server local` with
examples/ deployed: the example app found in the catalogue and opened on its own page (no editor chrome), its form
filled and sent, the approval stage reached live, approved with a comment, its outputs shown; the editor previews
a stage and shows a mistake at its line; axe-core finds nothing on the catalogue and on the app's page in either
theme."""

from __future__ import annotations

from tests.e2e.ui.test_web_ui import _scenario


def test_fill_an_apps_form_see_the_approval_step_approve_and_see_the_outputs(server: str) -> None:
    _scenario("apps", server)


def test_an_apps_form_checks_the_inputs_as_the_flow_does_and_shows_each_error_at_its_field(server: str) -> None:
    _scenario("app_form_checks", server)
