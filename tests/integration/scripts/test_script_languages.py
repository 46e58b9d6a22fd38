"""Every other language's Script and Commands, run where its interpreter is installed."""

from __future__ import annotations

import pytest
from tests.integration.scripts.conftest import Scripts
from tests.integration.scripts.interpreters import require_interpreter

from legato.plugins.scripts.others import LANGUAGES, Language


def _params() -> list[object]:
    return [pytest.param(lang, id=lang.key) for lang in LANGUAGES]


def _indent(text: str, spaces: int) -> str:
    return "".join(" " * spaces + line + "\n" for line in text.splitlines())


@pytest.mark.parametrize("lang", _params())
def test_script(scripts: Scripts, lang: Language) -> None:
    require_interpreter(lang)
    outputs, ctx = scripts.run(f"id: task\ntype: io.kestra.plugin.scripts.{lang.key}.Script\nscript: |\n{_indent(lang.hello, 2)}")
    assert outputs["exitCode"] == 0
    assert ("INFO", "hello") in scripts.messages(ctx)


@pytest.mark.parametrize("lang", _params())
def test_commands(scripts: Scripts, lang: Language) -> None:
    require_interpreter(lang)
    name = f"main{lang.extension}"
    _, ctx = scripts.run(
        f"id: task\ntype: io.kestra.plugin.scripts.{lang.key}.Commands\ninputFiles:\n  {name}: |\n{_indent(lang.hello, 4)}"
        f"commands:\n  - {' '.join(lang.run_file)} {name}\n"
    )
    assert ("INFO", "hello") in scripts.messages(ctx)


def test_protocol_lines_from_any_language(scripts: Scripts) -> None:
    require_interpreter(next(lang for lang in LANGUAGES if lang.key == "ruby"))
    outputs, _ = scripts.run("""
id: task
type: io.kestra.plugin.scripts.ruby.Script
script: |
  require 'json'
  puts "::" + JSON.generate({outputs: {lang: "ruby", n: {{ inputs.n }}}}) + "::"
""", inputs={"n": 7})
    assert outputs["vars"] == {"lang": "ruby", "n": 7}
