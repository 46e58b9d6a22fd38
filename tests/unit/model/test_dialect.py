"""The Kestra 2.0 migration: each 1.x construct is found where it is written, rewritten into its 2.0 form when
that keeps the flow's behaviour, and left (with the reason) when it does not; the CLI prints diffs, rewrites
with --write and lists the findings with validate --lint."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from legato import plugins
from legato.model import dialect, dialect_yaml
from legato.model.loader import load_flow

LEGATO = str(Path(sys.executable).with_name("legato"))


def migrate(text: str) -> tuple[str, dialect.Upgrade]:
    return dialect.migrated_text(dialect_yaml.load(text, "flow.yaml"))


def parses(text: str) -> None:
    load_flow(text, registry=plugins.registry(), triggers=plugins.trigger_registry())


FOREACH = """\
id: f
namespace: t
tasks:
  # the loop over environments
  - id: deploy
    type: io.kestra.plugin.core.flow.ForEach
    values: '["dev", "prod"]'
    tasks:
      - id: check
        type: io.kestra.plugin.core.flow.If
        condition: "{{ taskrun.value == 'prod' }}"
        then:
          - id: log
            type: io.kestra.plugin.core.log.Log
            message: "to {{ parent.taskrun.value }} at {{ taskrun.iteration }}"
"""


def test_foreach_becomes_loop_with_its_expressions_and_comments() -> None:
    text, up = migrate(FOREACH)
    assert "type: io.kestra.plugin.core.flow.Loop" in text
    assert "concurrencyLimit: 1" in text  # ForEach ran one at a time; Loop's default is all at once
    assert "condition: \"{{ item.value == 'prod' }}\"" in text
    assert 'message: "to {{ item.value }} at {{ item.index }}"' in text
    assert "# the loop over environments" in text
    assert [f.automatic for f in up.findings] == [True]
    parses(text)


def test_nested_loops_map_parents_to_item_parent() -> None:
    text, _ = migrate("""\
id: f
namespace: t
tasks:
  - id: outer
    type: io.kestra.plugin.core.flow.ForEach
    values: [1, 2]
    tasks:
      - id: inner
        type: io.kestra.plugin.core.flow.ForEach
        values: [a, b]
        tasks:
          - id: log
            type: io.kestra.plugin.core.log.Log
            message: "{{ parents[0].taskrun.value }}/{{ taskrun.value }} {{ outputs.get[parent.taskrun.value][taskrun.value].value }}"
          - id: get
            type: io.kestra.plugin.core.debug.Return
            format: x
""")
    assert 'message: "{{ item.parent.value }}/{{ item.value }} {{ outputs.get.value }}"' in text


def test_outputs_read_after_the_loop_keep_the_foreach() -> None:
    source = FOREACH + """  - id: after
    type: io.kestra.plugin.core.log.Log
    message: "{{ outputs.log['prod'] }}"
"""
    text, up = migrate(source)
    assert text == source
    assert len(up.findings) == 1 and not up.findings[0].automatic
    assert "outside its loop" in up.findings[0].replacement


def test_schedule_conditions_become_when() -> None:
    text, _ = migrate("""\
id: f
namespace: t
tasks: [{id: a, type: io.kestra.plugin.core.log.Log, message: m}]
triggers:
  - id: schedule
    type: io.kestra.plugin.core.trigger.Schedule
    cron: "0 11 * * *"
    conditions:
      - type: io.kestra.plugin.core.condition.DayWeekInMonthCondition
        dayOfWeek: MONDAY
        dayInMonth: FIRST
      - type: io.kestra.plugin.core.condition.Not
        conditions:
          - type: io.kestra.plugin.core.condition.PublicHoliday
            country: FR
          - type: io.kestra.plugin.core.condition.Weekend
""")
    assert ("when: \"{{ isDayWeekInMonth(trigger.date, 'MONDAY', 'FIRST') and "
            "(not (isPublicHoliday(trigger.date, 'FR') or isWeekend(trigger.date))) }}\"") in text
    assert "conditions" not in text
    parses(text)


def test_public_holiday_without_country_is_left_for_a_person() -> None:
    source = """\
id: f
namespace: t
tasks: [{id: a, type: io.kestra.plugin.core.log.Log, message: m}]
triggers:
  - id: s
    type: io.kestra.plugin.core.trigger.Schedule
    cron: "0 11 * * *"
    conditions:
      - type: io.kestra.plugin.core.condition.PublicHoliday
"""
    text, up = migrate(source)
    assert text == source and not up.findings[0].automatic


def test_flow_trigger_conditions_become_depends_on() -> None:
    text, _ = migrate("""\
id: f
namespace: t
tasks: [{id: a, type: io.kestra.plugin.core.log.Log, message: m}]
triggers:
  - id: alert
    type: io.kestra.plugin.core.trigger.Flow
    conditions:
      - type: io.kestra.plugin.core.condition.ExecutionStatus
        in: [FAILED, WARNING]
      - type: io.kestra.plugin.core.condition.ExecutionNamespace
        namespace: company
        comparison: PREFIX
      - type: io.kestra.plugin.core.condition.ExecutionLabelsCondition
        labels: {env: prod}
""")
    tree = dialect_yaml.load(text).tree
    entry = tree["triggers"][0]["dependsOn"][0]
    assert list(entry["states"]) == ["FAILED", "WARNING"]
    assert entry["when"] == "{{ namespace | startsWith('company') }}"
    assert dict(entry["labels"]) == {"env": "prod"}
    parses(text)


def test_preconditions_become_depends_on_and_window() -> None:
    text, _ = migrate("""\
