"""Rebuild the real-flow corpus of bench/corpus.py from git mirrors of Kestra's public repositories.

`python bench/corpus_sources.py OUT [--blueprints GIT] [--examples GIT] [--kestra GIT]` writes under OUT:

- `blueprints/`: the `flows/` folder of kestra-io/blueprints at HEAD;
- `examples/`: kestra-io/examples at the newest commit whose tree holds the most flows (the repository was later
  slimmed down to a handful of files; the commit chosen is printed);
- `core/`: the full examples (`@Example(full = true, code = ...)`, text block or string array) of Kestra's own
  plugins in kestra-io/kestra at HEAD, one `<JavaClass>_<n>.yaml` per example (n counts the class's full examples
  from 1). The Java text blocks lose their incidental indentation and their escapes as javac would.

A GIT argument is a bare repository or a folder holding one as `repo/` (as `fetch` leaves them); without it,
`$LEGATO_MIRRORS/kestra-io+<name>` is used (LEGATO_MIRRORS defaults to /work/.mirror). Only flows are written (a
YAML mapping with `id`, `namespace` and `tasks`); a flow identical to one already written (same namespace, id and
parsed content) is dropped, sources being read in the order above. Prints the count per source and the drops. The
corpus is Kestra's, so OUT lives outside the repository: `LEGATO_CORPUS=OUT make bench`.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

YAML_SUFFIXES = (".yml", ".yaml")


class Repo:
    """A bare git repository read through `git` (no work tree needed)."""

    def __init__(self, path: Path) -> None:
        self.git_dir = path / "repo" if (path / "repo").is_dir() else path

    def git(self, *args: str) -> str:
        done = subprocess.run(["git", "--git-dir", str(self.git_dir), *args], capture_output=True, check=True)
        return done.stdout.decode("utf-8", "replace")

    def tree(self, commit: str, under: str = "") -> dict[str, str]:
        """path -> blob id of every file of `commit` (below `under`)."""
        listing = self.git("ls-tree", "-r", commit, *([under] if under else []))
        found = {}
        for line in listing.splitlines():
            meta, path = line.split("\t", 1)
            if meta.split()[1] == "blob":
                found[path] = meta.split()[2]
        return found

    def blobs(self, ids: list[str]) -> dict[str, str]:
        """blob id -> text, read in one `git cat-file --batch`."""
        unique = list(dict.fromkeys(ids))
        if not unique:
            return {}
        done = subprocess.run(
            ["git", "--git-dir", str(self.git_dir), "cat-file", "--batch"],
            input="\n".join(unique).encode() + b"\n",
            capture_output=True,
            check=True,
        )
        out, at, texts = done.stdout, 0, {}
        for blob in unique:
            header_end = out.index(b"\n", at)
            size = int(out[at:header_end].split()[2])
            texts[blob] = out[header_end + 1 : header_end + 1 + size].decode("utf-8", "replace")
            at = header_end + 1 + size + 1
        return texts


def as_flow(text: str) -> dict[str, Any] | None:
    """The parsed flow, or None when the text is no Kestra flow (a compose file, a dashboard, broken YAML...)."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return None
    if isinstance(data, dict) and {"id", "namespace", "tasks"} <= data.keys():
        return data
    return None


def canonical(node: Any) -> Any:
    """The parsed YAML with every mapping key a string, so that it sorts (YAML allows `true:` next to `id:`)."""
    if isinstance(node, dict):
        return {repr(k): canonical(v) for k, v in node.items()}
    if isinstance(node, list):
        return [canonical(v) for v in node]
    return node


