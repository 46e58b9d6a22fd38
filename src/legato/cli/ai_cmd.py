"""`legato ai "request" [--flow FILE]`: the AI copilot writes or changes a flow, validated before it is shown."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from legato import config
    from legato.services import copilot

# The configuration and the copilot load when the command runs: `legato ai --help` needs neither.


def _model(settings: config.Settings, timeout: float) -> copilot.Model:
    from legato.services import copilot

    model = copilot.configured(settings, timeout)
    if model is None:
        raise click.UsageError("the copilot needs a model API: set LEGATO_AI_URL and LEGATO_AI_MODEL (and LEGATO_AI_API_KEY, "
                               "LEGATO_AI_PROVIDER=anthropic for Anthropic), or ai_url/ai_model in the configuration file")
    return model


@click.command("ai")
@click.argument("request")
@click.option("--flow", "flow_file", type=click.Path(dir_okay=False, path_type=Path),
              help="A flow file to change (else a new flow is written).")
@click.option("--write", is_flag=True, help="Accept the proposal: write it to --flow's file (or to --output).")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="Where --write puts a new flow.")
@click.option("--rounds", type=click.IntRange(1, 10), help="Answers the model may give, repairs included (default: ai_max_rounds).")
@click.option("--timeout", default=120.0, show_default=True, help="Seconds to wait for each answer.")
@click.option("--json", "as_json", is_flag=True, help="Print the proposal as JSON (source, diff, rounds, types).")
def ai_command(request: str, flow_file: Path | None, write: bool, output: Path | None, rounds: int | None,
               timeout: float, as_json: bool) -> None:
    """Write a flow from REQUEST, or change the one in --flow, with the model configured for Legato (ai_url,
    ai_model, ai_api_key, ai_provider). The flow is validated with the installed plugins and sent back to the model
    with the errors until it is valid; only a valid flow is shown, as a diff. Exit status 1 when none is."""
    from legato import config
    from legato.services import copilot

    try:
        settings = config.load()
    except config.ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    model = _model(settings, timeout)
    current = flow_file.read_text(encoding="utf-8") if flow_file is not None and flow_file.exists() else None
    if flow_file is not None and current is None and not write:
        raise click.UsageError(f"--flow {flow_file}: no such file")
    name = str(flow_file or output or "flow.yaml")

    def heard(round_: int, error: str | None) -> None:
        if error is not None:
            first = error.splitlines()[0] if error else ""
            click.echo(f"answer {round_} is not a valid flow ({first}); asking the model to fix it", err=True)

    try:
        proposal = asyncio.run(copilot.propose(request, endpoint=model.endpoint, max_rounds=rounds or model.max_rounds,
                                               current=current, name=name, on_round=heard))
    except copilot.CopilotError as exc:
        raise click.ClickException(str(exc)) from None
    if as_json:
        click.echo(json.dumps({"source": proposal.source, "diff": proposal.diff, "rounds": proposal.rounds,
                               "types": list(proposal.types)}))
    else:
        click.echo(proposal.diff, nl=False)
        click.echo(f"valid flow after {proposal.rounds} answer(s); types: {', '.join(proposal.types)}", err=True)
    if write:
        target = flow_file or output
        if target is None:
            raise click.UsageError("--write needs --flow or --output")
        target.write_text(proposal.source, encoding="utf-8")
        click.echo(f"written to {target}", err=True)
