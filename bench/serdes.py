"""Format conversions (serdes) on a large generated CSV: CsvToIon, then IonToCsv, IonToJson and IonToParquet
of its result, each in a fresh process, printing MB/s (of the file read) and the process's peak RSS, so that
streaming (bounded memory whatever the size) shows.

    .venv/bin/python bench/serdes.py [--mb 1024] [--csv-only]

The default size is 100 MB (LEGATO_BENCH_SERDES_MB overrides it); the issue's figure is for 1 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import asyncio, json, resource, sys, time
from pathlib import Path
from legato import plugins
from legato.storage import LocalStorage
from legato.store import open_store
from tests.unit.plugins.conftest import Clock, Harness

tmp, task = Path(sys.argv[1]), sys.argv[2]
plugins.registry()
store = open_store(f"sqlite:///{tmp}/bench-{time.monotonic_ns()}.db")
store.migrate()
harness = Harness(store=store, clock=Clock())
storage = LocalStorage(tmp / "storage")
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.perf_counter()
out = asyncio.run(harness.task(task).run(harness.context(storage=storage)))
seconds = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"seconds": seconds, "base_kb": base, "peak_kb": peak, "uri": out["uri"], "size": out["size"],
                  "path": str(storage.path_of(out["uri"]))}))
"""

FIELDS = "id,customer,email,country,amount,currency,created_at,note\n"


def generate(path: Path, megabytes: int) -> int:
    """A CSV of about `megabytes` MB; its number of rows."""
    target = megabytes * 1024 * 1024
    rows = 0
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(FIELDS)
        written = len(FIELDS)
        block = []
        while written < target:
            for _ in range(10_000):
                n = rows
                line = (
                    f"{n},Customer {n % 9973},user{n}@example.com,{('FR', 'DE', 'US', 'JP')[n % 4]},"
                    f"{n % 100000 / 100:.2f},EUR,2024-01-{n % 28 + 1:02d}T10:{n % 60:02d}:00Z,"
                    f'"a note, with a comma #{n}"\n'
                )
                block.append(line)
                written += len(line)
                rows += 1
            handle.write("".join(block))
            block.clear()
    return rows


def step(tmp: Path, task: str, source: Path) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(tmp), task], cwd=ROOT, capture_output=True, text=True, timeout=7200
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-2000:])
    report: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    report["mb_in"] = source.stat().st_size / 1e6
    return report


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=int, default=int(os.environ.get("LEGATO_BENCH_SERDES_MB", "100")))
    parser.add_argument("--csv-only", action="store_true", help="Only CsvToIon (the 1 GB figure).")
    args = parser.parse_args(argv if argv is not None else sys.argv[1:] if __name__ == "__main__" else [])
    with tempfile.TemporaryDirectory(prefix="legato-bench-serdes-") as name:
        tmp = Path(name)
        # namespace files of company.team: any execution of the namespace may read them
        storage_file = tmp / "storage" / "company" / "team" / "_files" / "bench" / "data.csv"
        storage_file.parent.mkdir(parents=True)
        rows = generate(storage_file, args.mb)
        print(f"serdes: input CSV {storage_file.stat().st_size / 1e6:.0f} MB, {rows:,} rows")
        to_ion = step(
            tmp,
            "id: t\ntype: io.kestra.plugin.serdes.csv.CsvToIon\nfrom: kestra:///company/team/_files/bench/data.csv\n",
            storage_file,
        )
        ion_path = storage_file.with_suffix(".ion")  # each step runs in an execution of its own: share the file
        Path(str(to_ion["path"])).rename(ion_path)
        results = [("CsvToIon", to_ion)]
        others = (
            ("IonToCsv", "csv.IonToCsv"),
            ("IonToJson", "json.IonToJson"),
            ("IonToParquet", "parquet.IonToParquet"),
        )
        for name_, kind in () if args.csv_only else others:
            task = f"id: t\ntype: io.kestra.plugin.serdes.{kind}\nfrom: kestra:///company/team/_files/bench/data.ion\n"
            results.append((name_, step(tmp, task, ion_path)))
        for name_, report in results:
            seconds = float(report["seconds"])  # type: ignore[arg-type]
            mb = float(report["mb_in"])  # type: ignore[arg-type]
            peak = int(report["peak_kb"]) / 1024  # type: ignore[call-overload]
            grown = (int(report["peak_kb"]) - int(report["base_kb"])) / 1024  # type: ignore[call-overload]
            print(
                f"serdes {name_:<12}: {mb:7.0f} MB in {seconds:6.1f} s = {mb / seconds:6.1f} MB/s, "
                f"{int(report['size']):,} records, peak RSS {peak:.0f} MB (+{grown:.0f} MB during the conversion)"
            )  # type: ignore[call-overload]


if __name__ == "__main__":
    started = time.perf_counter()
    main()
