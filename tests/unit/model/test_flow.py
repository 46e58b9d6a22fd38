"""The Flow model: fields, helpers, id uniqueness, polymorphic tasks, plugin defaults, located messages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError

from legato.model.errors import FlowValidationError
from legato.model.execution import Label
from legato.model.flow import Flow

from .conftest import TEST_TASKS, Echo, Group, Script, load

HEAD = "id: hello\nnamespace: company.team\n"
ECHO = "  - id: {id}\n    type: test.Echo\n    message: m\n"


def messages(text: str) -> list[str]:
    with pytest.raises(FlowValidationError) as info:
        load(text)
    return [f"{p.line}:{p.column}: {p.path}: {p.message}" for p in info.value.problems]


def test_full_flow_parses_every_section() -> None:
    text = HEAD + (
        "revision: 3\ndescription: demo\nlabels:\n  team: data\n  tier: 1\n"
        "variables:\n  greeting: hi\n"
        "inputs:\n  - id: user\n    type: STRING\n    defaults: Ann\n"
        "tasks:\n" + ECHO.format(id="a") +
        "errors:\n" + ECHO.format(id="on_error") +
        "finally:\n" + ECHO.format(id="cleanup") +
        "afterExecution:\n" + ECHO.format(id="notify") +
        "triggers:\n  - id: nightly\n    type: io.kestra.plugin.core.trigger.Schedule\n    cron: '0 2 * * *'\n"
        "outputs:\n  - id: out\n    type: STRING\n    value: '{{ outputs.a.value }}'\n"
        "concurrency:\n  limit: 2\n"
        "retry:\n  type: constant\n  interval: PT10S\n  maxAttempts: 3\n"
        "sla:\n  - id: slow\n    type: MAX_DURATION\n    duration: PT1H\n"
        "checks:\n  - condition: '{{ true }}'\n    message: ok\n"
        "disabled: false\ndeleted: false\ntenantId: main\n"
    )
    flow = load(text)
    assert flow.revision == 3
    assert flow.labels == [Label(key="team", value="data"), Label(key="tier", value="1")]
    assert flow.variables == {"greeting": "hi"}
    assert [t.id for t in flow.all_tasks()] == ["a", "on_error", "cleanup", "notify"]
    assert [t.id for t in flow.branch("finally")] == ["cleanup"]
    assert flow.triggers is not None and flow.triggers[0].id == "nightly"
    assert flow.concurrency is not None and (flow.concurrency.limit, flow.concurrency.behavior) == (2, "QUEUE")
    assert flow.retry is not None and flow.retry.interval == timedelta(seconds=10)
    assert flow.sla is not None and flow.sla[0].duration == timedelta(hours=1)
    assert flow.checks is not None and flow.checks[0].behavior == "BLOCK_EXECUTION"


def test_labels_as_a_list_of_pairs() -> None:
    flow = load(HEAD + "labels:\n  - key: a\n    value: b\ntasks:\n" + ECHO.format(id="t"))
    assert flow.labels == [Label(key="a", value="b")]


def test_task_lookup_and_branches_include_nested_tasks() -> None:
    text = HEAD + "tasks:\n  - id: g\n    type: test.Group\n    tasks:\n" + "    " + ECHO.format(id="inner").replace("\n  ", "\n      ")
    flow = load(text)
    assert [t.id for t in flow.all_tasks()] == ["g", "inner"]
    assert isinstance(flow.task("inner"), Echo)
    with pytest.raises(KeyError):
        flow.task("nope")
    with pytest.raises(KeyError):
        flow.branch("then")


def test_flow_is_frozen(minimal: str) -> None:
    flow = load(minimal)
    with pytest.raises(ValidationError):
        flow.id = "other"  # type: ignore[misc]


def test_kestra_alias_resolves_to_the_same_class() -> None:
    flow = load(HEAD + "tasks:\n  - id: t\n    type: io.kestra.core.tasks.log.Log\n    message: m\n")
    assert type(flow.tasks[0]) is Echo
    assert flow.tasks[0].type == "io.kestra.core.tasks.log.Log"


def test_unknown_task_type_suggests_the_closest_name() -> None:
    found = messages(HEAD + "tasks:\n  - id: t\n    type: io.kestra.plugin.core.log.Lgo\n    message: m\n")
    assert found == [
        "5:11: tasks[0].type: unknown task type 'io.kestra.plugin.core.log.Lgo' (did you mean 'io.kestra.plugin.core.log.Log'?)"
    ]


def test_a_type_of_another_plugin_family_is_no_suggestion() -> None:
    """Only the family's own types are close: `ai.agent.AIAgent` is not a misspelt `email.MailSend`."""
    from legato.model.errors import suggest

    names = ["io.kestra.plugin.email.MailSend", "io.kestra.plugin.email.MailExecution", "io.kestra.plugin.core.log.Log"]
    assert suggest("io.kestra.plugin.ai.agent.AIAgent", names) == ""
    assert suggest("io.kestra.plugin.openai.ChatCompletion", names) == ""
    assert suggest("io.kestra.plugin.emial.MailSend", names) == " (did you mean 'io.kestra.plugin.email.MailSend'?)"


