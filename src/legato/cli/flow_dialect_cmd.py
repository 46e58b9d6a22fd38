"""`legato flow migrate` and the findings of `legato flow validate --lint`: Kestra 1.x constructs that Kestra 2.0
removed, each with its 2.0 form (legato.model.dialect)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from legato.model import dialect, dialect_yaml


def lint_file(path: Path) -> list[str]:
    """The 2.0 findings of one flow file, one line each (none for a flow already in the 2.0 dialect)."""
    try:
        document = dialect_yaml.load(path.read_text(), str(path))
    except dialect_yaml.DialectError:
        return []  # validation reports what is wrong with the file itself
    return [finding.render(str(path)) for finding in dialect.upgrade(document, rewrite=False).findings]


@click.command("migrate")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--write", is_flag=True, help="Rewrite the files in place instead of printing a diff.")
def migrate(paths: tuple[Path, ...], write: bool) -> None:
    """Rewrite Kestra 1.x flows (FILES or directories) in the Kestra 2.0 dialect: a unified diff by default.

    What has no faithful 2.0 form is left as it is and listed on stderr; exit 1 when some is."""
    from legato.cli.flow_cmd import flow_files

    manual = 0
    for path in flow_files(paths):
        try:
            document = dialect_yaml.load(path.read_text(), str(path))
        except dialect_yaml.DialectError as exc:
            click.echo(str(exc), err=True)
            manual += 1
            continue
        text, up = dialect.migrated_text(document)
        for finding in up.findings:
            if not finding.automatic:
                manual += 1
                click.echo(finding.render(str(path)), err=True)
        if text == document.source:
            continue
        if write:
            path.write_text(text)
            click.echo(f"migrated {path}")
        else:
            click.echo(dialect_yaml.diff(document.source, text, str(path)), nl=False)
    sys.exit(1 if manual else 0)
