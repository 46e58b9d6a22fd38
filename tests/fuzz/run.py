"""Fuzz the REST API with schemathesis: every operation of /api/openapi.json, against `legato server local` on
a fresh data directory (a flow, an execution and a namespace file deployed first, so that ids exist).

    .venv/bin/python tests/fuzz/run.py [--examples N] [--only PATH_REGEX]

Checks: no 5xx, and every response conforms to the OpenAPI document (status code, content type, headers,
body schema). Whether the API accepts a schema-valid body (a string is not always a valid flow) or refuses a
schema-violating one is left to the endpoint tests. Exits with schemathesis's status.
"""

from __future__ import annotations

import argparse
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

BIN = Path(sys.executable).parent
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance," \
         "response_schema_conformance"
FLOW = """id: fuzz
namespace: fuzz.ns
inputs:
  - id: name
    type: STRING
    defaults: x
tasks:
  - id: a
    type: io.kestra.plugin.core.debug.Return
    format: "{{ inputs.name }}"
triggers:
  - id: yearly
    type: io.kestra.plugin.core.trigger.Schedule
    cron: "0 0 1 1 *"
  - id: hook
    type: io.kestra.plugin.core.trigger.Webhook
    key: fuzz-webhook-key
"""


def start(data_dir: Path) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen([str(BIN / "legato"), "server", "local", "--data-dir", str(data_dir), "--port", "0"],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert process.stdout is not None
    for line in process.stdout:
        found = re.search(r"API on (http://\S+)", line)
        if found:
            url = found.group(1)
            for _ in range(400):
                try:
                    if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                        return process, url
                except httpx.TransportError:
                    time.sleep(0.05)
    process.kill()
    raise SystemExit("the server did not start")


def seed(url: str) -> None:
    with httpx.Client(base_url=f"{url}/api/v1/main", timeout=30) as client:
        client.post("/flows", content=FLOW, headers={"Content-Type": "application/x-yaml"}).raise_for_status()
        client.post("/executions/fuzz.ns/fuzz", params={"wait": True}).raise_for_status()
        client.post("/namespaces/fuzz.ns/files", params={"path": "/a.txt"},
                    files={"fileContent": ("a.txt", b"hello")}).raise_for_status()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--examples", type=int, default=100, help="Examples per operation (schemathesis -n).")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--only", metavar="REGEX", help="Only the operations whose path matches (e.g. '/triggers').")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="legato-fuzz-") as tmp:
        process, url = start(Path(tmp))
        try:
            seed(url)
            command = [sys.executable, str(Path(__file__).with_name("schemathesis_cli.py")), "run", f"{url}/api/openapi.json", "--checks", CHECKS,
                       "-n", str(args.examples), "-w", str(args.workers), "--no-color",
                       "--suppress-health-check", "all", "--generation-deterministic",
                       # a loaded machine (a parallel `make test`) can take more than the default 10 s for
                       # the full flow JSON schema; slowness is the benchmarks' business, not the fuzz run's
                       "--request-timeout", "120"]
            # No coverage phase: in schemathesis 4.32 on CPython 3.11.7 it crashes inside hypothesis ("AST
            # constructor recursion depth mismatch") on an operation that changes from run to run.
            if args.only:
                command += ["--include-path-regex", args.only]
            return subprocess.call([*command, "--phases", "examples,fuzzing"])
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)


if __name__ == "__main__":
    sys.exit(main())
