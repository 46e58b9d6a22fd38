"""The copilot's evaluation set is usable: at least 30 requests, each expecting types that are installed here."""

from __future__ import annotations

from pathlib import Path

import yaml

from legato import plugins

PROMPTS = Path(__file__).resolve().parents[4] / "tests" / "ai" / "prompts.yaml"


def test_every_expected_type_is_installed() -> None:
    cases = yaml.safe_load(PROMPTS.read_text())
    assert len(cases) >= 30
    known = set(plugins.registry().names()) | set(plugins.trigger_registry().names())
    missing = [(c["prompt"], t) for c in cases for t in c["expect"] if t not in known]
    assert missing == []
    assert len({c["prompt"] for c in cases}) == len(cases)
