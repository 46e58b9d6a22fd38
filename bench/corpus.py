"""Share of real Kestra flows that validate on Legato, and what the others miss.

`python bench/corpus.py DIR...` (or LEGATO_CORPUS=DIR:DIR for `make bench`): every `*.yml`/`*.yaml` under the
directories is parsed as a flow with the installed plugins. Prints how many validate, the plugin families whose
missing types block the most flows, those that alone block a flow (the flow would validate with that one family),
and the most frequent other errors. `--families` prints instead, for each family the corpus's flows use, how many
flows use it and how many of those validate (the "validated" column of docs/plugins-status.md). The corpus is not part of the repository
(Kestra's blueprints and examples are theirs): `python bench/corpus_sources.py DIR` writes it into DIR from git
mirrors of kestra-io/blueprints, kestra-io/examples and kestra-io/kestra (822 flows; see its docstring).
"""

from __future__ import annotations

import os
import re
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from legato.flows.parse import parse_flow
from legato.model.errors import FlowValidationError

UNKNOWN = re.compile(r"unknown (?:task|trigger|condition|task runner)? ?type '([^']+)'")


def flow_files(roots: list[Path]) -> list[Path]:
    files = []
    for root in roots:
        for path in sorted([root] if root.is_file() else [*root.rglob("*.yml"), *root.rglob("*.yaml")]):
            if ".github" in path.parts:
                continue
            try:
                data = yaml.safe_load(path.read_text())
            except (yaml.YAMLError, UnicodeDecodeError):
                data = None
            if isinstance(data, dict) and "tasks" in data and "namespace" in data:  # a flow, not a compose file
                files.append(path)
    return files


def family(type_name: str) -> str:
    """`io.kestra.plugin.aws.s3.Upload` -> `aws.s3`; `io.kestra.plugin.openai.ChatCompletion` -> `openai`."""
    parts = type_name.removeprefix("io.kestra.plugin.").removeprefix("io.kestra.").split(".")
    package = [p for p in parts if p[:1].islower()]
    return ".".join(package[:2]) or type_name


@dataclass
class Measure:
    total: int = 0
    valid: int = 0
    missing: Counter[str] = field(default_factory=Counter)  # family -> flows its missing types block
    alone: Counter[str] = field(default_factory=Counter)  # family -> flows blocked by that family only
    alone_types: dict[str, set[str]] = field(default_factory=dict)  # family -> its missing types in those flows
    other: Counter[str] = field(default_factory=Counter)  # other first error -> flows
    used: Counter[str] = field(default_factory=Counter)  # family -> flows using one of its types
    used_valid: Counter[str] = field(default_factory=Counter)  # family -> those of them that validate


def flow_types(node: Any) -> set[str]:
    """Every plugin type a flow's YAML names (tasks, triggers, conditions, task runners...)."""
    if isinstance(node, dict):
        own = {node["type"]} if isinstance(node.get("type"), str) and "." in node["type"] else set()
        return own.union(*(flow_types(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(flow_types(v) for v in node))
    return set()


def measure(roots: list[Path]) -> Measure:
    files = flow_files(roots)
    found = Measure(total=len(files))
    for path in files:
        text = path.read_text()
        used = {family(t) for t in flow_types(yaml.safe_load(text))}
        found.used.update(used)
        try:
            parse_flow(text, str(path))
            found.valid += 1
            found.used_valid.update(used)
        except FlowValidationError as exc:
            message = str(exc)
            unknown = set(UNKNOWN.findall(message))
            families = {family(t) for t in unknown}
            found.missing.update(families)
            if len(families) == 1:
                (only,) = families
                found.alone[only] += 1
                found.alone_types.setdefault(only, set()).update(unknown)
            if not families:
                lines = message.splitlines()
                found.other[re.sub(r"^.*?: ", "", lines[1] if len(lines) > 1 else lines[0])[:110]] += 1
    return found


def corpus_roots(argv: list[str] | None, what: str) -> list[Path]:
    """The corpus's folders: the arguments, else LEGATO_CORPUS; says so when there are none."""
    args = argv if argv is not None else sys.argv[1:]
    roots = [Path(a) for a in args] or [Path(p) for p in os.environ.get("LEGATO_CORPUS", "").split(":") if p]
    if not roots:
        print(f"{what}: no flows given (set LEGATO_CORPUS=DIR[:DIR...] to directories of Kestra flows)")
    return roots


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    by_family = "--families" in args
    roots = corpus_roots([a for a in args if a != "--families"], "corpus")
    if not roots:
        return
    found = measure(roots)
    print(f"corpus: {found.valid} of {found.total} flows validate ({100 * found.valid / max(found.total, 1):.1f} %)")
    if by_family:
        print("  families the flows use: flows using it, of which validate")
        for name, count in sorted(found.used.items(), key=lambda item: (-item[1], item[0])):
            print(f"    {count:4d} {found.used_valid[name]:4d}  {name}")
        return
    print("  families whose missing types block flows (flows):")
    for name, count in found.missing.most_common(25):
        print(f"    {count:4d}  {name}")
    print("  families that alone block flows (flows that would validate with that family; its missing types):")
    for name, count in found.alone.most_common(25):
        print(f"    {count:4d}  {name}: {', '.join(sorted(t.rsplit('.', 1)[-1] for t in found.alone_types[name]))}")
    print("  other errors (flows):")
    for message, count in found.other.most_common(15):
        print(f"    {count:4d}  {message}")


if __name__ == "__main__":
    main()
