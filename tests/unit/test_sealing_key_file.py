"""The data dir's encryption key file, made by whichever process starts first: role processes starting together on
one data dir (`server webserver`, `executor`, `worker`) all read the same, complete key."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from legato import sealing

# Each process imports first, then waits for the go file, so that all of them look for the key at the same moment.
LOAD = ("import sys, time; from pathlib import Path; from legato import sealing\n"
        "while not Path(sys.argv[2]).exists(): time.sleep(0.001)\n"
        "sealing.configure(Path(sys.argv[1]), create=True); print(Path(sys.argv[1], 'encryption.key').read_text().strip())")


def test_processes_starting_together_share_one_complete_key(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv(sealing.ENV, raising=False)
    for attempt in range(5):
        data = tmp_path / f"data{attempt}"
        go = tmp_path / f"go{attempt}"
        started = [subprocess.Popen([sys.executable, "-c", LOAD, str(data), str(go)], stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True) for _ in range(6)]
        time.sleep(1.5)  # every process imported and waiting
        go.touch()
        results = [p.communicate(timeout=60) for p in started]
        assert all(p.returncode == 0 for p in started), [err for _, err in results]
        keys = {out.strip() for out, _ in results}
        assert len(keys) == 1 and len(keys.pop()) == 44
        assert [p.name for p in data.iterdir()] == ["encryption.key"]  # no partial file left behind
        assert (data / "encryption.key").stat().st_mode & 0o777 == 0o600
