#!/usr/bin/env python3
"""A test double of the `argocd` command (Argo CD's CLI is neither a Debian nor a PyPI package and downloads are
not possible here), enough for the apps.Sync and apps.Status tests. It keeps its Applications in apps.json next to
itself, written by the test: {"token": ..., "head": <sha of HEAD>, "apps": {name: Application}}, an Application
shaped as Argo CD's API and `argocd app get -o json` give it (metadata, spec.source.targetRevision,
spec.syncPolicy, status.sync {status, revision}, status.health.status, status.resources, status.conditions).

- `app get NAME [--refresh] --output json` prints the Application;
- `app sync NAME [--revision R] [--prune] [--dry-run] [--force] [--timeout N] --output json` syncs it (sync
  Synced at the revision, HEAD or a branch resolving to `head`; health Healthy; with --prune the resources marked
  requiresPruning go) and prints it; --dry-run changes nothing;
- every call needs `--server HOST` (no scheme) and `--auth-token` equal to the stored token, else it fails as
  the CLI does (`rpc error: code = Unauthenticated`, exit 20); an unknown Application is `NotFound`;
- `--server-crt FILE` must name a PEM certificate file;
- each call is appended to calls.log (next to itself) with its arguments and whether ARGOCD_TOKEN was set."""

import json
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
STATE = HERE / "apps.json"
args = sys.argv[1:]
with open(HERE / "calls.log", "a") as log:
    log.write(json.dumps({"args": args, "tokenInEnv": bool(os.environ.get("ARGOCD_TOKEN")),
                          "cwd": os.getcwd()}) + "\n")
state = json.loads(STATE.read_text())


def fail(message: str, code: int = 20) -> None:
    print(f'time="2026-12-07T00:00:00Z" level=fatal msg="{message}"', file=sys.stderr)
    sys.exit(code)


def option(name: str) -> str | None:
    return args[args.index(name) + 1] if name in args and args.index(name) + 1 < len(args) else None


if args[:1] != ["app"] or len(args) < 3:
    fail(f"unknown command {' '.join(args[:2])!r}", 1)
command, name = args[1], args[2]
server = option("--server")
if not server or "://" in server:
    fail("rpc error: code = Unavailable desc = connection error: missing or malformed --server")
if option("--auth-token") != state["token"]:
    fail("rpc error: code = Unauthenticated desc = invalid session: token signature is invalid")
if "--server-crt" in args:
    cert = Path(option("--server-crt") or "")
    if not cert.is_file() or not cert.read_text().startswith("-----BEGIN CERTIFICATE-----"):
        fail(f"open {cert}: no PEM certificate")
if option("--output") != "json":
    fail("this double answers only with --output json", 1)
app = state["apps"].get(name)
if app is None:
    fail(f'rpc error: code = NotFound desc = applications.argoproj.io "{name}" not found')

if command == "sync":
    if "--dry-run" not in args:
        wanted = option("--revision") or app["spec"]["source"].get("targetRevision", "HEAD")
        revision = state["head"] if wanted in ("HEAD", "main", "master") else wanted
        resources = [r for r in app["status"].get("resources", []) if not ("--prune" in args and r.get("requiresPruning"))]
        for r in resources:
            r["status"] = "Synced"
        app["status"].update(sync={"status": "Synced", "revision": revision}, health={"status": "Healthy"},
                             resources=resources,
                             operationState={"phase": "Succeeded", "message": "successfully synced (all tasks run)"})
        STATE.write_text(json.dumps(state))
elif command != "get":
    fail(f"unknown command 'app {command}'", 1)
print(json.dumps(app, indent=2))
