"""`legato ai` as a user runs it, against a scripted local model server (the model APIs' test double): the model's
first flow is invalid, the copilot sends the parser's errors back, and only the second, valid flow is shown, as a
diff; a model that never gets it right gives exit status 1 and no proposal. Both wire formats."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.integration.ai import copilot_answers
from tests.integration.ai.model_server import KEY, ModelServer, anthropic_text, openai_text

LEGATO = str(Path(sys.executable).with_name("legato"))

INVALID = copilot_answers.invalid("Here is your flow:")
VALID = copilot_answers.valid(scheduled=True)


@pytest.fixture
def model() -> Iterator[ModelServer]:
    with ModelServer() as server:
        yield server


def legato_ai(model: ModelServer, *args: str, provider: str = "openai", cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LEGATO_AI_URL": model.url, "LEGATO_AI_MODEL": "test-model", "LEGATO_AI_API_KEY": KEY,
           "LEGATO_AI_PROVIDER": provider, "LEGATO_AI_MAX_ROUNDS": "3"}
    return subprocess.run([LEGATO, "ai", *args], capture_output=True, text=True, timeout=120, env=env, cwd=cwd)


def test_an_invalid_first_answer_is_repaired_and_only_the_valid_flow_is_shown(model: ModelServer, tmp_path: Path) -> None:
    model.script("/v1/chat/completions", openai_text(INVALID), openai_text(VALID))
    done = legato_ai(model, "Download sales.csv every night at 2 and log where it went", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("--- /dev/null\n+++ flow.yaml\n")
    assert "+    message: \"downloaded {{ outputs.fetch.uri }}\"\n" in done.stdout
    assert "mesage" not in done.stdout  # the invalid answer is never shown as a proposal
    assert "answer 1 is not a valid flow" in done.stderr and "valid flow after 2 answer(s)" in done.stderr

    first, second = model.of("/v1/chat/completions")
    system = first.body["messages"][0]["content"]
    assert "io.kestra.plugin.core.http.Download" in system and "```yaml" in system  # schemas and blueprints
    repair = second.body["messages"][-1]["content"]
    assert repair.startswith("This flow is invalid:") and "mesage" in repair


def test_a_model_that_never_gets_it_right_proposes_nothing(model: ModelServer, tmp_path: Path) -> None:
    model.script("/v1/messages", *[anthropic_text(INVALID)] * 3)
    done = legato_ai(model, "Download sales.csv", provider="anthropic", cwd=tmp_path)
    assert done.returncode == 1
    assert done.stdout == ""
    assert "no valid flow after 3 answer(s)" in done.stderr and "mesage" in done.stderr
    assert len(model.of("/v1/messages")) == 3


def test_editing_a_flow_shows_the_change_and_writes_it_when_accepted(model: ModelServer, tmp_path: Path) -> None:
    flow = tmp_path / "report.yaml"
    flow.write_text(VALID.split("```yaml\n")[1].split("```")[0].replace("0 2 * * *", "0 3 * * *"))
    model.script("/v1/chat/completions", openai_text(VALID))
    done = legato_ai(model, "Run it at 2 instead", "--flow", str(flow), "--write", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "-    cron: \"0 3 * * *\"\n+    cron: \"0 2 * * *\"\n" in done.stdout
    assert "0 2 * * *" in flow.read_text()
    sent = model.of("/v1/chat/completions")[0].body["messages"][1]["content"]
    assert sent.startswith("Change this flow as asked: Run it at 2 instead") and "0 3 * * *" in sent
    out = legato_ai(model, "x", "--json", cwd=tmp_path)  # no reply left: the API's error, no proposal
    assert out.returncode == 1 and "the model API failed" in out.stderr
    assert json.dumps({}) not in out.stdout and out.stdout == ""
