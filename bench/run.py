"""`make bench`: run every benchmark module under bench/ and print its figures."""

from __future__ import annotations

import importlib.util
import sys
import time
from pathlib import Path

HERE = Path(__file__).parent
# In the order a reader wants them: the pure parts, the store, the whole engine, then the services.
ORDER = ["cli", "expressions", "store", "engine", "throughput", "load", "load_model", "scripts", "containers", "api",
         "permissions", "scheduler", "jdbc",
         "serdes", "corpus", "corpus_run", "flowtests", "deploy", "dashboards"]


def _load(name: str):  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(f"bench_{name}", HERE / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> int:
    wanted = sys.argv[1:] or [n for n in ORDER if (HERE / f"{n}.py").exists()]
    failed = 0
    for name in wanted:
        started = time.perf_counter()
        print(f"== {name}", flush=True)
        try:
            _load(name).main()
        except Exception as exc:
            failed += 1
            print(f"{name}: FAILED: {type(exc).__name__}: {exc}")
        print(f"   ({time.perf_counter() - started:.0f} s)", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
