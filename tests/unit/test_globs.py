"""One glob syntax everywhere (legato.globs): Java's, as Kestra reads file patterns, with `**/` matching no folder too."""

from __future__ import annotations

from pathlib import Path

import pytest

from legato import globs


@pytest.mark.parametrize(("pattern", "path", "expected"), [
    ("*.csv", "a.csv", True),
    ("*.csv", "data/a.csv", False),  # `*` stays within a folder
    ("**.csv", "data/deep/a.csv", True),  # `**` crosses folders
    ("**/*.csv", "a.csv", True),  # `**/` matches no folder as well
    ("**/*.csv", "data/a.csv", True),
    ("/scripts/**", "scripts/x/y.py", True),
    ("scripts/**", "other/y.py", False),
    ("data/?.txt", "data/a.txt", True),
    ("data/?.txt", "data/ab.txt", False),
    ("{a,b}.sql", "b.sql", True),
    ("{a,b}.sql", "c.sql", False),
    ("[ab].sql", "a.sql", True),
    ("[!ab].sql", "a.sql", False),
    ("[a-c].sql", "c.sql", True),
    (r"\*.sql", "*.sql", True),
    (r"\*.sql", "x.sql", False),
    ("a.sql", "/a.sql", True),  # a leading slash on either side changes nothing
])
def test_patterns_read_as_java_globs(pattern: str, path: str, expected: bool) -> None:
    assert globs.matches(path, [pattern]) is expected


def test_an_unbalanced_brace_is_refused_with_the_pattern() -> None:
    with pytest.raises(globs.PatternError, match=r"unbalanced '\{' in the file pattern '\{a,b.sql'"):
        globs.matches("a.sql", ["{a,b.sql"])


def _tree(root: Path, *names: str) -> None:
    for name in names:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(name)


def test_files_lists_regular_files_matching_any_pattern_sorted(tmp_path: Path) -> None:
    _tree(tmp_path, "b.csv", "a.csv", "data/c.csv", "data/deep/d.csv", "data/e.txt", ".hidden.csv")
    (tmp_path / "link.csv").symlink_to(tmp_path / "a.csv")
    assert list(globs.files(tmp_path, ["*.csv"])) == [".hidden.csv", "a.csv", "b.csv"]
    assert list(globs.files(tmp_path, ["data/**"])) == ["data/c.csv", "data/deep/d.csv", "data/e.txt"]
    assert list(globs.files(tmp_path, ["**/*.csv"])) == [".hidden.csv", "a.csv", "b.csv", "data/c.csv",
                                                          "data/deep/d.csv"]
    assert list(globs.files(tmp_path, ["data/*.txt", "b.csv"])) == ["b.csv", "data/e.txt"]
    assert globs.files(tmp_path, ["missing/*.csv"]) == {}


def test_files_refuses_a_pattern_leaving_its_folder(tmp_path: Path) -> None:
    with pytest.raises(globs.PatternError, match=r"'\.\./x' must stay inside its folder"):
        globs.files(tmp_path, ["../x"])