def test_unknown_property_points_at_its_key_and_suggests() -> None:
    found = messages(HEAD + "tasks:\n  - id: t\n    type: test.Echo\n    message: m\n    levle: WARN\n")
    assert found == ["7:5: tasks[0].levle: unknown property 'levle' (did you mean 'level'?)"]


def test_unknown_property_in_a_nested_model_and_at_top_level() -> None:
    found = messages(HEAD + "tasks:\n" + ECHO.format(id="t") + "concurrency:\n  limit: 1\n  behaviour: FAIL\ntriggerz: []\n")
    assert "9:3: concurrency.behaviour: unknown property 'behaviour' (did you mean 'behavior'?)" in found
    assert "10:1: triggerz: unknown property 'triggerz' (did you mean 'triggers'?)" in found


def test_missing_required_fields() -> None:
    found = messages("tasks:\n  - id: t\n    type: test.Echo\n")
    assert "2:5: tasks[0].message: required property 'message' is missing" in found
    assert "1:1: id: required property 'id' is missing" in found
    assert "1:1: namespace: required property 'namespace' is missing" in found


def test_task_without_type_or_not_a_map() -> None:
    found = messages(HEAD + "tasks:\n  - id: t\n    message: m\n  - just text\n")
    assert found == [
        "4:5: tasks[0].type: required property 'type' is missing",
        "6:5: tasks[1]: a task must be a map with 'id' and 'type', got str",
    ]


@pytest.mark.parametrize(("field", "value"), [("id", "'my flow'"), ("namespace", "Company.Team"), ("namespace", ".starts.with.dot")])
def test_bad_flow_ids(field: str, value: str) -> None:
    text = HEAD.replace(f"{field}: " + ("hello" if field == "id" else "company.team"), f"{field}: {value}")
    found = messages(text + "tasks:\n" + ECHO.format(id="t"))
    assert len(found) == 1 and f": {field}: " in found[0] and "is not valid here" in found[0]


def test_empty_tasks_is_an_error() -> None:
    assert messages(HEAD + "tasks: []\n") == ["3:8: tasks: must not be empty"]


def test_duplicate_task_ids_across_nesting_and_errors() -> None:
    text = HEAD + (
        "tasks:\n  - id: g\n    type: test.Group\n    tasks:\n"
        "      - id: a\n        type: test.Echo\n        message: m\n"
        "    cases:\n      x:\n        - id: a\n          type: test.Echo\n          message: m\n"
        "errors:\n" + ECHO.format(id="g")
    )
    found = messages(text)
    assert found == [
        "12:15: tasks[0].cases.x[0].id: duplicate task id 'a' (first used at tasks[0].tasks[0])",
        "16:9: errors[0].id: duplicate task id 'g' (first used at tasks[0])",
    ]


def test_duplicate_trigger_input_and_output_ids() -> None:
    text = HEAD + "tasks:\n" + ECHO.format(id="t") + (
        "inputs:\n  - {id: x, type: STRING}\n  - {id: x, type: INT}\n"
        "outputs:\n  - {id: o, type: STRING, value: a}\n  - {id: o, type: STRING, value: b}\n"
        "triggers:\n  - {id: w, type: trigger.Webhook, key: k}\n  - {id: w, type: trigger.Webhook, key: k2}\n"
    )
    found = messages(text)
    assert any("inputs[1].id: duplicate input id 'x' (first used at inputs[0])" in f for f in found)
    assert any("outputs[1].id: duplicate output id 'o' (first used at outputs[0])" in f for f in found)
    assert any("triggers[1].id: duplicate trigger id 'w' (first used at triggers[0])" in f for f in found)


