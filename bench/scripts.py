"""Script task benchmarks (issue 6): the overhead a Python Script task adds to the bare interpreter, under
the process and sandbox runners; the extra start time of warm `dependencies:`; and Windmill's benchmark
shape, one flow of 40 sequential Python tasks each computing fibo(10), on SQLite and on PostgreSQL.

    .venv/bin/python bench/scripts.py          # everything
    .venv/bin/python bench/scripts.py fibo-pg  # the fibo flow on PostgreSQL only
    .venv/bin/python bench/scripts.py wm40     # the fibo flow on SQLite, default configuration, fresh processes
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

RUNS = 20
BALLAST_MB = 400
FIBO_TASKS = 40
FIBO_PG_RUNS = 3


def bare_python_ms(python: str, runs: int = RUNS) -> float:
    """Median wall time of `python -c 'print(1)'` as a plain child process."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([python, "-c", "print(1)"], capture_output=True, check=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


class Bench:
    """Builds worker contexts over one SQLite store, as the worker does, and times task runs."""

    def __init__(self, tmp: Path) -> None:
        from legato.engine.events import ExecutionCreated
        from legato.expressions import Masker, Renderer
        from legato.model.execution import Execution, TaskRun
        from legato.model.state import State
        from legato.storage import LocalStorage
        from legato.store import open_store
        from legato.worker.context import WorkerContext

        self.store = open_store(f"sqlite:///{tmp}/bench.db")
        self.store.migrate()
        self.storage = LocalStorage(tmp / "storage")
        self._types = (ExecutionCreated, Masker, Renderer, Execution, TaskRun, State, WorkerContext)
        self.count = 0

    def context(self) -> Any:
        from legato.clock import utcnow
        from legato.flows import Flows

        ExecutionCreated, Masker, Renderer, Execution, TaskRun, State, WorkerContext = self._types
        self.count += 1
        execution = Execution(id=f"bench{self.count:017d}", namespace="bench", flow_id="scripts", flow_revision=1,
                              state=State.RUNNING, created=utcnow())
        self.store.create_execution(execution, ExecutionCreated())
        run = TaskRun(id=f"{execution.id}-t", execution_id=execution.id, task_id="t")
        variables = {"flow": {"id": "scripts", "namespace": "bench"}, "execution": {"id": execution.id},
                     "task": {"id": "t"}, "taskrun": {"id": run.id}, "inputs": {}, "outputs": {}, "vars": {}}
        ctx = WorkerContext(store=self.store, flows=Flows(), renderer=Renderer(), masker=Masker(),
                            variables=variables, execution=execution, task_run=run, attempt=1, flow_namespace="bench", flow_id="scripts",
                            log_level=None, clock=utcnow, cancelled=asyncio.Event())
        ctx.storage = self.storage  # type: ignore[attr-defined]
        return ctx

    def task_ms(self, source: str, runs: int = RUNS, baseline: list[str] | None = None) -> tuple[float, float]:
        """Median time of one task run in one event loop, as on a worker (context creation and log flush
        excluded), and the median of (task - baseline command) when a baseline is given: each task run is
        paired with a baseline run just before it, so that the machine's noise cancels out."""
        from legato.plugins import registry

        data = yaml.safe_load(source)
        task = registry().lookup(data["type"]).model_validate(data)  # type: ignore[union-attr]

        async def go() -> tuple[list[float], list[float]]:
            times, deltas = [], []
            for i in range(runs + 1):
                base = 0.0
                if baseline:
                    started = time.perf_counter()
                    subprocess.run(baseline, capture_output=True, check=True)
                    base = time.perf_counter() - started
                ctx = self.context()
                started = time.perf_counter()
                await task.run(ctx)
                elapsed = time.perf_counter() - started
                ctx.flush()
                if i:  # the first run warms caches (shims, uv env), as on a long-lived worker
                    times.append(elapsed)
                    deltas.append(elapsed - base)
            return times, deltas

        times, deltas = asyncio.run(go())
        return statistics.median(times) * 1000, statistics.median(deltas) * 1000


def script(runner: str, extra: str = "") -> str:
    return f"id: t\ntype: io.kestra.plugin.scripts.python.Script\ntaskRunner:\n  type: {runner}\n{extra}script: print(1)\n"


