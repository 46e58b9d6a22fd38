"""cloudquery.CloudQueryCLI and cloudquery.Sync through the process runner. The CloudQuery binary does not install
here, so each run ships a stand-in `cloudquery` (a shell script recording its arguments and the config files it is
given, and appending to the incremental SQLite file as a source's cursor would) to the working directory, first on
PATH through `beforeCommands`: the config files, the incremental backend and its state kept in KV are the task's
own work, checked for real."""

from __future__ import annotations

import json

import yaml
from tests.integration.scripts.conftest import Scripts

STAND_IN = """\
#!/bin/sh
echo "cloudquery $*" >> calls.txt
for f in "$@"; do case "$f" in *.yml) cat "$f" >> configs.txt; echo "---" >> configs.txt;; esac; done
if [ -f incrementaldb.sqlite ]; then echo "run" >> incrementaldb.sqlite; echo "state: $(wc -l < incrementaldb.sqlite)"; fi
"""
SETUP = (f"inputFiles:\n  bin/cloudquery: {json.dumps(STAND_IN)}\n"
         "beforeCommands:\n  - chmod +x bin/cloudquery\n  - export PATH=\"$PWD/bin:$PATH\"\n"
         "outputFiles:\n  - calls.txt\n  - configs.txt\n")


def test_cloudquery_cli_runs_the_command_lines(scripts: Scripts) -> None:
    outputs, _ = scripts.run("id: cq\ntype: io.kestra.plugin.cloudquery.CloudQueryCLI\ncommands:\n"
                             "  - cloudquery sync config.yml --log-console\n" + SETUP.replace("  - configs.txt\n", ""))
    assert scripts.storage.get(outputs["outputFiles"]["calls.txt"]).decode().splitlines() == [
        "cloudquery sync config.yml --log-console"]


def test_sync_writes_the_configs_and_keeps_the_incremental_state(scripts: Scripts) -> None:
    source = """
id: cq
type: io.kestra.plugin.cloudquery.Sync
incremental: true
configs:
  - kind: source
    spec:
      name: hackernews
      path: cloudquery/hackernews
      version: v3.0.13
      tables: ["*"]
      destinations: [duckdb]
  - kind: destination
    spec:
      name: duckdb
      path: cloudquery/duckdb
      version: v4.2.10
      spec:
        connection_string: hn.db
""" + SETUP
    ctx = scripts.context()
    outputs, _ = scripts.run(source, ctx)
    [call] = scripts.storage.get(outputs["outputFiles"]["calls.txt"]).decode().splitlines()
    assert call.startswith("cloudquery sync cloudquery-config-0.yml cloudquery-config-1.yml cloudquery-config-2.yml")
    assert call.endswith("--log-console")
    docs = [d for d in yaml.safe_load_all(scripts.storage.get(outputs["outputFiles"]["configs.txt"]).decode()) if d]
    assert docs[0]["spec"]["backend_options"] == {"table_name": "kestra_incremental_table",
                                                  "connection": "@@plugins.kestra_incremental_db.connection"}
    assert docs[1]["spec"]["name"] == "duckdb" and "backend_options" not in docs[1]["spec"]
    assert docs[2]["spec"] == {"name": "kestra_incremental_db", "path": "cloudquery/sqlite", "version": "v2.4.10",
                               "spec": {"connection_string": "incrementaldb.sqlite"}}
    assert ("INFO", "state: 1") in scripts.messages(ctx)
    # the next run of the flow (the same namespace's KV store) starts from the saved state
    scripts.run(source, ctx)
    assert ("INFO", "state: 2") in scripts.messages(ctx)