id: f
namespace: t
tasks: [{id: a, type: io.kestra.plugin.core.log.Log, message: m}]
triggers:
  - id: deps
    type: io.kestra.plugin.core.trigger.Flow
    preconditions:
      id: staging
      timeWindow:
        type: DAILY_TIME_DEADLINE
        deadline: "09:00:00"
      flows:
        - {namespace: company.team, flowId: stg_sales}
        - {namespace: company.team, flowId: stg_marketing, states: [SUCCESS, WARNING]}
""")
    trigger = dialect_yaml.load(text).tree["triggers"][0]
    assert [dict(e)["flowId"] for e in trigger["dependsOn"]] == ["stg_sales", "stg_marketing"]
    assert list(trigger["dependsOn"][0]["states"]) == ["SUCCESS"]  # 1.x's default, written out
    assert dict(trigger["window"]) == {"deadline": "09:00:00", "fireOnce": True}
    parses(text)


def test_plugin_defaults_are_inlined_unless_set() -> None:
    text, _ = migrate("""\
id: f
namespace: t
pluginDefaults:
  - type: io.kestra.plugin.core.log.Log
    values:
      message: default
      level: WARN
tasks:
  - id: a
    type: io.kestra.plugin.core.log.Log
  - id: b
    type: io.kestra.plugin.core.log.Log
    message: own
""")
    tree = dialect_yaml.load(text).tree
    assert "pluginDefaults" not in tree
    assert dict(tree["tasks"][0]) == {"id": "a", "type": "io.kestra.plugin.core.log.Log", "message": "default", "level": "WARN"}
    assert tree["tasks"][1]["message"] == "own" and tree["tasks"][1]["level"] == "WARN"


def test_small_renames() -> None:
    text, up = migrate("""\
id: f
namespace: t
inputs:
  - {id: on, type: BOOLEAN}
  - {id: kind, type: ENUM, values: [a, b]}
checks:
  - condition: "{{ true }}"
    message: m
tasks:
  - id: r
    type: io.kestra.plugin.core.debug.Return
    format: "{{ json('[1]') | json }}"
    runIf: "{{ true }}"
    workerGroup: {key: gpu}
  - id: e
    type: io.kestra.plugin.core.debug.Echo
    format: hi
""")
    assert "type: BOOL}" in text and "type: SELECT," in text
    assert '- when: "{{ true }}"' in text
    assert "format: \"{{ fromJson('[1]') | toJson }}\"" in text
    assert 'when: "{{ true }}"' in text and "runIf" not in text
    assert "workerSelector:" in text and "fallback: WAIT" in text
    assert "type: io.kestra.plugin.core.log.Log\n    message: hi" in text
    assert all(f.automatic for f in up.findings)
    parses(text)


def test_removed_types_are_reported_not_rewritten() -> None:
    source = """\
id: f
namespace: t
tasks:
  - id: each
    type: io.kestra.plugin.core.flow.ForEachItem
    items: "{{ inputs.file }}"
    namespace: t
    flowId: child
  - id: get
    type: io.kestra.plugin.core.state.Get
    name: counter
"""
    text, up = migrate(source)
    assert text == source
    assert [(f.line, f.automatic) for f in up.findings] == [(5, False), (10, False)]


def test_a_2_0_flow_has_no_findings() -> None:
    source = "id: f\nnamespace: t\ntasks:\n  - id: l\n    type: io.kestra.plugin.core.flow.Loop\n    values: [1]\n" \
             "    tasks:\n      - {id: x, type: io.kestra.plugin.core.log.Log, message: \"{{ item.value }}\"}\n"
    text, up = migrate(source)
    assert text == source and up.findings == []


def test_cli_validate_lint_and_migrate(tmp_path: Path) -> None:
    flow = tmp_path / "flow.yaml"
    flow.write_text(FOREACH)
    lint = subprocess.run([LEGATO, "flow", "validate", "--lint", str(flow)], capture_output=True, text=True, check=False)
    assert lint.returncode == 0
    assert f"lint  {flow}:6:5: tasks[0].type: ForEach; Kestra 2.0: Loop" in lint.stdout
    diff = subprocess.run([LEGATO, "flow", "migrate", str(tmp_path)], capture_output=True, text=True, check=False)
    assert diff.returncode == 0
    assert "-    type: io.kestra.plugin.core.flow.ForEach\n+    type: io.kestra.plugin.core.flow.Loop" in diff.stdout
    assert flow.read_text() == FOREACH  # a diff only
    written = subprocess.run([LEGATO, "flow", "migrate", "--write", str(flow)], capture_output=True, text=True, check=False)
    assert written.returncode == 0 and "migrated" in written.stdout
    assert "io.kestra.plugin.core.flow.Loop" in flow.read_text()
    clean = subprocess.run([LEGATO, "flow", "validate", "--lint", str(flow)], capture_output=True, text=True, check=False)
    assert "\nlint  " not in clean.stdout


def test_cli_migrate_exits_1_when_something_needs_a_person(tmp_path: Path) -> None:
    flow = tmp_path / "flow.yaml"
    flow.write_text("id: f\nnamespace: t\ntasks:\n  - id: g\n    type: io.kestra.plugin.core.state.Get\n    name: n\n")
    done = subprocess.run([LEGATO, "flow", "migrate", str(flow)], capture_output=True, text=True, check=False)
    assert done.returncode == 1
    assert "io.kestra.plugin.core.kv.Get" in done.stderr and "to rewrite by hand" in done.stderr


@pytest.mark.parametrize("bad", ["id: [", "- just\n- a list\n"])
def test_unreadable_files_are_reported(bad: str) -> None:
    with pytest.raises(dialect_yaml.DialectError):
        dialect_yaml.load(bad, "bad.yaml")
