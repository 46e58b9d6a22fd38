"""Of the real Kestra flows that validate and need nothing outside this machine, how many end SUCCESS on Legato.

`python bench/corpus_run.py DIR...` (or LEGATO_CORPUS=DIR:DIR): the flows of bench/corpus.py that validate are
sorted into runnable and not. A flow is runnable when every task it holds comes from a family that needs no outside
service (core without HTTP, scripts, serdes, compress, DuckDB/SQLite), its tasks and inputs name no URL (nor an
object store's), it reads no secret, no namespace file and no variable of a trigger other than a Schedule's date
with a fallback, and it holds no Pause without a duration (that one waits for someone to resume it); PyPI is
reachable here, so scripts may install packages. Each runnable flow runs once with `legato flow run` (a throw-away
SQLite store, its inputs' defaults, a typed placeholder for a required input without one, 120 s at most; its
folder's flows are deployed with it only when it calls a subflow). CORPUS_JOBS flows run at a time (2); a flow that
ends in TIMEOUT then runs once more alone, as a busy machine (other builds, other flows' script installs) can starve
one that needs a few seconds, and that second end is the one counted (the first is printed). A run that overstays is
killed with its whole process group, so its scripts do not load the next ones. Prints the SUCCESS share and every
other end with its reason, so that each is either a Legato bug to fix or a reason the flow needs more than this
machine (say which in the report).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import yaml
from corpus import corpus_roots, flow_files

from legato.flows.parse import parse_flow
from legato.model.errors import FlowValidationError

LOCAL = ("io.kestra.plugin.core.", "io.kestra.core.tasks.", "io.kestra.plugin.scripts.", "io.kestra.plugin.serdes.",
         "io.kestra.plugin.compress.", "io.kestra.plugin.jdbc.duckdb.", "io.kestra.plugin.jdbc.sqlite.")
OUTSIDE = ("io.kestra.plugin.core.http.", "io.kestra.core.tasks.flows.Template", "io.kestra.plugin.core.trigger.")
SUBFLOW = (".flow.Subflow", ".flows.Subflow", ".flows.Flow")
URL = re.compile(r"https?://(?!localhost|127\.0\.0\.1)|\b(?:s3|s3a|gs|gcs|az|abfss?|wasbs?)://")  # object stores too
PLACEHOLDER = {"STRING": "x", "INT": "1", "FLOAT": "1.5", "BOOLEAN": "true", "BOOL": "true", "SELECT": None,
               "MULTISELECT": None, "DATETIME": "2026-01-01T00:00:00Z", "DATE": "2026-01-01", "TIME": "12:00:00",
               "DURATION": "PT1M", "JSON": "{}", "ARRAY": "[]", "URI": "http://localhost/", "EMAIL": "a@example.com",
               "YAML": "{}"}


def _types(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["type"]] if isinstance(node.get("type"), str) and "." in node["type"] else []
        return found + [t for k, v in node.items() if k not in ("triggers", "inputs", "outputs") for t in _types(v)]
    if isinstance(node, list):
        return [t for v in node for t in _types(v)]
    return []


def _subflows(node: Any) -> list[tuple[str, str]]:
    """(namespace, flowId) of every Subflow task under `node`."""
    if isinstance(node, list):
        return [f for v in node for f in _subflows(v)]
    if not isinstance(node, dict):
        return []
    own = [(str(node.get("namespace")), str(node.get("flowId")))] if str(node.get("type", "")).endswith(SUBFLOW) else []
    return own + [f for v in node.values() for f in _subflows(v)]


def _waits_for_a_human(node: Any) -> bool:
    """Whether `node` holds a Pause with no duration: it ends only when someone resumes it."""
    if isinstance(node, list):
        return any(_waits_for_a_human(v) for v in node)
    if not isinstance(node, dict):
        return False
    timed = any(node.get(k) for k in ("delay", "pauseDuration", "duration", "timeout"))
    if str(node.get("type", "")).endswith((".flow.Pause", ".flows.Pause")) and not timed:
        return True
    return any(_waits_for_a_human(v) for v in node.values())


def runnable(data: dict[str, Any], flows: set[tuple[str, str]]) -> str | None:
    """None when the flow can run here (`flows`: the corpus's flows, which its subflows must be), else why not."""
    body_nodes = {k: v for k, v in data.items() if k in ("tasks", "errors", "finally", "afterExecution")}
    for name in _types(body_nodes):
        if not name.startswith(LOCAL) or name.startswith(OUTSIDE):
            return f"needs {'.'.join(name.split('.')[:5])}"
    if _waits_for_a_human(body_nodes):
        return "waits for a human to resume it"
    if any(sub not in flows for sub in _subflows(body_nodes)):
        return "calls a subflow the corpus lacks"
    # taskDefaults: pluginDefaults' name before Kestra 0.18
    body = yaml.safe_dump({k: data.get(k) for k in ("tasks", "errors", "finally", "pluginDefaults", "taskDefaults",
                                                     "variables")})
    if "secret(" in body:
        return "reads a secret"
    if re.search(r"namespaceFiles:\s*\n\s*enabled: true|nsfile://|read\(['\"](?!kestra)", body):
        return "needs namespace files"
    if re.search(r"\btrigger\.(?!date\s*\?\?)", body):
        return "needs its trigger's variables"
    if URL.search(body) or URL.search(yaml.safe_dump(data.get("inputs"))):  # an input's default is used as is
        return "names a URL"
    return None


def _inputs(data: dict[str, Any]) -> list[str] | None:
    """`--input` options for required inputs without a default; None when one cannot be made up."""
    args = []
    for spec in data.get("inputs") or []:
        if not isinstance(spec, dict) or "defaults" in spec or spec.get("required") is False:
            continue
        if spec.get("validator") or spec.get("pattern"):
            return None
        kind = str(spec.get("type", "STRING")).upper()
        value = PLACEHOLDER.get(kind)
        if kind in ("SELECT", "MULTISELECT") and spec.get("values"):
            first = spec["values"][0]
            value = json.dumps([first]) if kind == "MULTISELECT" else str(first)
        if value is None:
            return None
        args += ["--input", f"{spec.get('id', spec.get('name'))}={value}"]  # `name`: before Kestra 0.15
    return args


def _run(path: Path, args: list[str], legato: str, subflows: bool) -> tuple[str, str, float]:
    started = time.monotonic()
    # its folder's other flows are there for its subflows, as in the namespace it comes from
    command = [legato, "flow", "run", str(path), *(["--flows", str(path.parent)] if subflows else []),
               "--output", "json", "--timeout", "120", *args]
    with tempfile.TemporaryDirectory(prefix="legato-corpus-") as cwd:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=cwd,
                                   start_new_session=True)
        try:
            stdout, stderr = process.communicate(timeout=180)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)  # the CLI's runtime and every script it started
            process.communicate()
            return "TIMEOUT", "no end within 180 s", time.monotonic() - started
    took = time.monotonic() - started
    try:
        execution = json.loads(stdout)
    except json.JSONDecodeError:
        return "REFUSED", (stderr.strip().splitlines() or ["?"])[-1][:160], took
    state = execution["state"]["current"]
    failed = [r for r in execution.get("taskRunList") or [] if r["state"]["current"] in ("FAILED", "KILLED")]
    reason = ""
    if state not in ("SUCCESS", "WARNING"):
        errors = [line for line in stderr.splitlines() if "ERROR" in line or "rror" in line]
        reason = (f"{failed[0]['taskId']}: " if failed else "") + (errors[-1].strip() if errors else state)[:160]
    return state, reason, took


