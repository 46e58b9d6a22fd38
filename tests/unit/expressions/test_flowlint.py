"""Expression findings of `legato flow validate` and the editor: what users hit, located at file:line:column and
property; never a finding on the repository's corpus flows or on constructs Kestra accepts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from legato.expressions.flowlint import lint_source

ROOT = Path(__file__).resolve().parents[3]
CORPUS = [*sorted((ROOT / "tests/flows/valid").glob("*.y*ml")), *sorted((ROOT / "examples").glob("*.y*ml")),
          *sorted((ROOT / "src/legato/blueprints").glob("*.y*ml"))]
LEGATO = str(Path(sys.executable).with_name("legato"))


def findings(text: str) -> list[str]:
    return [str(p) for p in lint_source(text, "flow.yaml")]


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_no_finding_on_the_corpus_flows(path: Path) -> None:
    assert lint_source(path.read_text(), str(path)) == []


def test_the_corpus_is_all_there() -> None:
    assert len(CORPUS) > 100


def test_unclosed_print_is_reported_at_its_line_and_property() -> None:
    text = "id: f\nnamespace: n\ntasks:\n  - id: a\n    type: io.kestra.plugin.core.log.Log\n    message: \"{{ inputs.x \"\n"
    assert findings(text) == ["flow.yaml:6:15: tasks[0].message: invalid expression: Unclosed '{{' (expected '}}')"]


def test_unclosed_tag_in_a_block_scalar_is_reported_on_its_own_line() -> None:
    text = ("id: f\nnamespace: n\ntasks:\n  - id: a\n    type: io.kestra.plugin.scripts.shell.Commands\n"
            "    commands:\n      - |\n        echo one\n        {% if true %}echo two\n")
    [found] = findings(text)
    assert found == ("flow.yaml:9:9: tasks[0].commands[0]: invalid expression: Missing '{% endif %}' to close the "
                     "'{% if %}' of line 2")


def test_unknown_function_and_filter_are_named() -> None:
    text = ("id: f\nnamespace: n\ntasks:\n  - id: a\n    type: io.kestra.plugin.core.log.Log\n"
            "    message: \"{{ nowz() }} {{ 'a' | uper }} {{ 1 is evn }}\"\n")
    assert findings(text) == [
        "flow.yaml:6:18: tasks[0].message: unknown function 'nowz'",
        "flow.yaml:6:37: tasks[0].message: unknown filter 'uper'",
        "flow.yaml:6:50: tasks[0].message: unknown test 'evn'",
    ]


def test_output_of_no_task_and_undeclared_input_are_reported() -> None:
    text = ("id: f\nnamespace: n\ninputs:\n  - id: name\n    type: STRING\ntasks:\n  - id: a\n"
            "    type: io.kestra.plugin.core.log.Log\n    message: \"{{ outputs.nope.value }} {{ inputs.nmae }}\"\n"
            "outputs:\n  - id: o\n    type: STRING\n    value: \"{{ outputs['gone'].value }}\"\n")
    assert findings(text) == [
        "flow.yaml:9:18: tasks[0].message: 'outputs.nope': no task of this flow has the id 'nope'",
        "flow.yaml:9:43: tasks[0].message: 'inputs.nmae': this flow declares no input 'nmae'",
        "flow.yaml:13:16: outputs[0].value: 'outputs.gone': no task of this flow has the id 'gone'",
    ]


KESTRA_VALID = """
id: valid_everywhere
namespace: company.team
inputs:
  - id: user.name
    type: STRING
  - name: legacy
    type: STRING
variables:
  greeting: "hello {{ inputs.user.name }} {{ inputs.legacy }}"
