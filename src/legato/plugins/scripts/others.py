"""Script and Commands for the other languages: R, Julia, Ruby, Perl, PHP, Lua, Deno, Bun, Go and PowerShell.
Each runs its interpreter from the worker's PATH (or the container image under the docker runner); a task
whose interpreter is missing fails with the shell's "not found" message.

HOME is the working directory, so the caches interpreters keep there (Deno's, Go's build cache) start empty
in every run. Go's build cache is the one that costs: under the process runner Go tasks share one, in
Legato's cache folder (`go-build`), unless the task sets GOCACHE itself; under the sandbox each run keeps
its own, so that no sandboxed task can plant build results another task would link."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import Field

from legato.model.task import TASKS
from legato.plugins.context import RunContext
from legato.plugins.scripts import tools
from legato.plugins.scripts.base import CommandLines, InlineScript, ScriptBase, Tooling
from legato.runners.base import Runner


@dataclass(frozen=True)
class Language:
    key: str  # Kestra's plugin package name: io.kestra.plugin.scripts.<key>
    title: str
    extension: str
    run_file: tuple[str, ...]
    image: str
    hello: str  # a one-line script printing a greeting
    interpreter: tuple[str, ...] = ("/bin/sh", "-c")


LANGUAGES = (
    Language("r", "R", ".R", ("Rscript",), "r-base", 'cat("hello\\n")'),
    Language("julia", "Julia", ".jl", ("julia",), "julia", 'println("hello")'),
    Language("ruby", "Ruby", ".rb", ("ruby",), "ruby", 'puts "hello"'),
    Language("perl", "Perl", ".pl", ("perl",), "perl", 'print "hello\\n";'),
    Language("php", "PHP", ".php", ("php",), "php", '<?php echo "hello\\n";'),
    Language("lua", "Lua", ".lua", ("lua",), "nickblah/lua", 'print("hello")'),
    Language("deno", "Deno", ".ts", ("deno", "run", "--allow-all"), "denoland/deno", 'console.log("hello")'),
    Language("bun", "Bun", ".ts", ("bun", "run"), "oven/bun", 'console.log("hello")'),
    Language("go", "Go", ".go", ("go", "run"), "golang", 'package main\nimport "fmt"\nfunc main() { fmt.Println("hello") }'),
    Language("powershell", "PowerShell", ".ps1", ("pwsh", "-NoProfile", "-NonInteractive", "-File"),
             "mcr.microsoft.com/powershell", 'Write-Output "hello"',
             ("pwsh", "-NoProfile", "-NonInteractive", "-Command")),
)


async def _go_tooling(self: ScriptBase, ctx: RunContext, runner: Runner, workdir: Path) -> Tooling:
    """Go's build cache shared by the unisolated process runner's runs (see the module's docstring); an
    isolated run builds in its own, as a shared writable cache would let one namespace's build poison
    another's."""
    if runner.name != "process" or getattr(runner, "isolated", False) or "GOCACHE" in (self.env or {}):
        return Tooling()
    cache = tools.cache_dir() / "go-build"
    try:
        await asyncio.to_thread(cache.mkdir, parents=True, exist_ok=True)
    except OSError as exc:
        ctx.logger.debug(f"no shared Go build cache ({exc}): this run builds in its own")
        return Tooling()
    return Tooling(env={"GOCACHE": str(cache)})


TOOLING = {"go": _go_tooling}


def _interpreter_field(language: Language) -> Any:
    default = list(language.interpreter)
    return Field(default_factory=lambda: list(default), min_length=1,
                 description="The program that runs the command lines, which it gets as one last argument joined by newlines.")


def _script_class(language: Language) -> type[InlineScript]:
    example = f"id: hello\ntype: io.kestra.plugin.scripts.{language.key}.Script\nscript: |\n" + "".join(
        f"  {line}\n" for line in language.hello.splitlines()
    )
    namespace: dict[str, Any] = {
        "__doc__": f"Run an inline {language.title} script with `{' '.join(language.run_file)}`.",
        "__module__": __name__,
        "__annotations__": {"interpreter": list[str]},
        "interpreter": _interpreter_field(language),
        "TYPE": f"scripts.{language.key}.Script",
        "ALIASES": (f"io.kestra.plugin.scripts.{language.key}.Script",),
        "EXTENSION": language.extension,
        "RUN_FILE": language.run_file,
        "DEFAULT_IMAGE": language.image,
        "EXAMPLES": (example,),
    }
    if language.key in TOOLING:
        namespace["tooling"] = TOOLING[language.key]
    return type(f"{language.title}Script", (InlineScript,), namespace)


def _commands_class(language: Language) -> type[CommandLines]:
    example = (f"id: hello\ntype: io.kestra.plugin.scripts.{language.key}.Commands\ninputFiles:\n"
               f"  main{language.extension}: |\n" + "".join(f"    {line}\n" for line in language.hello.splitlines())
               + f"commands:\n  - {' '.join(language.run_file)} main{language.extension}\n")
    namespace: dict[str, Any] = {
        "__doc__": f"Run {language.title} from command lines.",
        "__module__": __name__,
        "__annotations__": {"interpreter": list[str]},
        "interpreter": _interpreter_field(language),
        "TYPE": f"scripts.{language.key}.Commands",
        "ALIASES": (f"io.kestra.plugin.scripts.{language.key}.Commands",),
        "DEFAULT_IMAGE": language.image,
        "EXAMPLES": (example,),
    }
    if language.key in TOOLING:
        namespace["tooling"] = TOOLING[language.key]
    return type(f"{language.title}Commands", (CommandLines,), namespace)


CLASSES: dict[str, type[Any]] = {}
for _language in LANGUAGES:
    for _cls in (_script_class(_language), _commands_class(_language)):
        CLASSES[_cls.TYPE] = TASKS.register(_cls)

