#!/usr/bin/env python3
"""A test double of the terraform command (terraform itself is not a Debian or PyPI package), enough for the
TerraformCLI tests: `init` makes .terraform/, `apply -auto-approve` writes terraform.tfstate from the `output`
blocks of the *.tf files (each value a string; the state's serial counts the applies), `output -json` prints
the state's outputs as terraform does, `plan` describes what apply would change. Every call is appended to
calls.log with the TF_VAR_* variables it saw."""

import json
import os
import re
import sys
from pathlib import Path

args = sys.argv[1:]
with open("calls.log", "a") as log:
    variables = {k: v for k, v in sorted(os.environ.items()) if k.startswith("TF_VAR_")}
    log.write(json.dumps({"args": args, "vars": variables}) + "\n")
state_file = Path("terraform.tfstate")
state = json.loads(state_file.read_text()) if state_file.exists() else {"serial": 0, "outputs": {}}


def declared() -> dict:
    text = "".join(p.read_text() for p in sorted(Path().glob("*.tf")))
    values = {}
    for name, value in re.findall(r'output\s+"(\w+)"\s*{\s*value\s*=\s*"([^"]*)"\s*}', text):
        values[name] = re.sub(r"\$\{var\.(\w+)\}", lambda m: os.environ.get("TF_VAR_" + m.group(1), ""), value)
    return values


command = args[0] if args else ""
if command == "init":
    Path(".terraform").mkdir(exist_ok=True)
    print("Terraform has been successfully initialized!")
elif command == "plan":
    changes = {k: v for k, v in declared().items() if state["outputs"].get(k, {}).get("value") != v}
    print(f"Plan: {len(changes)} to change." if changes else "No changes. Your infrastructure matches the configuration.")
elif command == "apply":
    if not Path(".terraform").is_dir():
        print("Error: Inconsistent dependency lock file: run terraform init", file=sys.stderr)
        sys.exit(1)
    if "-auto-approve" not in args:
        print("Error: No value for required variable: approval (use -auto-approve)", file=sys.stderr)
        sys.exit(1)
    state = {"serial": state["serial"] + 1,
             "outputs": {k: {"value": v, "type": "string"} for k, v in declared().items()}}
    state_file.write_text(json.dumps(state))
    print(f"Apply complete! Resources: 0 added, {len(state['outputs'])} changed, 0 destroyed.")
elif command == "output" and "-json" in args:
    print(json.dumps(state["outputs"]))
else:
    print(f"terraform: unknown command {command!r}", file=sys.stderr)
    sys.exit(127)