def fibo_flow(warm: bool = False) -> str:
    body = ("def fibo(n):\n    return n if n < 2 else fibo(n - 1) + fibo(n - 2)\n"
            "print('::{\"outputs\": {\"fibo\": %d}}::' % fibo(10))\n")
    indented = "".join(f"      {line}\n" for line in body.splitlines())
    tasks = "".join(f"  - id: fibo{i}\n    type: io.kestra.plugin.scripts.python.Script\n    script: |\n{indented}"
                    for i in range(FIBO_TASKS))
    # the warm Python runner is opted into for the whole flow, as a Kestra user sets flow-wide task properties
    defaults = ("pluginDefaults:\n  - type: io.kestra.plugin.scripts.python\n    values:\n"
                "      taskRunner:\n        type: python-warm\n") if warm else ""
    return f"id: fibo{'_warm' if warm else ''}\nnamespace: bench\n{defaults}tasks:\n{tasks}"


def fibo_seconds(url: str, warm: bool = False, worker_started: bool = False) -> float:
    """Total time of the 40-task flow on the database at `url`, through a real Runtime in this process: submitted
    50 ms after the worker's start, or once it has started (`worker_started`: its spare sandbox up, `Worker.warmed`)."""
    from legato.clock import utcnow
    from legato.server import compose
    from legato.server.compose import Runtime
    from legato.services import executions as execution_service
    from legato.services import flows as flow_service
    from legato.services.principal import SYSTEM
    from legato.store import open_store

    store = open_store(url)
    store.migrate()
    # one flow cache for the deploy, the execution's creation and the runtime, as in a server (bench/engine.py too):
    # the 40-task flow is parsed when deployed, not again inside the timed run
    runtime = Runtime(store, poll_seconds=0.5)
    record = flow_service.deploy(store, fibo_flow(warm), now=utcnow(), by=SYSTEM, flows=runtime.flows)

    async def go() -> float:
        stopping = asyncio.Event()
        compose.settle_heap()  # as a server process does once it is built (compose.Process.run)
        services = asyncio.create_task(runtime.run(stopping))
        await asyncio.sleep(0.05)
        if worker_started:
            assert runtime.worker is not None
            assert await runtime.worker.warmed(), "the worker did not finish starting within a minute"
        started = utcnow()
        execution = await asyncio.to_thread(execution_service.create_execution, store, record.namespace, record.id, {},
                                            by=SYSTEM, now=started, flows=runtime.flows)
        # timed by the execution's own end date, so that waiting for it (a poll) takes nothing from the run
        final = await execution_service.wait_for_end(store, execution.id, poll_seconds=0.1)
        assert final.ended is not None
        elapsed = (final.ended - started).total_seconds()
        stopping.set()
        await services
        assert final.state == "SUCCESS", f"fibo flow ended {final.state}: {final.error}"
        return elapsed

    try:
        return asyncio.run(go())
    finally:
        store.close()


def main() -> None:
    from legato.plugins.scripts import tools
    from legato.runners.sandbox import bwrap_path

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        os.environ.setdefault("LEGATO_STORAGE_ROOT", str(tmp / "storage"))
        bench = Bench(tmp)
        bare = bare_python_ms(tools.python_interpreter())
        print(f"scripts: bare `python -c 'print(1)'`: {bare:.1f} ms (median of {RUNS})")
        runners = ["process"] + (["sandbox"] if bwrap_path() else [])
        command = [tools.python_interpreter(), "-c", "print(1)"]
        for runner in [*runners, "python-warm"]:
            took, over = bench.task_ms(script(runner), baseline=command)
            print(f"scripts[{runner}]: Python Script print(1): {took:.1f} ms, {over:+.1f} ms over bare (target <= 15 ms)")
        # a real worker holds far more memory than this bench: forking it (which applying Landlock between
        # fork and exec used to require) costs more the larger it is; the fork server keeps that cost flat
        ballast = bytearray(BALLAST_MB << 20)
        ballast[::4096] = b"\x01" * len(ballast[::4096])
        took, over = bench.task_ms(script("process"), baseline=command)
        print(f"scripts[process]: Python Script print(1) from a worker holding {BALLAST_MB} MB more: {took:.1f} ms, "
              f"{over:+.1f} ms over bare (target <= 15 ms)")
        del ballast
        try:
            warm, _ = bench.task_ms(script("process", "dependencies:\n  - six\n"))
            plain, _ = bench.task_ms(script("process"))
            print(f"scripts[process]: warm `dependencies:` start: {warm:.1f} ms vs {plain:.1f} ms without "
                  f"({warm - plain:+.1f} ms; target < 100 ms; the virtualenv's interpreter skips the base "
                  f"interpreter's site-packages, which can make it faster)")
        except Exception as exc:  # no network for the first install, for instance
            print(f"scripts[process]: warm `dependencies:`: not measured ({type(exc).__name__}: {exc})")
        bench.store.close()
        isolation_cost(bench)
        seconds = fibo_seconds(f"sqlite:///{tmp}/fibo_warm.db", warm=True)
        print(f"scripts[sqlite][python-warm]: {FIBO_TASKS} sequential Python tasks fibo(10) (wm40): {seconds:.2f} s "
              f"total, {seconds * 1000 / FIBO_TASKS:.1f} ms per task (goal <= 0.4 s)")
    fibo_default()
    fibo_postgresql()


