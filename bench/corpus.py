"""Share of real Kestra flows that validate on Legato, and what the others miss.

`python bench/corpus.py DIR...` (or LEGATO_CORPUS=DIR:DIR for `make bench`): every `*.yml`/`*.yaml` under the
directories is parsed as a flow with the installed plugins. Prints how many validate, the plugin families whose
missing types block the most flows, and the most frequent other errors. The corpus is not part of the repository
(Kestra's blueprints and examples are theirs): point it at a clone of kestra-io/blueprints, kestra-io/examples...
"""

from __future__ import annotations

import os
import re
import sys
from collections import Counter
from pathlib import Path

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


def measure(roots: list[Path]) -> tuple[int, int, Counter[str], Counter[str]]:
    files = flow_files(roots)
    valid = 0
    missing: Counter[str] = Counter()
    other: Counter[str] = Counter()
    for path in files:
        try:
            parse_flow(path.read_text(), str(path))
            valid += 1
        except FlowValidationError as exc:
            text = str(exc)
            families = {family(t) for t in UNKNOWN.findall(text)}
            missing.update(families)
            if not families:
                lines = text.splitlines()
                other[re.sub(r"^.*?: ", "", lines[1] if len(lines) > 1 else lines[0])[:110]] += 1
    return len(files), valid, missing, other


def corpus_roots(argv: list[str] | None, what: str) -> list[Path]:
    """The corpus's folders: the arguments, else LEGATO_CORPUS; says so when there are none."""
    args = argv if argv is not None else sys.argv[1:]
    roots = [Path(a) for a in args] or [Path(p) for p in os.environ.get("LEGATO_CORPUS", "").split(":") if p]
    if not roots:
        print(f"{what}: no flows given (set LEGATO_CORPUS=DIR[:DIR...] to directories of Kestra flows)")
    return roots


def main(argv: list[str] | None = None) -> None:
    roots = corpus_roots(argv, "corpus")
    if not roots:
        return
    total, valid, missing, other = measure(roots)
    print(f"corpus: {valid} of {total} flows validate ({100 * valid / max(total, 1):.1f} %)")
    print("  families whose missing types block flows (flows):")
    for name, count in missing.most_common(25):
        print(f"    {count:4d}  {name}")
    print("  other errors (flows):")
    for message, count in other.most_common(15):
        print(f"    {count:4d}  {message}")


if __name__ == "__main__":
    main()