@dataclass
class Corpus:
    """The flows written so far, to drop identical ones."""

    out: Path
    seen: set[str] = field(default_factory=set)
    written: Counter[str] = field(default_factory=Counter)
    dropped: Counter[str] = field(default_factory=Counter)

    def add(self, source: str, name: str, text: str) -> None:
        data = as_flow(text)
        if data is None:
            return
        key = json.dumps(
            [data.get("namespace"), data.get("id"), canonical(data)], sort_keys=True, default=str
        )
        if key in self.seen:
            self.dropped[source] += 1
            return
        self.seen.add(key)
        path = self.out / source / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text if text.endswith("\n") else text + "\n")
        self.written[source] += 1


def yaml_files(tree: dict[str, str]) -> dict[str, str]:
    return {p: b for p, b in tree.items() if p.endswith(YAML_SUFFIXES) and not p.startswith(".github/")}


def richest_commit(repo: Repo) -> tuple[str, int]:
    """The newest commit whose tree holds the most flows, and that number."""
    commits = repo.git("rev-list", "HEAD").split()  # newest first
    trees = {c: yaml_files(repo.tree(c)) for c in commits}
    texts = repo.blobs([b for tree in trees.values() for b in tree.values()])
    is_flow = {blob: as_flow(text) is not None for blob, text in texts.items()}
    counts = {c: sum(is_flow[b] for b in tree.values()) for c, tree in trees.items()}
    best = max(commits, key=lambda c: counts[c])  # max keeps the first, i.e. the newest, of equal counts
    return best, counts[best]


# --- Java annotations -------------------------------------------------------------------------------------------

ESCAPES = {"n": "\n", "t": "\t", "b": "\b", "r": "\r", "f": "\f", "s": " ", '"': '"', "'": "'", "\\": "\\"}
JAVA_LITERAL = re.compile(r'"""[ \t\f]*\n((?:[^\\]|\\.)*?)"""|"((?:[^"\\\n]|\\.)*)"', re.S)


def unescape(text: str) -> str:
    """Java string escapes; `\\<newline>` (text blocks only) joins lines; octal escapes as javac reads them."""

    def one(match: re.Match[str]) -> str:
        code = match.group(1)
        if code == "\n":
            return ""
        if code[0] in "01234567":
            return chr(int(code, 8))
        return ESCAPES.get(code, code)

    return re.sub(r"\\([0-3][0-7]{0,2}|[4-7][0-7]?|.|\n)", one, text)


def text_block(body: str) -> str:
    """A text block's value: the content after `\"\"\"<newline>` up to the closing `\"\"\"` (exclusive)."""
    lines = body.split("\n")
    # The closing delimiter's line counts for the indentation when it holds only whitespace (it is the last line).
    significant = [ln for ln in lines[:-1] if ln.strip()] + [lines[-1]]
    indent = min(len(ln) - len(ln.lstrip(" \t")) for ln in significant)
    stripped = [ln[indent:].rstrip(" \t") for ln in lines]
    return unescape("\n".join(stripped))


def annotation_body(source: str, start: int) -> tuple[str, int]:
    """The text inside the parentheses opening at `source[start]`, string literals skipped, and the end index."""
    depth, at = 0, start
    while at < len(source):
        if source.startswith('"', at):
            literal = JAVA_LITERAL.match(source, at)
            at = literal.end() if literal else at + 1
            continue
        char = source[at]
        depth += char == "("
        depth -= char == ")"
        at += 1
        if depth == 0:
            return source[start + 1 : at - 1], at
    return source[start + 1 :], at


TOKEN = re.compile(r'"""[ \t\f]*\n((?:[^\\]|\\.)*?)"""|"((?:[^"\\\n]|\\.)*)"|([{},])', re.S)


def code_value(body: str) -> str | None:
    """The `code` member of an @Example body: a string, a concatenation, or an array of lines joined by newlines."""
    member = re.search(r"\bcode\s*=\s*", body)
    if member is None:
        return None
    items: list[str] = [""]
    depth = 0
    for token in TOKEN.finditer(body, member.end()):
        punct = token.group(3)
        if punct is None:
            items[-1] += (
                text_block(token.group(1)) if token.group(1) is not None else unescape(token.group(2))
            )
        elif punct == "{":
            depth += 1
        elif punct == "," and depth == 1:
            items.append("")
        elif depth <= 1:  # the array's closing brace, or the comma after a plain string
            break
    return "\n".join(items)


