"""Issue 21, a newcomer's first day, in a real browser (scenarios in newcomer_scenarios.mjs, run by browser.mjs)
against a `legato server local` with the example flows. A failing scenario leaves a screenshot and the page's HTML
in test-results/ui/."""

from __future__ import annotations

import os
import struct
from pathlib import Path

from tests.e2e.ui.test_web_ui import ROOT, _scenario


def test_a_failed_execution_says_which_task_failed_why_and_where_its_log_lines_are(server: str) -> None:
    """The overview names the failing task and its error and links to its log lines, scrolled to and focused;
    the Gantt row of the failed task shows its logs, and any row expands to its own."""
    _scenario("failure_reason", server)


def test_log_lines_number_attempts_from_1_and_show_each_error_once(server: str) -> None:
    """A task retried twice: the Logs tab and its Gantt row say `#1`, `#2`, `#3` (a first attempt says #1 too),
    with its error once per attempt."""
    _scenario("attempt_numbers", server)


def test_editor_indents_like_yaml_and_explains_syntax_errors(server: str) -> None:
    """Enter after `- id: x` lines up under `id`, Tab inserts spaces; task types complete while the YAML is
    broken; a mis-indented key is explained in plain words at its line; the editor is page-wide and its side
    panel resizes (keyboard and mouse) and keeps its width."""
    _scenario("editor_indentation", server)


def test_executions_filter_with_chips_kept_in_the_url_and_bulk_actions_on_selection(server: str) -> None:
    """Namespace, state, label, flow and a time preset are chips in the URL (kept by a reload, removed one by
    one, cleared); bulk actions show only once a row is selected."""
    _scenario("execution_filters", server)


def test_a_refused_save_says_why_once_next_to_save_and_at_the_line(server: str) -> None:
    """The reasons show once, in an alert next to the Save button that stays on screen, and at their lines in
    the editor; the next edit clears them."""
    _scenario("save_errors", server)


def test_descriptions_render_markdown_and_lists_cut_them_between_words(server: str) -> None:
    """The flow page renders the description's Markdown, sanitised; the flows and namespace lists show its first
    paragraph as text cut between words with an ellipsis, the whole text in a tooltip."""
    _scenario("descriptions", server)


def test_plugin_docs_show_names_as_written_own_properties_first_and_copy_examples(server: str) -> None:
    """Property names keep their case and stay on one line (docs panel at its narrowest too); required and own
    properties come first, generic ones are folded below; examples copy with a button; families with counts."""
    _scenario("plugin_docs", server)


def test_triggers_tab_shows_cron_fire_times_webhook_url_and_flow_conditions(server: str) -> None:
    """A Schedule shows its cron and next three fire times, a Webhook its URL (copied with a button, and
    answering) and key, a Flow trigger its conditions; Restart shows only for the Schedule."""
    _scenario("trigger_details", server)


def test_each_page_names_itself_in_the_browser_tab_and_the_app_has_an_icon(server: str) -> None:
    """ "tutorial.hello · Executions · Legato": titles follow the page and its tab; the SVG icon loads."""
    _scenario("page_titles", server)


def test_a_newcomer_types_a_flow_runs_it_reads_why_it_failed_fixes_it_runs_it_green_and_deletes_it(server: str) -> None:
    """The scripted first day on a fresh data dir, from the keyboard (the scenario prints its wall time; the goal is
    60 s of machine time, a loaded machine takes longer)."""
    _scenario("newcomer_run", server)


def test_screenshots_of_the_editor_a_failed_execution_and_the_triggers_tab(server: str) -> None:
    """The README's three screenshots, at 1440 x 900 (LEGATO_SCREENSHOTS=docs/screenshots refreshes them)."""
    _scenario("screenshots", server)
    folder = ROOT / os.environ.get("LEGATO_SCREENSHOTS", "test-results/ui/screenshots")
    for name in ("editor", "failed-execution", "triggers"):
        data = Path(folder / f"{name}.png").read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        assert struct.unpack(">II", data[16:24]) == (1440, 900)


def test_the_flows_list_shows_each_flows_last_run_triggers_and_labels(server: str) -> None:
    """A succeeded, a failed and a never-run flow: SUCCESS, FAILED (linked to its execution) and "never"; both
    triggers of one, "none" for another; the labels as badges."""
    _scenario("flows_list_columns", server)


def test_namespaces_form_a_hierarchy_with_counts_of_flows_executions_kv_and_files(server: str) -> None:
    """Parents (even one without flows) right before their children, indented; each row's own counts of flows,
    executions, KV entries and namespace files, each count a link to the matching tab."""
    _scenario("namespace_counts", server)


def test_the_files_tab_uploads_creates_edits_renames_and_deletes(server: str) -> None:
    """Upload, rename, a new file typed in and saved, an edit of the uploaded one, a new folder with a file in it,
    a delete: each step checked through the API."""
    _scenario("namespace_files_tab", server)
