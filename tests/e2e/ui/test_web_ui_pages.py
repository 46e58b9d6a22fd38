"""The operator's pages in a real browser (scenarios in pages_scenarios.mjs, run by browser.mjs) against a
`legato server local` with the example flows: execution tabs live, restart after a KV edit, bulk delete,
triggers (toggle, backfill), blueprints, every section with settings, and user content that must not run.
A failing scenario leaves a screenshot and the page's HTML in test-results/ui/."""

from __future__ import annotations

import pytest
from tests.e2e.ui.test_web_ui import _scenario


def test_execute_with_a_file_watch_live_then_gantt_logs_outputs_preview_console_and_list_filters(server: str) -> None:
    """A flow with a FILE input runs from its page; its log line arrives live while it runs; RUNNING then
    SUCCESS on the Gantt tab; logs filtered by level through the URL; the output CSV previews as a table; the
    console evaluates; the topology is coloured; the executions list filters by labels in the URL; the flow
    page's Logs tab searches every execution's lines."""
    _scenario("execution_tabs", server)


def test_kv_entry_added_and_edited_then_failed_execution_restarted_green_and_bulk_deleted(server: str) -> None:
    """A bad NUMBER is refused, then a key is added, edited to a STRING with a TTL; the execution that
    failed for want of it is restarted from its page and succeeds; a label is added, a replay from one task
    run succeeds; the list's bulk delete removes both executions."""
    _scenario("restart_and_kv", server)


def test_trigger_toggled_off_and_on_and_backfilled(server: str) -> None:
    """The Triggers tab disables and enables a Schedule (checked through the API) and runs a backfill form
    (bad inputs refused), then pauses, resumes and deletes the backfill; a trigger whose `when` cannot be
    evaluated shows the error on its row."""
    _scenario("triggers", server)


def test_execute_form_shows_the_flow_checks_as_inputs_are_typed(server: str) -> None:
    """A blocking check's message shows while typing and the run is refused with it; a warning check shows;
    inputs that pass every check clear the list and start the execution."""
    _scenario("flow_checks", server)


@pytest.mark.parametrize("sections", ["accessibility", "executions_accessibility", "namespaces_accessibility"])
def test_every_section_passes_axe_accessibility_rules_in_both_themes(server: str, sections: str) -> None:
    """axe-core's rules on names, roles, ARIA, structure and colour contrast find nothing on any section, in
    the light and the dark theme (three scenarios, each under the browser's time limit on a busy machine)."""
    _scenario(sections, server)


def test_blueprint_found_by_tag_and_text_used_saved_and_run(server: str) -> None:
    """At least 25 blueprints; tag and text filters in the URL; Use opens the editor prefilled; saved and
    executed to SUCCESS."""
    _scenario("blueprints", server)


def test_every_section_from_the_nav_dashboard_plugins_and_settings_persist(server: str) -> None:
    """Nav links reach every section; the dashboard draws days and the success ratio; plugin docs show
    properties and examples; date format, editor font size and theme persist in localStorage."""
    _scenario("sections", server)


def test_script_svg_and_javascript_payloads_in_user_content_never_run(server: str) -> None:
    """Payloads in a Markdown description, labels, logs, outputs, an SVG output file and a namespace file
    name are shown as text or dropped: the flag they would set stays unset and no dialog opens."""
    _scenario("escaping", server)


def test_flows_disabled_enabled_duplicated_exported_deleted_and_imported(server: str) -> None:
    """Bulk disable in the flows list (badges, the source says so), enable on the flow's page, duplicate into
    the editor and save, export the selection as a zip, bulk delete with a confirmation, delete from the flow's
    page, import a YAML file."""
    _scenario("flow_lifecycle", server)


def test_a_secret_set_in_the_ui_is_inherited_masked_and_audited(server: str) -> None:
    """A namespace's Secrets tab adds a secret (the value never shown again), its child lists it as
    inherited, a flow of the child logs it masked, the audit page filters the creation and the read, and the
    tab deletes it."""
    _scenario("secrets_and_audit", server)