def full_examples(source: str) -> list[str]:
    """The code of every `@Example(full = true, ...)` of a Java file, in order."""
    found = []
    for match in re.finditer(r"@Example\s*\(", source):
        body, _ = annotation_body(source, match.end() - 1)
        if re.search(r"\bfull\s*=\s*true\b", body) and (code := code_value(body)) is not None:
            found.append(code)
    return found


def core_examples(repo: Repo, corpus: Corpus) -> int:
    """Write the full examples of the main Java sources at HEAD; returns how many were found (flows or not)."""
    listing = repo.git("grep", "-l", "full = true", "HEAD", "--", "*.java").split()
    paths = [p.removeprefix("HEAD:") for p in listing if "/src/main/" in p]  # not the tests' fixtures
    tree = repo.tree("HEAD")
    texts = repo.blobs([tree[p] for p in paths])
    found = 0
    for path in paths:
        for index, code in enumerate(full_examples(texts[tree[path]]), start=1):
            found += 1
            corpus.add("core", f"{PurePosixPath(path).stem}_{index}.yaml", code)
    return found


# --- main ---------------------------------------------------------------------------------------------------------


def mirror(args: list[str], flag: str, name: str) -> Repo:
    if flag in args:
        return Repo(Path(args[args.index(flag) + 1]))
    return Repo(Path(os.environ.get("LEGATO_MIRRORS", "/work/.mirror")) / f"kestra-io+{name}")


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    flags = ("--blueprints", "--examples", "--kestra")
    positional = [a for i, a in enumerate(args) if a not in flags and (i == 0 or args[i - 1] not in flags)]
    if len(positional) != 1:
        print(__doc__)
        raise SystemExit(2)
    out = Path(positional[0])
    if out.exists() and any(out.iterdir()):
        raise SystemExit(f"corpus sources: {out} is not empty; give a new folder")
    corpus = Corpus(out)

    blueprints = mirror(args, "--blueprints", "blueprints")
    head = blueprints.git("rev-parse", "--short", "HEAD").strip()
    tree = yaml_files(blueprints.tree("HEAD", "flows/"))
    texts = blueprints.blobs(list(tree.values()))
    for path, blob in sorted(tree.items()):
        corpus.add("blueprints", path.removeprefix("flows/"), texts[blob])
    print(
        f"blueprints {head}: {corpus.written['blueprints']} flows ({corpus.dropped['blueprints']} duplicates dropped)"
    )

    examples = mirror(args, "--examples", "examples")
    commit, count = richest_commit(examples)
    short = examples.git("log", "-1", "--format=%h %ad", "--date=short", commit).strip()
    tree = yaml_files(examples.tree(commit))
    texts = examples.blobs(list(tree.values()))
    for path, blob in sorted(tree.items()):
        corpus.add("examples", path, texts[blob])
    print(
        f"examples {short} (the newest commit with the most flows, {count}): {corpus.written['examples']} flows "
        f"({corpus.dropped['examples']} duplicates dropped)"
    )

    kestra = mirror(args, "--kestra", "kestra")
    head = kestra.git("log", "-1", "--format=%h %ad", "--date=short", "HEAD").strip()
    found = core_examples(kestra, corpus)
    not_flows = found - corpus.written["core"] - corpus.dropped["core"]
    print(
        f"core full examples {head}: {found} found, {corpus.written['core']} flows "
        f"({not_flows} not a whole flow, {corpus.dropped['core']} duplicates dropped)"
    )
    print(
        f"corpus: {sum(corpus.written.values())} flows in {out} ({sum(corpus.dropped.values())} duplicates dropped)"
    )


if __name__ == "__main__":
    main()
