"""The plugin type index (legato/plugins/type_index.json): parsing a flow imports only the plugin modules of the types
it names, whatever the name (alias, nested task, trigger, plugin default); listings still see every type; a
stale index is caught here and, at run time, only costs a full load."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys

import pytest

from legato.flows import parse_flow
from legato.model.errors import FlowValidationError
from legato.model.loader import load_flow
from legato.plugins import loader


def run_fresh(code: str) -> dict[str, object]:
    """What `code` prints as JSON on its last line, run in a new interpreter (nothing imported yet)."""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


PROBE = """
import json, sys
from legato.flows import parse_flow
flow = parse_flow('''{flow}''')
plugins = sorted(m for m in sys.modules if m.startswith("legato.plugins.") and m.count(".") >= 3)
print(json.dumps({{"plugins": plugins, "tasks": [type(t).__module__ for t in flow.tasks[0].walk()]}}))
"""

NESTED = """\
id: lazy
namespace: company.team
pluginDefaults:
  - type: io.kestra.plugin.scripts
    values:
      containerImage: python:3.12
tasks:
  - id: each
    type: io.kestra.plugin.core.flow.ForEach
    values: [1, 2]
    tasks:
      - id: py
        type: io.kestra.plugin.scripts.python.Script
        script: print(1)
        taskRunner:
          type: io.kestra.plugin.core.runner.Process
      - id: say
        type: io.kestra.core.tasks.log.Log
        message: hi
triggers:
  - id: files
    type: io.kestra.plugin.aws.s3.Trigger
    bucket: b
    interval: PT1M
    action: NONE
    conditions:
      - type: io.kestra.plugin.core.condition.DayWeekCondition
        dayOfWeek: MONDAY
"""


def test_the_checked_in_index_is_fresh() -> None:
    stale = loader.differences(loader.read_index(), loader.build_index())
    assert not stale, "type_index.json is stale, run `make plugin-index`:\n" + "\n".join(stale)


def test_differences_name_each_stale_entry() -> None:
    tasks, triggers = (dict(d) for d in loader.read_index())
    tasks["io.kestra.plugin.core.log.Log"] = "legato.plugins.core.debug"
    del triggers["io.kestra.plugin.core.trigger.Schedule"]
    found = loader.differences((tasks, triggers), loader.read_index())
    assert found == [
        "task io.kestra.plugin.core.log.Log: index says legato.plugins.core.debug, registered by legato.plugins.core.log",
        "trigger io.kestra.plugin.core.trigger.Schedule: index says None, registered by legato.model.triggers",
    ]


def test_a_flow_imports_only_the_plugin_modules_it_names() -> None:
    seen = run_fresh(PROBE.format(flow=NESTED))
    assert seen["tasks"] == ["legato.model.flowable", "legato.plugins.scripts.python", "legato.plugins.core.log"]
    plugins = seen["plugins"]
    assert isinstance(plugins, list)
    assert {"legato.plugins.scripts.python", "legato.plugins.core.log", "legato.plugins.aws.s3_trigger"} <= set(plugins)
    for other in ("legato.plugins.jdbc.warehouses", "legato.plugins.core.http", "legato.plugins.gcp.gcs",
                  "legato.plugins.notifications.chat", "legato.plugins.scripts.node"):
        assert other not in plugins
    assert len(plugins) < 40, plugins  # of the ~190 modules a full load imports


def test_a_stale_or_wrong_index_entry_still_finds_the_type() -> None:
    code = """
import json
from legato.plugins import loader
tasks, _ = loader.read_index()
tasks["io.kestra.plugin.core.log.Log"] = "legato.plugins.core.debug"  # wrong module
tasks["io.kestra.plugin.core.debug.Return"] = "legato.plugins.core.gone"  # a module since removed
del tasks["io.kestra.plugin.core.output.OutputValues"]  # a type added since
from legato.flows import parse_flow
flow = parse_flow('''id: f
namespace: n
tasks:
  - {id: a, type: io.kestra.plugin.core.log.Log, message: hi}
  - {id: b, type: io.kestra.plugin.core.debug.Return, format: x}
  - {id: c, type: io.kestra.plugin.core.output.OutputValues, values: {k: v}}
''')
print(json.dumps({"types": [t.TYPE for t in flow.tasks]}))
"""
    assert run_fresh(code)["types"] == ["log.Log", "debug.Return", "output.OutputValues"]


def test_listings_load_every_type() -> None:
    code = """
import json
from legato import plugins
from legato.plugins import loader
tasks, triggers = set(plugins.registry().names()), set(plugins.trigger_registry().names())
indexed_tasks, indexed_triggers = loader.read_index()
print(json.dumps({"missing": sorted((set(indexed_tasks) - tasks) | (set(indexed_triggers) - triggers))}))
"""
    assert run_fresh(code)["missing"] == []


def test_an_unknown_type_suggests_a_close_name_from_modules_not_imported_yet() -> None:
    source = "id: f\nnamespace: n\ntasks:\n  - id: q\n    type: io.kestra.plugin.jdbc.duckdb.Qeury\n    sql: select 1\n"
    with pytest.raises(FlowValidationError) as caught:
        parse_flow(source)
    assert "unknown task type 'io.kestra.plugin.jdbc.duckdb.Qeury' (did you mean 'io.kestra.plugin.jdbc.duckdb.Query'?)" in str(caught.value)


def test_a_type_found_through_the_index_whose_extra_is_missing_says_what_to_install() -> None:
    for name in ("tests.unit.plugins.lazy_types", "tests.unit.plugins.lazy_registry"):
        sys.modules.pop(name, None)
    registry = importlib.import_module("tests.unit.plugins.lazy_registry").REGISTRY
    index = {"acme.Plain": "tests.unit.plugins.lazy_types", "io.acme.NeedsAcme": "tests.unit.plugins.lazy_types"}
    registry.attach(loader.IndexedSource(loader.Plugins(), index, registry))
    flow = load_flow("id: f\nnamespace: n\ntasks:\n  - {id: a, type: acme.Plain}\n", registry=registry)
    assert type(flow.tasks[0]).__module__ == "tests.unit.plugins.lazy_types"
    with pytest.raises(FlowValidationError) as caught:
        load_flow("id: f\nnamespace: n\ntasks:\n  - {id: a, type: io.acme.NeedsAcme}\n", registry=registry)
    assert ("task type 'io.acme.NeedsAcme' needs the Python package(s) acme_client_not_installed, not installed: "
            "run pip install 'legato[acme]'") in str(caught.value)