tasks:
  - id: each
    type: io.kestra.plugin.core.flow.ForEach
    values: ["a", "b"]
    tasks:
      - id: inner
        type: io.kestra.plugin.core.debug.Return
        format: "{{ taskrun.value }} {{ parents[0].taskrun.value ?? '' }}"
  - id: split
    type: io.kestra.plugin.core.flow.ForEachItem
    items: "{{ outputs.inner[taskrun.value].value ?? '' }}"
    namespace: company.team
    flowId: child
    inputs:
      file: "{{ taskrun.items }}"
  - id: after
    type: io.kestra.plugin.core.log.Log
    message:
      - "{{ outputs.split_merge.subflowOutputs }} {{ outputs.inner['a'].value }}"
      - "{{ outputs.maybe is defined ? outputs.maybe.value : 'none' }} {{ outputs.other ?? 'x' }}"
      - "{{ outputs.missing | default('none') }} {{ currentEachOutput(outputs.inner) ?? '' }}"
      - "{% set outputs = {'x': 1} %}{{ outputs.x }} {% for inputs in [1] %}{{ inputs }}{% endfor %}"
      - "{{ secret('TOKEN') }} {{ kv('k') }} {{ read('f.txt') }} {{ nanoId() }} {{ ksuid() }} {{ fileExists('x') }}"
      - "{{ trigger.date ?? execution.startDate | dateAdd(-1, 'DAYS') | date('yyyy-MM-dd') }} {{ render(vars.greeting) }}"
      - "{% macro twice(x) %}{{ x }}{{ x }}{% endmacro %}{{ twice('a') }} {{ 'a' | timestampMicro ?? '' }}"
      - "{{ outputs.run.vars.value }} {{ outputs.failed.value }} {{ outputs.done.value }}"
  - id: run
    type: io.kestra.plugin.core.flow.Subflow
    namespace: company.team
    flowId: child
    outputs:
      fromChild: "{{ outputs.taskOfTheChild.value }}"
errors:
  - id: failed
    type: io.kestra.plugin.core.log.Log
    message: "{{ errorLogs()[0].message ?? '' }}"
finally:
  - id: done
    type: io.kestra.plugin.core.log.Log
    message: "{{ outputs.after ?? '' }}"
triggers:
  - id: upstream
    type: io.kestra.plugin.core.trigger.Flow
    inputs:
      fromUpstream: "{{ trigger.outputs.value }} {{ outputs.upstreamTask.value }}"
description: "Documentation may show {{ outputs.anything }} and {{ unclosed"
"""


def test_no_finding_on_what_kestra_accepts() -> None:
    assert findings(KESTRA_VALID) == []


def test_a_templated_task_disables_reference_checks() -> None:
    text = ("id: f\nnamespace: n\ntasks:\n  - id: t\n    type: io.kestra.plugin.core.templating.TemplatedTask\n"
            "    spec: |\n      id: gen\n      type: io.kestra.plugin.core.log.Log\n      message: hi\n"
            "  - id: b\n    type: io.kestra.plugin.core.log.Log\n    message: \"{{ outputs.gen }}\"\n")
    assert findings(text) == []


def test_lines_count_in_the_whole_text_of_a_later_document() -> None:
    text = "id: f\nnamespace: n\ntasks:\n  - id: a\n    type: io.kestra.plugin.core.log.Log\n    message: \"{{ x | nope }}\"\n"
    [problem] = lint_source(text, "", first_line=11)
    assert (problem.line, problem.column, problem.path) == (16, 22, "tasks[0].message")


BROKEN = """id: broken
namespace: company.team
tasks:
  - id: a
    type: io.kestra.plugin.core.log.Log
    message: "{{ outputs.nope.value }}"
"""
DUPLICATE = """id: duplicate
namespace: company.team
tasks:
  - id: outer
    type: io.kestra.plugin.core.flow.Sequential
    tasks:
      - id: same
        type: io.kestra.plugin.core.log.Log
        message: one
  - id: same
    type: io.kestra.plugin.core.log.Log
    message: two
"""


def test_cli_validate_prints_findings_and_fails_only_when_strict(tmp_path: Path) -> None:
    (tmp_path / "broken.yaml").write_text(BROKEN)
    done = subprocess.run([LEGATO, "flow", "validate", str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert f"{tmp_path / 'broken.yaml'}:6:18: tasks[0].message: 'outputs.nope': no task of this flow has the id 'nope'" \
        in done.stderr
    assert "1 valid, 0 invalid, 1 expression findings" in done.stderr
    strict = subprocess.run([LEGATO, "flow", "validate", "--strict", str(tmp_path)], capture_output=True, text=True,
                            timeout=60)
    assert strict.returncode == 1


def test_cli_validate_reports_a_duplicate_id_across_nested_tasks(tmp_path: Path) -> None:
    (tmp_path / "duplicate.yaml").write_text(DUPLICATE)
    done = subprocess.run([LEGATO, "flow", "validate", str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert f"{tmp_path / 'duplicate.yaml'}:10:9: tasks[1].id: duplicate task id 'same' (first used at " \
           "tasks[0].tasks[0])" in done.stderr