def main(argv: list[str] | None = None) -> None:
    roots = corpus_roots(argv, "corpus run")
    if not roots:
        return
    legato = str(Path(sys.executable).with_name("legato"))
    skipped: Counter[str] = Counter()
    todo: list[tuple[Path, list[str], bool]] = []
    valid = []
    for path in flow_files(roots):
        text = path.read_text()
        try:
            parse_flow(text, str(path))
        except FlowValidationError:
            continue
        valid.append((path, yaml.safe_load(text)))
    total = len(valid)
    flows = {(str(data.get("namespace")), str(data.get("id"))) for _, data in valid}
    for path, data in valid:
        why = runnable(data, flows)
        inputs = _inputs(data) if why is None else None
        if why is None and inputs is None:
            why = "an input no placeholder fits"
        if why is not None:
            skipped["needs a plugin of an outside service" if why.startswith("needs io.") else why] += 1
            continue
        body = [data.get(k) for k in ("tasks", "errors", "finally", "afterExecution")]
        todo.append((path, inputs or [], bool(_subflows(body))))
    print(f"corpus run: {total} flows validate, {len(todo)} runnable here")
    with ThreadPoolExecutor(max_workers=int(os.environ.get("CORPUS_JOBS", "2"))) as pool:
        results = list(pool.map(lambda item: (item[0], *_run(item[0], item[1], legato, item[2])), todo))
    for index, ((path, args, subflows), (_, state, _, took)) in enumerate(zip(todo, results, strict=True)):
        if state == "TIMEOUT":  # was it the load, or the flow?
            results[index] = (path, *_run(path, args, legato, subflows))
            print(f"    TIMEOUT under load ({took:.0f} s), then alone: {results[index][1]} ({results[index][3]:.0f} s)"
                  f"  {path.name}")
    ends = Counter(state for _, state, _, _ in results)
    good = ends["SUCCESS"] + ends["WARNING"]
    print(f"  SUCCESS or WARNING: {good} of {len(todo)} ({100 * good / max(len(todo), 1):.1f} %)  {dict(ends)}")
    print(f"  wall time per flow: median {sorted(t for *_, t in results)[len(results) // 2] if results else 0:.1f} s")
    for path, state, reason, _ in sorted(results, key=lambda r: str(r[0])):
        if state not in ("SUCCESS", "WARNING"):
            print(f"    {state:8s} {path.relative_to(path.parents[2]) if len(path.parents) > 2 else path}: {reason}")
    print(f"  not runnable here: {sum(skipped.values())} ({', '.join(f'{k} {v}' for k, v in skipped.most_common(8))})")


if __name__ == "__main__":
    main()