def isolation_cost(bench: Bench) -> None:
    """Per-task cost of isolation: the same Python Script task in its namespace's sandbox (the default) and
    unisolated (LEGATO_UNSAFE_PROCESS_RUNNER), under the warm and the fresh-interpreter runner."""
    for runner in ("python-warm", "process"):
        os.environ["LEGATO_UNSAFE_PROCESS_RUNNER"] = "true"
        try:
            unsafe, _ = bench.task_ms(script(runner))
        finally:
            del os.environ["LEGATO_UNSAFE_PROCESS_RUNNER"]
        isolated, _ = bench.task_ms(script(runner))
        print(f"scripts[isolation][{runner}]: Python Script print(1): {isolated:.1f} ms isolated vs {unsafe:.1f} ms "
              f"unisolated: {isolated - unsafe:+.1f} ms per task for isolation (goal <= 10 ms)")


def fibo_postgresql(runs: int = FIBO_PG_RUNS) -> None:
    """The fibo flow on a throw-away PostgreSQL database per run (LEGATO_BENCH_PG, as bench/engine.py):
    best and median of `runs`, the machine being shared."""
    database = _sibling("engine").database
    for warm in (True, False):
        runner = "python-warm" if warm else "process"
        try:
            times = []
            for _ in range(runs if warm else 1):
                with database("postgresql") as url:
                    times.append(fibo_seconds(url, warm))
        except Exception as exc:  # no PostgreSQL here
            print(f"scripts[postgresql][{runner}]: not measured ({type(exc).__name__}: {exc})")
            continue
        best, median = min(times), statistics.median(times)
        print(f"scripts[postgresql][{runner}]: {FIBO_TASKS} sequential Python tasks fibo(10): {best:.2f} s total "
              f"(best of {len(times)}, median {median:.2f} s), {best * 1000 / FIBO_TASKS:.0f} ms per task "
              f"(target <= 1.0 s)")


def fibo_default(runs: int = 5) -> None:
    """wm40 with the default configuration, each run in a fresh process, its flow the first of its namespace (the
    namespace's sandbox is not running yet): on a worker that has started (its spare sandbox up, as on any server
    that has been up for a second), and submitted 50 ms after the worker's start (the spare still starting). Runs
    interleaved; median and best of `runs` each, the machine being shared."""
    times: dict[str, list[float]] = {"started": [], "cold": []}
    for _ in range(runs):
        for mode, found in times.items():
            out = subprocess.run([sys.executable, __file__, "wm40-once", mode], capture_output=True, text=True,
                                 check=True)
            found.append(float(out.stdout.split()[-1]))
    for mode, found in times.items():
        median = statistics.median(found)
        what = "on a started worker" if mode == "started" else "submitted 50 ms after the worker's start"
        print(f"scripts[sqlite][default configuration, {what}]: {FIBO_TASKS} sequential Python tasks fibo(10) "
              f"(wm40): median {median:.2f} s of {runs} fresh processes (best {min(found):.2f} s), "
              f"{median * 1000 / FIBO_TASKS:.1f} ms per task (goal <= 0.4 s)")


def _fibo_once(mode: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        os.environ.setdefault("LEGATO_STORAGE_ROOT", str(Path(tmp) / "storage"))
        print(f"{fibo_seconds(f'sqlite:///{tmp}/fibo.db', worker_started=mode == 'started'):.4f}")


def _sibling(name: str) -> Any:
    """Another bench module, loaded from its file (bench/ is not a package)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(f"bench_{name}", Path(__file__).parent / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


if __name__ == "__main__":
    if sys.argv[1:] == ["fibo-pg"]:
        fibo_postgresql()
    elif sys.argv[1:] == ["wm40"]:
        fibo_default()
    elif sys.argv[1:2] == ["wm40-once"]:
        _fibo_once(sys.argv[2])
    else:
        main()
