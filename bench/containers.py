"""Container overhead per script task (issue 17): the same Shell and Python Script tasks, run start to finish as a
worker runs them (working dir, container create, start, output, exit, removal), under the process runner and the
docker runner, paired run by run so that the machine's noise cancels out. The engine is the tests' own
(tests/docker_engine.py: overlay2 where the kernel has it); `vfs` adds a private engine with the vfs storage
driver, which copies the whole image for every container.

    .venv/bin/python bench/containers.py        # the test engine
    .venv/bin/python bench/containers.py vfs    # and a vfs engine (its images are built first, ~1 min)
"""

from __future__ import annotations

import asyncio
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
RUNS = 15
DOCKER = "io.kestra.plugin.scripts.runner.docker.Docker"
TASKS = {
    "Shell echo": ("io.kestra.plugin.scripts.shell.Commands", "ubuntu:22.04", "commands: ['echo 1']"),
    "Python print(1)": ("io.kestra.plugin.scripts.python.Script", "python:3.11-slim", "script: print(1)"),
}


def _task(kind: str, image: str, body: str, runner: str, files: str | None = None) -> Any:
    from legato.plugins import registry

    spec = {"type": runner} if runner != "docker" else {"type": DOCKER, **({"fileHandlingStrategy": files} if files else {})}
    data = {"id": "t", "type": kind, "containerImage": image, "taskRunner": spec, **yaml.safe_load(body)}
    return registry().lookup(kind).model_validate(data)  # type: ignore[union-attr]


def paired_ms(bench: Any, baseline: Any, measured: Any, runs: int = RUNS) -> tuple[float, float, float]:
    """Medians of (baseline, measured, measured - baseline) over `runs` pairs, after one warm-up pair."""

    async def once(task: Any) -> float:
        ctx = bench.context()
        started = time.perf_counter()
        await task.run(ctx)
        elapsed = time.perf_counter() - started
        ctx.flush()
        return elapsed

    async def go() -> list[tuple[float, float]]:
        pairs = []
        for i in range(runs + 1):
            pair = (await once(baseline), await once(measured))
            if i:
                pairs.append(pair)
        return pairs

    pairs = asyncio.run(go())
    return (statistics.median(p[0] for p in pairs) * 1000, statistics.median(p[1] for p in pairs) * 1000,
            statistics.median(p[1] - p[0] for p in pairs) * 1000)


def measure(bench: Any, label: str) -> None:
    for name, (kind, image, body) in TASKS.items():
        for files in ("MOUNT", "VOLUME"):
            process, docker, over = paired_ms(bench, _task(kind, image, body, "process"),
                                              _task(kind, image, body, "docker", files))
            print(f"containers[{label}][{files.lower()}]: {name}: process {process:.0f} ms, docker {docker:.0f} ms, "
                  f"overhead {over:+.0f} ms per task (goal <= 150 ms)")


def main(argv: list[str] | None = None) -> None:
    sys.path.insert(0, str(REPO))
    from tests import docker_engine, docker_images

    scripts = _sibling("scripts")
    wanted = sys.argv[1:] if argv is None else argv
    with tempfile.TemporaryDirectory() as tmp_name, docker_engine.session() as engine:
        tmp = Path(tmp_name)
        os.environ["DOCKER_HOST"] = engine.host
        bench = scripts.Bench(tmp)
        measure(bench, engine.storage_driver)
        if "vfs" in wanted:
            paths = docker_engine.Paths("legato-bench-vfs")
            vfs = docker_engine.start(paths, driver="vfs")
            try:
                started = time.monotonic()
                docker_images.ensure(vfs.host)
                print(f"containers[vfs]: images built in {time.monotonic() - started:.0f} s")
                os.environ["DOCKER_HOST"] = vfs.host
                measure(bench, "vfs")
            finally:
                docker_engine.stop(paths)
                shutil.rmtree(paths.data_root, ignore_errors=True)  # a full copy of every layer: GBs
        bench.store.close()


def _sibling(name: str) -> Any:
    """Another bench module, loaded from its file (bench/ is not a package)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(f"bench_{name}", Path(__file__).parent / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


if __name__ == "__main__":
    main()
