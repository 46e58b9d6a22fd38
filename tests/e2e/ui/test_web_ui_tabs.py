"""The execution page's details and a namespace's settings in a real browser (scenarios in tabs_scenarios.mjs,
run by browser.mjs) against a `legato server local`."""

from __future__ import annotations

from tests.e2e.ui.test_web_ui import _scenario


def test_execution_metrics_paused_banner_live_duration_nested_runs_and_task_menu(server: str) -> None:
    """A running execution's duration counts up; only the actions that apply show; Parallel subtasks are nested
    under it; the pause says what it waits for and resumes from its banner's form; the Metrics tab lists the
    counter and the timer with their tags; per-task controls sit behind a menu with a confirmation; bulk actions
    show only on a selection; axe-core finds nothing on these pages in either theme."""
    _scenario("execution_details", server)


def test_namespace_variables_and_plugin_defaults_edited_as_yaml_and_inherited(server: str) -> None:
    """The Variables tab refuses bad YAML with its line and saves nothing; saved variables and plugin defaults
    reach the API (each tab keeps the other's part); a child namespace shows the parent's variables; axe-core
    finds nothing on the tabs and Settings in either theme."""
    _scenario("namespace_settings", server)


def test_settings_system_theme_time_zone_and_default_namespace(server: str) -> None:
    """"System" follows the device's colour scheme live and persists; dates show in the chosen time zone (Tokyo,
    then UTC); the default namespace fills the new-flow template and filters the flows and executions lists until
    the filter is cleared."""
    _scenario("settings_choices", server)
