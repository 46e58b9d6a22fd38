"""The copilot's evaluation: every request of tests/ai/prompts.yaml sent to the model Legato is configured with
(LEGATO_AI_URL, LEGATO_AI_MODEL, LEGATO_AI_API_KEY, LEGATO_AI_PROVIDER), and the figures printed: how many proposals
validated (the copilot never shows another), the answers each needed, and how many used the expected types.

    LEGATO_AI_URL=https://api.openai.com/v1 LEGATO_AI_MODEL=gpt-4o-mini LEGATO_AI_API_KEY=sk-... \\
        .venv/bin/python bench/copilot_eval.py [--limit N]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

import yaml

from legato import config
from legato.services import copilot

PROMPTS = Path(__file__).resolve().parents[1] / "tests" / "ai" / "prompts.yaml"


async def main(limit: int | None) -> int:
    settings = config.load()
    model = copilot.configured(settings, timeout=180.0)
    if model is None:
        print("set LEGATO_AI_URL and LEGATO_AI_MODEL (and LEGATO_AI_API_KEY) to run the evaluation", file=sys.stderr)
        return 2
    cases = yaml.safe_load(PROMPTS.read_text())[:limit]
    valid = expected = 0
    rounds: list[int] = []
    for case in cases:
        started = time.monotonic()
        try:
            proposal = await copilot.propose(case["prompt"], endpoint=model.endpoint, max_rounds=model.max_rounds)
        except copilot.CopilotError as exc:
            print(f"INVALID  {case['prompt'][:60]:<60} {str(exc).splitlines()[-1][:80]}")
            continue
        valid += 1
        rounds.append(proposal.rounds)
        names = _names(proposal.types)
        hit = all(t in names for t in case["expect"])
        expected += hit
        print(f"{'ok' if hit else 'other':<8} {case['prompt'][:60]:<60} {proposal.rounds} answer(s) "
              f"{time.monotonic() - started:.1f} s {', '.join(proposal.types)}")
    total = len(cases)
    print(f"\nvalid proposals: {valid}/{total} ({100 * valid / total:.0f} %); expected types used: {expected}/{total}; "
          f"answers per valid proposal: mean {sum(rounds) / max(1, len(rounds)):.2f}, max {max(rounds, default=0)}")
    return 0


def _names(types: tuple[str, ...]) -> set[str]:
    """Every name (canonical and aliases) of the types a proposal uses."""
    from legato import plugins

    names = set(types)
    for registry in (plugins.registry(), plugins.trigger_registry()):
        for name in types:
            cls = registry.lookup(name)
            if cls is not None:
                names |= {cls.TYPE, *cls.ALIASES}
    return names


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limit", type=int, default=None, help="Only the first N requests.")
    sys.exit(asyncio.run(main(parser.parse_args().limit)))