def test_concurrency_and_sla_checks() -> None:
    found = messages(HEAD + "tasks:\n" + ECHO.format(id="t") + "concurrency:\n  limit: 0\n  behavior: DROP\nsla:\n  - id: s\n    type: MAX_DURATION\n")
    assert "8:10: concurrency.limit: Input should be greater than or equal to 1" in found
    assert "9:13: concurrency.behavior: Input should be 'QUEUE', 'CANCEL' or 'FAIL' (got 'DROP')" in found
    assert "11:5: sla[0]: a MAX_DURATION SLA needs a 'duration'" in found


def test_bad_labels() -> None:
    found = messages(HEAD + "labels: just-text\ntasks:\n" + ECHO.format(id="t"))
    assert found == ["3:9: labels: labels must be a map of key: value, or a list of {key, value}"]


def test_plugin_defaults_fill_missing_values_by_alias_and_deep_merge() -> None:
    text = HEAD + (
        "pluginDefaults:\n  - type: io.kestra.plugin.core.log.Log\n    values:\n      message: default\n"
        "      level: WARN\n      headers: {a: 1, b: 1}\n"
        "tasks:\n  - id: t\n    type: test.Echo\n    headers: {b: 2}\n"
        "  - id: u\n    type: test.Echo\n    message: own\n"
    )
    flow = load(text)
    first, second = flow.tasks
    assert isinstance(first, Echo) and isinstance(second, Echo)
    assert (first.message, first.level, first.headers) == ("default", "WARN", {"a": 1, "b": 2})
    assert second.message == "own"


def test_forced_defaults_win_and_prefixes_apply_only_known_properties() -> None:
    text = HEAD + (
        "taskDefaults:\n  - type: test.Echo\n    forced: true\n    values: {level: ERROR}\n"
        "  - type: io.kestra.plugin.scripts\n    values: {containerImage: 'python:3.12', unknownProp: 1}\n"
        "tasks:\n  - id: t\n    type: test.Echo\n    message: m\n    level: DEBUG\n"
        "  - id: s\n    type: io.kestra.plugin.scripts.python.Script\n    script: print(1)\n"
    )
    flow = load(text)
    echo, script = flow.tasks
    assert isinstance(echo, Echo) and echo.level == "ERROR"
    assert isinstance(script, Script) and script.containerImage == "python:3.12"
    assert flow.plugin_defaults()[0].forced is True


def test_model_validate_without_the_loader_applies_defaults_too() -> None:
    data = {
        "id": "f", "namespace": "n",
        "pluginDefaults": [{"type": "test.Echo", "values": {"message": "from defaults"}}],
        "tasks": [{"id": "g", "type": "test.Group", "tasks": [{"id": "t", "type": "test.Echo"}]}],
    }
    flow = Flow.model_validate(data, context={"registry": TEST_TASKS})
    group = flow.tasks[0]
    assert isinstance(group, Group) and isinstance(group.tasks[0], Echo)
    assert group.tasks[0].message == "from defaults"


def test_flows_built_in_code_accept_task_instances() -> None:
    flow = Flow(id="f", namespace="n", tasks=[Echo(id="t", type="test.Echo", message="m")])
    assert flow.task("t").type == "test.Echo"


def test_defaults_apply_to_triggers_and_flow_defaults_beat_server_wide_ones() -> None:
    data = {
        "id": "f", "namespace": "n",
        "pluginDefaults": [
            {"type": "io.kestra.plugin.core.trigger.Schedule", "values": {"timezone": "Europe/Paris"}},
            {"type": "test.Echo", "values": {"level": "WARN"}},
        ],
        "tasks": [{"id": "t", "type": "test.Echo", "message": "m"}],
        "triggers": [{"id": "s", "type": "trigger.Schedule", "cron": "@daily"}],
    }
    server_wide = [{"type": "test.Echo", "values": {"level": "DEBUG", "headers": {"x": 1}}}]
    flow = Flow.model_validate(data, context={"registry": TEST_TASKS, "defaults": server_wide})
    task = flow.tasks[0]
    assert isinstance(task, Echo) and (task.level, task.headers) == ("WARN", {"x": 1})
    assert flow.triggers is not None and flow.triggers[0].timezone == "Europe/Paris"


def test_a_default_that_breaks_the_task_is_reported_on_the_task() -> None:
    text = HEAD + "pluginDefaults:\n  - type: test.Echo\n    values: {level: 5}\ntasks:\n" + ECHO.format(id="t")
    assert messages(text) == ["7:5: tasks[0].level: Input should be a valid string"]
