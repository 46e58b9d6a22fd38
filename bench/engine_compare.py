"""The engine benchmark's SQLite workloads, this tree against an earlier commit's, on the same machine at the same
time: the "before/after" of a change that touches the engine's path.

    git worktree add --detach /work/wt/before 48da20c
    .venv/bin/python bench/engine_compare.py /work/wt/before [RUNS]

Each run is one workload of `bench/engine.py` in a fresh process of this venv, alternating the two trees so that
the machine's load falls on both alike. Prints, per tree and workload, the wall time and the process's CPU time
of the timed window (from the execution's creation to its end), best and median of RUNS (default 6). The earlier
tree runs with this venv's packages; plugin entry points of this install whose modules it does not have yet are
left out for it. Not part of `make bench`, which has no earlier tree to compare with.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
WORKLOADS = ("chain-100", "parallel-100", "foreach-1000")

# Runs one workload of a tree's bench/engine.py and prints {"wall", "cpu"}: the CPU time of the timed window is the
# bench's own `cpu_seconds` where it has one, else read at its two perf_counter() calls, which bound the window in
# earlier versions.
_RUNNER = """
import importlib.util, json, sys, time, types
tree, name = sys.argv[1], sys.argv[2]
sys.path.insert(0, f"{tree}/bench")
spec = importlib.util.spec_from_file_location("engine_bench", f"{tree}/bench/engine.py")
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
marks = []
def perf_counter():
    marks.append(time.process_time())
    return time.perf_counter()
module.time = types.SimpleNamespace(**{**vars(time), "perf_counter": perf_counter})
out = module.run_one(name, "sqlite")
print(json.dumps({"wall": out["seconds"], "cpu": out["cpu_seconds"] if "cpu_seconds" in out else marks[-1] - marks[-2]}))
"""

# For the earlier tree: the installed plugin entry points whose module that tree does not have are left out.
_SITECUSTOMIZE = """
import importlib.metadata as metadata, importlib.util
_entry_points = metadata.entry_points
def entry_points(**params):
    found = _entry_points(**params)
    if params.get("group") != "legato.plugins":
        return found
    return metadata.EntryPoints(ep for ep in found if importlib.util.find_spec(ep.module) is not None)
metadata.entry_points = entry_points
"""


def run(tree: Path, workload: str, shim: Path) -> dict[str, float]:
    path = [str(tree / "src")] + ([str(shim)] if tree != HERE.parent else [])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(path), "PYTHONWARNINGS": "ignore"}
    out = subprocess.run([sys.executable, "-c", _RUNNER, str(tree), workload], capture_output=True, text=True,
                         env=env, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"{tree} {workload}: {out.stderr[-1500:]}")
    figures: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return figures


def compare(before: Path, runs: int) -> None:
    trees = {"before": before.resolve(), "this tree": HERE.parent}
    with tempfile.TemporaryDirectory() as shim:
        (Path(shim) / "sitecustomize.py").write_text(_SITECUSTOMIZE)
        for workload in WORKLOADS:
            results: dict[str, list[dict[str, float]]] = {name: [] for name in trees}
            for _ in range(runs):
                for name, tree in trees.items():
                    results[name].append(run(tree, workload, Path(shim)))
            for name, figures in results.items():
                wall = [f["wall"] * 1000 for f in figures]
                cpu = [f["cpu"] * 1000 for f in figures]
                print(f"engine-compare[sqlite] {workload} {name:9}: wall best {min(wall):.0f} ms, median "
                      f"{statistics.median(wall):.0f} ms | CPU best {min(cpu):.0f} ms, median "
                      f"{statistics.median(cpu):.0f} ms ({runs} runs)", flush=True)


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: bench/engine_compare.py EARLIER_TREE [RUNS] (see the module's docstring)")
    compare(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 6)
