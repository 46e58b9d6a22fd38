"""Every other language passes values and files along a 3-task chain, under the process and the sandbox runner.

Each language has one small program: it reads the file `in.txt` and the variable WORD, writes their
concatenation to `out.txt` (an output file, stored in internal storage) and prints its length on Kestra's
output protocol. The chain runs it as a Script, then as Commands (the program given as an input file), then as
a Script again; each task gets the previous one's `out.txt` through inputFiles (a kestra:/// URI) and its
`length` output through `env`, so the last file holds everything the chain passed along."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.integration.scripts.conftest import Scripts
from tests.integration.scripts.interpreters import require_interpreter

from legato.plugins.scripts import tools
from legato.plugins.scripts.others import LANGUAGES, Language
from legato.runners.sandbox import bwrap_path
from legato.storage import LocalStorage

PROGRAMS = {
    "r": """\
s <- paste0(readChar("in.txt", file.info("in.txt")$size), Sys.getenv("WORD"))
writeChar(s, "out.txt", eos = NULL)
cat(sprintf('::{"outputs": {"length": %d}}::\\n', nchar(s)))
""",
    "julia": """\
s = read("in.txt", String) * get(ENV, "WORD", "")
write("out.txt", s)
println("::{\\"outputs\\": {\\"length\\": $(length(s))}}::")
""",
    "ruby": """\
require "json"
s = File.read("in.txt") + ENV.fetch("WORD", "")
File.write("out.txt", s)
puts "::" + JSON.generate({ "outputs" => { "length" => s.length } }) + "::"
""",
    "perl": """\
