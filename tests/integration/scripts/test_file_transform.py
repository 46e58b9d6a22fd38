"""Kestra's Python FileTransform tasks (jython, graalvm.python) run for real through the worker's script runner:
rows read from an ION file or JSON text, changed, dropped or multiplied by the script, typed values kept, logs,
and a failing row named."""

from __future__ import annotations

import datetime as dt
import decimal

import pytest
from tests.integration.scripts.conftest import Scripts

from legato.plugins.context import TaskFailed
from legato.storage import ion


def test_jython_transform_of_an_ion_file_keeps_types_and_logs(scripts: Scripts) -> None:
    execution = scripts.harness.one_execution()
    src = scripts.storage.put(
        f"kestra:///company/team/orders/executions/{execution.id}/x/rows.ion",
        b"{id:1,at:2024-05-01T12:00:00Z,price:9.50}\n{id:2,at:2024-05-02T12:00:00Z,price:1.25}\n",
    )
    outputs, ctx = scripts.run(
        f"""
id: task
type: io.kestra.plugin.scripts.jython.FileTransform
from: "{src}"
script: |
  from datetime import timedelta
  logger.info('row: {{}}', row['id'])
  print('seen', row['id'])
  row['next_day'] = row['at'] + timedelta(days=1)
  row['double'] = row['price'] * 2
  row['flow'] = flow['id']
""",
        execution=execution,
    )
    rows = ion.loads(scripts.storage.get(outputs["uri"]).decode())
    assert rows[0]["next_day"] == dt.datetime(2024, 5, 2, 12, tzinfo=dt.UTC)
    assert rows[1]["double"] == decimal.Decimal("2.50") and rows[1]["flow"] == "orders"
    assert ("INFO", "row: 1") in scripts.messages(ctx) and ("INFO", "seen 2") in scripts.messages(ctx)


def test_graalvm_python_transform_drops_replaces_and_multiplies_rows(scripts: Scripts) -> None:
    outputs, _ = scripts.run("""
id: task
type: io.kestra.plugin.graalvm.python.FileTransform
from: '[{"id": 1, "qty": 2}, {"id": 666}, {"id": 3, "qty": 1}]'
concurrent: 2
script: |
  if row['id'] == 666:
      row = None
  elif row['id'] == 3:
      rows = [{'id': 3, 'part': 'a'}, {'id': 3, 'part': 'b'}]
  else:
      row = {'id': row['id'], 'total': row['qty'] * 10}
""")
    rows = ion.loads(scripts.storage.get(outputs["uri"]).decode())
    assert rows == [{"id": 1, "total": 20}, {"id": 3, "part": "a"}, {"id": 3, "part": "b"}]


def test_a_failing_row_is_named(scripts: Scripts) -> None:
    with pytest.raises(TaskFailed, match=r"row 2 \(script line 1\): KeyError: 'name'"):
        scripts.run("""
id: task
type: io.kestra.plugin.scripts.jython.FileTransform
from: '[{"name": "a"}, {"id": 2}]'
script: |
  row['email'] = row['name'] + '@example.com'
""")
