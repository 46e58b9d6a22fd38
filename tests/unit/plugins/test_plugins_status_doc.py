"""docs/plugins-status.md stays true to the code: every installed family has a row, and every test path, example
flow and guide a row names exists (an example also validates), so a renamed test or a removed example shows here."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from legato.flows import parse_flow
from legato.plugins.families import families

ROOT = Path(__file__).resolve().parents[3]
DOC = ROOT / "docs" / "plugins-status.md"
HEADER = "| family (types) | `plugins list` | corpus: use / validate / blocked by it | tested against | tests | example | guide |"


def rows() -> list[list[str]]:
    """The cells of every table row under the common header."""
    found = []
    for table in DOC.read_text().split(HEADER)[1:]:
        for line in table.splitlines()[2:]:
            if not line.startswith("|"):
                break
            found.append([cell.strip() for cell in line.strip("|").split(" | ")])
    return found


def test_every_row_has_the_seven_columns() -> None:
    assert len(rows()) > 40
    assert [row[0] for row in rows() if len(row) != 7] == []


def test_every_installed_family_has_a_row() -> None:
    listed = {name.strip() for row in rows() for name in row[1].split(",")}
    assert {family.name for family in families()} - listed - {"every family"} == set()


def test_the_corpus_figures_are_consistent() -> None:
    for row in rows():
        if row[2] == "—":
            continue
        use, valid, blocked = (int(n) for n in row[2].split(" / "))
        assert valid <= use and blocked <= use - valid, row[0]


@pytest.mark.parametrize("path", sorted({p for row in rows() for p in re.findall(r"`((?:tests|bench|examples)/[^`]+)`",
                                                                                    " ".join(row[4:6]))}))
def test_named_paths_exist(path: str) -> None:
    assert (ROOT / path).exists(), path
    if path.startswith("examples/"):
        parse_flow((ROOT / path).read_text(), path)


def test_guides_exist() -> None:
    for row in rows():
        for link in re.findall(r"\]\(([^)]+)\)", row[6]):
            assert (DOC.parent / link).resolve().is_file(), (row[0], link)
