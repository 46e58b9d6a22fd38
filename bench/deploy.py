"""`legato deploy --plan` benchmark: a repository of 200 flows in 10 namespaces (Kestra's layout), a local
Legato holding the same flows with a quarter of them changed and some deleted; the plan (with diffs) is
timed in process (read + parse + compare + render) and as the `legato deploy --plan` command from process start
to exit.

    .venv/bin/python bench/deploy.py [--flows N] [--namespaces N]

Prints `deploy: plan of 200 flows in 10 namespaces: 0.9 s in process (+ 1.2 s loading the plugins once), 3.1 s
as a command ...`. Target: <= 3 s.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from legato import plugins
from legato.clock import utcnow
from legato.deploy import layout, plan
from legato.deploy.targets import LocalTarget
from legato.services.principal import SYSTEM
from legato.storage import LocalStorage
from legato.store import open_store


def flow(ns: str, n: int, version: str) -> str:
    return f"""\
id: flow_{n}
namespace: {ns}
description: benchmark flow {n} ({version})
inputs:
  - id: day
    type: STRING
    defaults: "2024-01-01"
tasks:
  - id: extract
    type: io.kestra.plugin.core.debug.Return
    format: "{{{{ inputs.day }}}}-{n}"
  - id: transform
    type: io.kestra.plugin.core.debug.Return
    format: "{{{{ outputs.extract.value | upper }}}}"
  - id: load
    type: io.kestra.plugin.core.log.Log
    message: "{version}: {{{{ outputs.transform.value }}}}"
"""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--flows", type=int, default=200)
    parser.add_argument("--namespaces", type=int, default=10)
    args = parser.parse_args(argv if argv is not None else [])
    with tempfile.TemporaryDirectory(prefix="legato-bench-deploy-") as tmp:
        repo, data = Path(tmp) / "repo", Path(tmp) / ".legato"
        store = open_store(f"sqlite:///{data / 'legato.db'}")
        store.migrate()
        target = LocalTarget(store, LocalStorage(data / "storage"), by=SYSTEM, clock=utcnow)
        per = args.flows // args.namespaces
        for k in range(args.namespaces):
            ns = f"bench.deploy.team{k}"
            (repo / ns / "flows").mkdir(parents=True)
            for n in range(per):
                store.save_flow(ns, f"flow_{n}", flow(ns, n, "v1"), disabled=False, now=utcnow())
                if n % 10 != 9:  # a tenth of them are gone from the repository: deleted
                    changed = "v2" if n % 4 == 0 else "v1"  # a quarter changed: updated
                    (repo / ns / "flows" / f"flow_{n}.yaml").write_text(flow(ns, n, changed))
        started = time.perf_counter()
        plugins.registry()  # loading every task type once is the same for any number of flows
        loading = time.perf_counter() - started
        started = time.perf_counter()
        made = plan.make(layout.read([repo], lazy=True), target, delete=True)
        text = made.render()
        in_process = time.perf_counter() - started
        store.close()
        legato = str(Path(sys.executable).with_name("legato"))
        started = time.perf_counter()
        done = subprocess.run([legato, "deploy", str(repo), "--plan", "--delete", "--data-dir", str(data)],
                              capture_output=True, text=True, timeout=600)
        command = time.perf_counter() - started
    if done.returncode != 0 or done.stdout.count("\n") < text.count("\n"):
        raise RuntimeError(f"legato deploy --plan failed ({done.returncode}):\n{done.stderr}")
    summary = text.splitlines()[-1]
    print(f"deploy: plan of {args.flows} flows in {args.namespaces} namespaces: {in_process:.2f} s in process "
          f"(+ {loading:.2f} s loading the plugins once), {command:.2f} s as a command from process start to exit "
          f"({summary} load average {os.getloadavg()[0]:.1f}; target <= 3 s)")


if __name__ == "__main__":
    main(sys.argv[1:])