open(my $in, "<", "in.txt") or die "in.txt: $!";
my $s = do { local $/; <$in> } . ($ENV{WORD} // "");
open(my $out, ">", "out.txt") or die "out.txt: $!";
print $out $s;
close $out;
printf("::{\\"outputs\\": {\\"length\\": %d}}::\\n", length $s);
""",
    "php": """\
<?php
$s = file_get_contents("in.txt") . getenv("WORD");
file_put_contents("out.txt", $s);
echo "::" . json_encode(["outputs" => ["length" => strlen($s)]]) . "::\\n";
""",
    "lua": """\
local f = assert(io.open("in.txt"))
local s = f:read("a") .. (os.getenv("WORD") or "")
f:close()
local out = assert(io.open("out.txt", "w"))
out:write(s)
out:close()
print(string.format('::{"outputs": {"length": %d}}::', #s))
""",
    "deno": """\
const s: string = Deno.readTextFileSync("in.txt") + (Deno.env.get("WORD") ?? "");
Deno.writeTextFileSync("out.txt", s);
console.log("::" + JSON.stringify({ outputs: { length: s.length } }) + "::");
""",
    "bun": """\
const s: string = (await Bun.file("in.txt").text()) + (process.env.WORD ?? "");
await Bun.write("out.txt", s);
console.log("::" + JSON.stringify({ outputs: { length: s.length } }) + "::");
""",
    "go": """\
package main

import (
\t"fmt"
\t"os"
)

func main() {
\tdata, err := os.ReadFile("in.txt")
\tif err != nil {
\t\tpanic(err)
\t}
\ts := string(data) + os.Getenv("WORD")
\tif err := os.WriteFile("out.txt", []byte(s), 0o644); err != nil {
\t\tpanic(err)
\t}
\tfmt.Printf("::{\\"outputs\\": {\\"length\\": %d}}::\\n", len(s))
}
""",
    "powershell": """\
$s = (Get-Content -Raw -Path in.txt) + $env:WORD
Set-Content -NoNewline -Path out.txt -Value $s
Write-Output ('::{"outputs": {"length": ' + $s.Length + '}}::')
""",
}

RUNNERS = [
    pytest.param("process", id="process"),
    pytest.param("sandbox", id="sandbox",
                 marks=pytest.mark.skipif(bwrap_path() is None, reason="bubblewrap is not installed")),
]


def _block(text: str, spaces: int) -> str:
    return "".join(" " * spaces + line + "\n" for line in text.splitlines())


def _script(lang: Language, task_id: str, runner: str, in_file: str, word: str) -> str:
    return (f"id: {task_id}\ntype: io.kestra.plugin.scripts.{lang.key}.Script\n"
            f"taskRunner:\n  type: {runner}\noutputFiles: [out.txt]\n"
            f"inputFiles:\n  in.txt: {in_file}\nenv:\n  WORD: {word}\n"
            f"script: |\n{_block(PROGRAMS[lang.key], 2)}")


def _commands(lang: Language, task_id: str, runner: str, in_file: str, word: str) -> str:
    main = f"main{lang.extension}"
    return (f"id: {task_id}\ntype: io.kestra.plugin.scripts.{lang.key}.Commands\n"
            f"taskRunner:\n  type: {runner}\noutputFiles: [out.txt]\n"
            f"inputFiles:\n  in.txt: {in_file}\n  {main}: |\n{_block(PROGRAMS[lang.key], 4)}"
            f"env:\n  WORD: {word}\ncommands:\n  - {' '.join(lang.run_file)} {main}\n")


def test_every_language_has_a_chain_program() -> None:
    assert sorted(PROGRAMS) == sorted(lang.key for lang in LANGUAGES)


@pytest.mark.parametrize("runner", RUNNERS)
@pytest.mark.parametrize("lang", [pytest.param(lang, id=lang.key) for lang in LANGUAGES])
def test_values_and_files_pass_along_a_chain(scripts: Scripts, storage: LocalStorage, lang: Language, runner: str) -> None:
    require_interpreter(lang)
    execution = scripts.harness.execution()
    outputs: dict[str, Any] = {}

    def step(task_id: str, source: str) -> dict[str, Any]:
        ctx = scripts.context(execution=execution, task_id=task_id, inputs={"word": "chain"}, outputs=outputs)
        try:
            result, _ = scripts.run(source, ctx)
        except Exception as exc:
            raise AssertionError(f"{task_id} failed: {exc}\nlogs: {scripts.messages(ctx)}") from exc
        outputs[task_id] = result
        return result

    first = step("first", _script(lang, "first", runner, '"start-"', '"{{ inputs.word }}"'))
    assert first["vars"] == {"length": len("start-chain")}
    second = step("second", _commands(lang, "second", runner, '"{{ outputs.first.outputFiles[\'out.txt\'] }}"',
                                      '"-{{ outputs.first.vars.length }}"'))
    assert second["vars"] == {"length": len("start-chain-11")}
    third = step("third", _script(lang, "third", runner, '"{{ outputs.second.outputFiles[\'out.txt\'] }}"',
                                  '"-{{ outputs.second.vars.length }}"'))
    assert third["vars"] == {"length": len("start-chain-11-14")}
    assert storage.get(third["outputFiles"]["out.txt"]) == b"start-chain-11-14"
    assert [r["exitCode"] for r in (first, second, third)] == [0, 0, 0]


def test_a_process_script_can_use_its_temp_dir_when_the_data_dir_is_below_it(scripts: Scripts) -> None:
    # the storage root (hidden from scripts) sits below the system temp dir here, as in every test
    _, ctx = scripts.run("""
id: task
type: io.kestra.plugin.scripts.shell.Commands
taskRunner:
  type: process
commands:
  - folder=$(mktemp -d)
  - echo kept > "$folder/note.txt"
  - echo "read $(cat "$folder/note.txt") listed $(ls "$folder") in $(ls "$(dirname "$folder")" | grep -c "$(basename "$folder")")"
  - echo "made $folder"
  - ls -A | grep -v '^.outputs$' | wc -l
""")
    messages = scripts.messages(ctx)
    assert ("INFO", "read kept listed note.txt in 1") in messages, messages
    assert ("INFO", "0") in messages  # nothing of it in the working dir
    made = next(Path(m.removeprefix("made ")) for _, m in messages if m.startswith("made "))
    assert not made.exists()  # the script's /tmp is its own, gone with the run


@pytest.mark.parametrize("runner", RUNNERS)
def test_go_build_cache_is_shared_only_by_the_unsafe_process_runner(scripts: Scripts, runner: str,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    require_interpreter(next(lang for lang in LANGUAGES if lang.key == "go"))
    source = f"""
id: task
type: io.kestra.plugin.scripts.go.Commands
taskRunner:
  type: {runner}
commands:
  - |
    printf '::{{"outputs": {{"cache": "%s", "home": "%s"}}}}::\\n' "$(go env GOCACHE)" "$HOME"
"""
    outputs, _ = scripts.run(source)
    # each isolated or sandboxed run builds in its own working dir: a shared cache could be poisoned
    assert outputs["vars"]["cache"] == outputs["vars"]["home"] + "/.cache/go-build"
    if runner == "process":  # only the unisolated process runner, which the operator opts into, shares one
        monkeypatch.setenv("LEGATO_UNSAFE_PROCESS_RUNNER", "true")
        unsafe, _ = scripts.run(source)
        assert unsafe["vars"]["cache"] == str(tools.cache_dir() / "go-build")
        monkeypatch.delenv("LEGATO_UNSAFE_PROCESS_RUNNER")
    own, _ = scripts.run(source.replace("commands:", "env:\n  GOCACHE: /tmp/mine\ncommands:"))
    assert own["vars"]["cache"] == "/tmp/mine"
