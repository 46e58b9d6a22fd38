"""Blocks resolved for one visit: expressions rendered against the execution, filters applied, failures shown in
place rather than raised."""

from __future__ import annotations

from legato.apps import Stage, parse_app
from legato.apps.blocks import Visit, resolve
from legato.expressions import Renderer

APP = """id: a
displayName: A
namespace: n
flowId: f
layout:
  - on: SUCCESS
    blocks:
      - type: Markdown
        content: "Hi {{ inputs.who }} ({{ app.id }})"
      - type: Button
        text: Again
        url: "{{ app.url }}"
      - type: Inputs
        filter:
          include: [who, doc]
          exclude: [doc]
      - type: Outputs
      - type: Logs
        filter:
          logLevel: WARN
          taskIds: [t1]
      - type: TaskOutputs
        outputs:
          - displayName: Rows
            type: JSON
            value: "{{ outputs.q.rows }}"
          - displayName: Broken
            value: "{{ outputs.missing.value }}"
      - type: Chart
        x: day
        y: n
        data: "{{ outputs.q.rows }}"
      - type: RedirectTo
        url: https://example.com
        delay: PT3S
"""


def test_resolve_renders_and_filters() -> None:
    app = parse_app(APP)
    visit = Visit(
        variables={"inputs": {"who": "ann"}, "app": {"id": "a", "url": "/ui/main/apps/a"},
                   "outputs": {"q": {"rows": [{"day": "mon", "n": 2}]}}},
        inputs={"who": "ann", "doc": "kestra:///n/f/executions/e/inputs/doc/x.txt", "other": 1},
        outputs={"report": "kestra:///n/f/executions/e/report.csv", "count": 3},
        logs=[{"level": "INFO", "taskId": "t1", "message": "quiet"}, {"level": "ERROR", "taskId": "t1", "message": "x"},
              {"level": "ERROR", "taskId": "t2", "message": "other task"}])
    blocks = resolve(app.blocks_at(Stage.SUCCESS), visit, Renderer())
    assert blocks[0] == {"type": "Markdown", "content": "Hi ann (a)"}
    assert blocks[1]["url"] == "/ui/main/apps/a"
    assert blocks[2]["values"] == [{"id": "who", "value": "ann", "file": False}]
    assert blocks[3]["values"] == [{"id": "report", "value": "kestra:///n/f/executions/e/report.csv", "file": True},
                                   {"id": "count", "value": 3, "file": False}]
    assert [line["message"] for line in blocks[4]["lines"]] == ["x"]
    rows, broken = blocks[5]["outputs"]
    assert rows["value"] == [{"day": "mon", "n": 2}]
    assert broken["value"].startswith("[") and "missing" in broken["value"]
    assert blocks[6]["rows"] == [{"day": "mon", "n": 2}] and blocks[6]["chartType"] == "BAR"
    assert blocks[7] == {"type": "RedirectTo", "url": "https://example.com", "delaySeconds": 3.0}


def test_grids_resolve_their_blocks_and_route_shows_nothing() -> None:
    app = parse_app("""id: a
displayName: A
namespace: n
flowId: f
layout:
  - on: SUCCESS
    blocks:
      - type: Route
      - type: Grid
        columns: 3
        blocks:
          - type: Markdown
            content: "{{ inputs.who }}"
            span: 2
          - type: Loading
""")
    blocks = resolve(app.blocks_at(Stage.SUCCESS), Visit(variables={"inputs": {"who": "ann"}}), Renderer())
    assert blocks == [{"type": "Grid", "columns": 3, "gap": "MEDIUM", "blocks": [
        {"type": "Markdown", "content": "ann", "span": 2}, {"type": "Loading"}]}]
