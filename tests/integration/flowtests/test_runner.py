"""The suite runner on a real in-process engine (SQLite store, executor and worker of `legato test`):
task fixtures with outputs, states and none (skip), file fixtures, expectedState, assertions rendered as a task
run sees them, and the errors a test case can meet."""

from __future__ import annotations

from pathlib import Path

from legato.deploy import layout
from legato.flowtests.runner import ERROR, FAILED, SKIPPED, SUCCESS, CaseResult
from legato.server import flowtests

FLOW = """\
id: pipeline
namespace: qa.runner
inputs:
  - id: size
    type: INT
    defaults: 3
tasks:
  - id: fetch
    type: io.kestra.plugin.core.debug.Return
    format: "{{ inputs.size * 2 }}"
  - id: boom
    type: io.kestra.plugin.core.execution.Fail
    errorMessage: the real task fails
  - id: check
    type: io.kestra.plugin.core.flow.If
    condition: "{{ outputs.fetch.value == '6' }}"
    then:
      - id: six
        type: io.kestra.plugin.core.debug.Return
        format: six
  - id: reader
    type: io.kestra.plugin.core.debug.Return
    format: "{{ read(outputs.fetch.uri) }}"
"""

SUITE = """\
id: pipeline_suite
namespace: qa.runner
flowId: pipeline
testCases:
  - id: skip_fixture_lets_the_flow_pass
    fixtures:
      tasks:
        - id: boom
        - id: reader
    assertions:
      - value: "{{ outputs.fetch.value }}"
        equalTo: 6
      - value: "{{ outputs.six.value }}"
        equalTo: six
      - value: "{{ outputs.boom.anything }}"
        isNull: true
  - id: outputs_fixture_and_inputs
    fixtures:
      inputs:
        size: 10
      tasks:
        - id: fetch
          outputs:
            value: "mocked-{{ inputs.size }}"
        - id: boom
        - id: reader
    assertions:
      - value: "{{ outputs.fetch.value }}"
        equalTo: mocked-10
      - value: "{{ taskrun.id }}"
        taskId: fetch
        isNotNull: true
      - value: "{{ outputs.six.value }}"
        isNull: true
  - id: file_fixture
    fixtures:
      files:
        rows.csv: "a,b\\n1,2\\n"
      tasks:
        - id: boom
        - id: fetch
          outputs:
            value: "6"
            uri: "{{ files['rows.csv'] }}"
    assertions:
      - value: "{{ outputs.reader.value }}"
        startsWith: "a,b"
  - id: failed_state_expected
    fixtures:
      tasks:
        - id: fetch
          state: FAILED
    expectedState: FAILED
    assertions:
      - value: "{{ outputs.boom.x }}"
        isNull: true
  - id: real_failure_fails_the_case
    assertions:
      - value: "{{ outputs.fetch.value }}"
        equalTo: 6
  - id: flowable_fixture_is_an_error
    fixtures:
      tasks:
        - id: check
  - id: unknown_task_fixture_is_an_error
    fixtures:
      tasks:
        - id: nope
  - id: bad_input_is_an_error
    fixtures:
      inputs:
        size: many
  - id: switched_off
    disabled: true
"""


def _cases(tmp_path: Path) -> dict[str, CaseResult]:
    (tmp_path / "qa.runner" / "flows").mkdir(parents=True)
    (tmp_path / "qa.runner" / "tests").mkdir()
    (tmp_path / "qa.runner" / "flows" / "pipeline.yaml").write_text(FLOW)
    (tmp_path / "qa.runner" / "tests" / "suite.yaml").write_text(SUITE)
    [suite] = flowtests.run(layout.read([tmp_path]), processes=1, timeout=120)
    assert suite.state == ERROR
    return {c.testId: c for c in suite.results}


def test_fixtures_states_and_errors(tmp_path: Path) -> None:
    cases = _cases(tmp_path)
    for passing in ("skip_fixture_lets_the_flow_pass", "outputs_fixture_and_inputs", "file_fixture",
                    "failed_state_expected"):
        assert cases[passing].state == SUCCESS, (passing, cases[passing].failures())
    real = cases["real_failure_fails_the_case"]
    assert real.state == FAILED
    assert real.failures()[:2] == ["the execution ended FAILED (set expectedState to expect it)",
                                   "task 'boom' FAILED: the real task fails"]
    assert cases["flowable_fixture_is_an_error"].state == ERROR
    assert "only tasks that run on a worker can be mocked" in cases["flowable_fixture_is_an_error"].errors[0]
    assert cases["unknown_task_fixture_is_an_error"].errors == [
        "fixture of task 'nope': the flow qa.runner.pipeline has no such task"]
    assert cases["bad_input_is_an_error"].state == ERROR
    assert "size" in cases["bad_input_is_an_error"].errors[0]
    assert cases["switched_off"].state == SKIPPED and cases["switched_off"].executionId is None
    assert list(cases)[:2] == ["skip_fixture_lets_the_flow_pass", "outputs_fixture_and_inputs"]  # the suite's order


def test_a_case_that_does_not_end_in_time_is_an_error_and_is_killed(tmp_path: Path) -> None:
    (tmp_path / "slow.yaml").write_text(
        "id: slow\nnamespace: qa.runner\ntasks:\n  - id: nap\n    type: io.kestra.plugin.core.flow.Sleep\n"
        "    duration: PT60S\n")
    (tmp_path / "slow_suite.yaml").write_text(
        "id: slow_suite\nnamespace: qa.runner\nflowId: slow\ntestCases:\n  - id: too_slow\n")
    [suite] = flowtests.run(layout.read([tmp_path]), processes=1, timeout=1.5)
    [case] = suite.results
    assert case.state == ERROR and case.errors == ["the execution did not end within 1.5 s"]
