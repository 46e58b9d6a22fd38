"""The AI copilot in a real browser (copilot_scenarios.mjs, run by browser.mjs) against a `legato server local`
configured with the scripted model server (the model APIs' test double, tests/integration/ai/model_server.py): in a
flow's editor the copilot's first answer is invalid and repaired, the panel shows only the valid proposal as a
diff, Accept puts it in the editor and Save makes revision 2; "Fix with AI" on a failed execution opens its flow's
editor with the proposed fix. axe-core finds nothing on the panel in either theme. On a server without a model,
neither the copilot nor "Fix with AI" shows."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tests.e2e.ui.test_web_ui import _scenario, local_server
from tests.integration.ai.model_server import KEY, ModelServer, openai_text

COMPLETIONS = "/v1/chat/completions"
# the flows copilot_scenarios.mjs deploys, as the model answers with them changed
REPORT = """id: nightly_report
namespace: e2e.ai
tasks:
  - id: fetch
    type: io.kestra.plugin.core.http.Download
    uri: https://example.com/sales.csv
  - id: done
    type: io.kestra.plugin.core.log.Log
    message: "downloaded {{ outputs.fetch.uri }}"
"""
FIXED = """id: broken
namespace: e2e.ai
tasks:
  - id: check
    type: io.kestra.plugin.core.execution.Fail
    condition: "{{ execution.id == 'never' }}"
"""


# The module fixture (a server with its AI provider double) is built once: its tests stay on one xdist worker.
pytestmark = pytest.mark.xdist_group("web_ui_copilot")


@pytest.fixture(scope="module")
def model() -> Iterator[ModelServer]:
    with ModelServer() as server:
        yield server


@pytest.fixture(scope="module")
def ai_server(browser_ready: None, model: ModelServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    env = {"LEGATO_AI_URL": model.url, "LEGATO_AI_MODEL": "test-model", "LEGATO_AI_API_KEY": KEY,
           "LEGATO_AI_MAX_ROUNDS": "3"}
    with local_server(tmp_path_factory.mktemp("ui-ai-server"), env=env) as base:
        yield base


def test_ask_the_copilot_see_the_diff_accept_and_save(ai_server: str, model: ModelServer) -> None:
    invalid = "```yaml\n" + REPORT.replace("    message:", "    mesage:") + "```\n"
    model.script(COMPLETIONS, openai_text(invalid), openai_text("Here it is:\n```yaml\n" + REPORT + "```\n"))
    _scenario("copilot", ai_server)
    assert len(model.of(COMPLETIONS)) == 2


def test_fix_with_ai_on_a_failed_execution_opens_the_editor_with_the_fix(ai_server: str, model: ModelServer) -> None:
    model.script(COMPLETIONS, openai_text("```yaml\n" + FIXED + "```\n"))
    _scenario("fix_with_ai", ai_server)
    assert "Failed task `check`" in model.of(COMPLETIONS)[-1].body["messages"][1]["content"]


def test_without_a_model_neither_the_copilot_nor_fix_with_ai_shows(server: str) -> None:
    _scenario("copilot_hidden", server)
