"""`legato plugins ...`: the installed plugin families."""

from __future__ import annotations

import json

import click

from legato.plugins import families


@click.group("plugins")
def plugins_group() -> None:
    """Installed plugin families (core, and the packages registered in the `legato.plugins` entry points)."""


@plugins_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per family, with its type names.")
def list_families(as_json: bool) -> None:
    """Each family with its distribution, version, number of types, and the extra to install when some of its
    types lack a package."""
    found = families.families()
    if as_json:
        for family in found:
            click.echo(json.dumps(family.as_dict()))
        return
    width = max([len("FAMILY"), *(len(family.name) for family in found)])
    click.echo(f"{'FAMILY':<{width}} {'VERSION':<10} {'DISTRIBUTION':<20} {'TYPES':>5}  STATUS")
    for family in found:
        status = "ok"
        if family.missing:
            fixes = sorted({why.split(": run ", 1)[-1] for why in family.missing.values()})
            status = f"{len(family.missing)} type(s) need: {'; '.join(fixes)}"
        click.echo(f"{family.name:<{width}} {family.version:<10} {family.distribution:<20} {len(family.types):>5}  {status}")
