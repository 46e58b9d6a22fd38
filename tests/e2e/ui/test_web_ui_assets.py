"""Assets in a real browser (scenario in assets_scenarios.mjs, run by browser.mjs) against a `legato server local`:
a flow whose tasks declare assets runs; Assets in the navigation lists them with filters; an asset's page shows its
metadata, upstream and downstream assets (links that lead on) and the execution that used it; one registered by
hand is deleted; axe-core finds nothing on the list and on an asset in either theme."""

from __future__ import annotations

from tests.e2e.ui.test_web_ui import _scenario


def test_a_flow_with_assets_shows_them_their_lineage_and_the_execution(server: str) -> None:
    _scenario("assets", server)
