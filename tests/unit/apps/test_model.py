"""An app's YAML: Kestra's shapes accepted unchanged (long, older and short block type names, `access: PUBLIC`,
the default layout), and every problem located at its line and JSON path."""

from __future__ import annotations

import pytest

from legato.apps import Stage, parse_app
from legato.apps.model import Alert, CreateExecutionButton, Logs, Markdown
from legato.model.errors import FlowValidationError

BASE = """id: vacation
type: io.kestra.plugin.ee.apps.Execution
displayName: Vacation request
namespace: company.team
flowId: vacation_approval
"""


def _problems(text: str) -> list[str]:
    with pytest.raises(FlowValidationError) as caught:
        parse_app(text, "app.yaml")
    return [str(p) for p in caught.value.problems]


def test_kestra_block_names_long_older_and_short() -> None:
    app = parse_app(BASE + """access: PUBLIC
tags: [hr]
layout:
  - on: OPEN
    blocks:
      - type: io.kestra.ee.apps.blocks.Markdown
        content: Hello
      - type: io.kestra.plugin.ee.apps.execution.blocks.CreateExecutionForm
      - type: CreateExecutionButton
        text: Send
        style: SUCCESS
  - on: PAUSE
    blocks:
      - type: io.kestra.plugin.ee.apps.core.blocks.Alert
        style: WARNING
        showIcon: false
        content: Waiting
      - type: io.kestra.plugin.ee.apps.execution.blocks.Logs
        filter:
          logLevel: WARN
          taskIds: [a, b]
""")
    assert app.access.type == "PUBLIC" and app.access.catalog and app.tags == ["hr"]
    opened = app.blocks_at(Stage.OPEN)
    assert isinstance(opened[0], Markdown) and isinstance(opened[2], CreateExecutionButton)
    assert opened[2].text == "Send" and opened[2].style == "SUCCESS"
    paused = app.blocks_at(Stage.PAUSE)
    assert isinstance(paused[0], Alert) and paused[0].show_icon is False
    assert isinstance(paused[1], Logs) and paused[1].filter.log_level == "WARN" and paused[1].filter.task_ids == ["a", "b"]


def test_without_layout_the_default_form_and_thanks() -> None:
    app = parse_app(BASE)
    assert app.access.type == "PRIVATE"
    assert [type(b).__name__ for b in app.blocks_at(Stage.OPEN)] == ["CreateExecutionForm", "CreateExecutionButton"]
    assert [type(b).__name__ for b in app.blocks_at(Stage.CREATED)] == ["Markdown"]


def test_shape_problems_are_located() -> None:
    problems = _problems(BASE.replace("flowId: vacation_approval\n", "") + """layout:
  - on: LATER
    blocks:
      - type: Markdown
        text: hi
""")
    assert problems[0] == "app.yaml:1:1: flowId: required property 'flowId' is missing"
    assert problems[1].startswith("app.yaml:6:9: layout[0].on: Input should be 'OPEN'")
    assert "app.yaml:9:9: layout[0].blocks[0].text: unknown property 'text'" in problems


def test_meaning_problems_are_located() -> None:
    problems = _problems(BASE + """access:
  type: PUBLIC
  groups: [hr]
layout:
  - on: OPEN
    blocks:
      - type: io.kestra.plugin.ee.apps.blocks.Nope
  - on: SUCCESS
    blocks:
      - type: ResumeExecutionButton
      - type: RedirectTo
        url: https://example.com
        delay: soon
  - on: SUCCESS
    blocks: []
""")
    assert problems == [
        "app.yaml:8:11: access.groups: a PUBLIC app is open to anyone: groups apply to PRIVATE apps only",
        "app.yaml:12:15: layout[0].blocks[0].type: unknown block type 'io.kestra.plugin.ee.apps.blocks.Nope'; use "
        "one of Markdown, Alert, Button, Loading, RedirectTo, Chart, CreateExecutionForm, CreateExecutionButton, "
        "ResumeExecutionForm, ResumeExecutionButton, CancelExecutionButton, Inputs, Outputs, Logs, TaskOutputs, Grid",
        "app.yaml:15:15: layout[1].blocks[0].type: a ResumeExecutionButton block is shown on PAUSE, not on SUCCESS",
        "app.yaml:18:16: layout[1].blocks[1].delay: expected an ISO-8601 duration such as PT5S, got 'soon'",
        "app.yaml:19:9: layout[2].on: two layout entries are for stage SUCCESS",
    ]


def test_not_one_map() -> None:
    assert _problems("") == ["app.yaml: expected one app, found no YAML document"]
    assert "an app is a YAML map" in _problems("- a\n- b\n")[0]


def test_grids_nest_blocks_and_kestras_internal_route_is_accepted() -> None:
    app = parse_app(BASE + """layout:
  - on: OPEN
    blocks:
      - type: io.kestra.plugin.ee.apps.execution.blocks.CreateExecutionForm
      - type: io.kestra.plugin.ee.apps.execution.blocks.internal.Route
  - on: SUCCESS
    blocks:
      - type: io.kestra.plugin.ee.apps.core.blocks.Grid
        columns: 3
        gap: LARGE
        blocks:
          - type: io.kestra.plugin.ee.apps.execution.blocks.Outputs
            span: 2
          - type: io.kestra.plugin.ee.apps.execution.blocks.Inputs
""")
    grid = app.blocks_at(Stage.SUCCESS)[0]
    assert grid.columns == 3 and [type(b).__name__ for b in grid.blocks] == ["Outputs", "Inputs"]
    assert grid.blocks[0].span == 2
    problems = _problems(BASE + """layout:
  - on: OPEN
    blocks:
      - type: Markdown
        content: x
        span: 2
      - type: Grid
        columns: 2
        blocks:
          - type: Logs
            span: 3
          - type: Grid
            blocks:
              - type: Nope
""")
    assert problems[0] == "app.yaml:11:15: layout[0].blocks[0].span: span places a block in a Grid: this block is not in one"
    assert problems[1] == ("app.yaml:15:19: layout[0].blocks[1].blocks[0].type: a Logs block is shown on CREATED, "
                           "RUNNING, PAUSE, RESUME, SUCCESS, FAILURE, ERROR, FALLBACK, not on OPEN")
    assert problems[2] == "app.yaml:16:19: layout[0].blocks[1].blocks[0].span: the grid has 2 columns: a block spans at most that many"
    assert problems[3].startswith("app.yaml:19:23: layout[0].blocks[1].blocks[1].blocks[0].type: unknown block type 'Nope'")
    assert "Route" not in problems[3]
