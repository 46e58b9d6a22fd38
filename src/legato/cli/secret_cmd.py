"""`legato secret ...`: set, list and delete namespace secrets (on the local server's data, or with --server through
the API of a running Legato, which encrypts them with its own key), and rotate the key that encrypts them (on the
database only).

A value is read from a file, from standard input, or typed at a hidden prompt, never from the command line
(which other users of the host can read with `ps`)."""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING

import click

from legato import sealing
from legato.cli.store_option import Remote, Target, with_store
from legato.clock import utcnow
from legato.services.errors import NotFoundError

if TYPE_CHECKING:
    from legato.store.ports import Store

# The configuration and the services (and the store under them) load in the local branches: a command with
# --server imports none of them.


@click.group()
def secret() -> None:
    """Namespace secrets: values encrypted at rest, inherited by child namespaces, read with secret('KEY')."""


def _load_key(data_dir: Path) -> Path | None:
    """The installation's key and secret backend, as its servers load them (the configuration of LEGATO_CONFIG
    and LEGATO_*); refused without a key (a value sealed with a key of this command alone could never be
    opened)."""
    from legato import config
    from legato.server import compose

    try:
        settings = config.load()
    except config.ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    compose.use_secret_backend(settings.secrets)
    key = settings.encryption_key.get_secret_value() if settings.encryption_key else None
    try:
        key_file = sealing.configure(data_dir.resolve(), key=key)
    except (OSError, sealing.SealingError) as exc:
        raise click.ClickException(f"cannot load the encryption key: {exc}") from None
    if key_file is None and not key and not os.environ.get(sealing.ENV):
        raise click.ClickException(f"no encryption key: set {sealing.ENV} or start `legato server local` in "
                                   f"{data_dir} once (it creates {sealing.KEY_FILE})")
    return key_file


@secret.command("set")
@click.argument("namespace")
@click.argument("key")
@click.option("--value-file", type=click.File("r"), help="Read the value from this file ('-': standard input).")
@click.option("--description", help="What the secret is for.")
@click.option("--tag", "tags", multiple=True, metavar="KEY=VALUE", help="A tag (repeatable).")
@with_store
def set_(target: Target, data_dir: Path, namespace: str, key: str, value_file: IO[str] | None,
         description: str | None, tags: tuple[str, ...]) -> None:
    """Create or replace the secret KEY of NAMESPACE (the value is asked for when no file is given)."""
    if not isinstance(target, Remote):
        _load_key(data_dir)
    if value_file is not None:
        value = value_file.read()
    elif sys.stdin.isatty():
        value = click.prompt("value", hide_input=True, confirmation_prompt=True)
    else:
        value = sys.stdin.read()
    value = value.removesuffix("\n")
    parsed: dict[str, str] = {}
    for tag in tags:
        name, sep, tag_value = tag.partition("=")
        if not sep or not name:
            raise click.BadParameter(f"{tag!r} is not KEY=VALUE", param_hint="--tag")
        parsed[name] = tag_value
    if isinstance(target, Remote):
        body = {"key": key, "value": value, "description": description,
                "tags": [{"key": k, "value": v} for k, v in parsed.items()]}
        target.call("PUT", f"/namespaces/{namespace}/secrets", json=body)
    else:
        from legato.services import secrets as secret_service

        try:
            secret_service.set_secret(target.store, namespace, key, value, by=target.by, now=utcnow(),
                                      description=description, tags=parsed)
        except secret_service.InvalidSecret as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(f"secret {key} of {namespace} saved", err=True)


@secret.command("list")
@click.argument("namespace")
@with_store
def list_(target: Target, data_dir: Path, namespace: str) -> None:
    """The secrets of NAMESPACE (keys, descriptions, tags; never values), then the keys it inherits."""
    own: list[tuple[str, str | None, dict[str, str], datetime | None]]
    if isinstance(target, Remote):
        own = [(s["key"], s["description"], {t["key"]: t["value"] for t in s["tags"]},
                datetime.fromisoformat(s["updateDate"]).astimezone(UTC) if s["updateDate"] else None)
               for s in target.results(f"/namespaces/{namespace}/secrets")]
        inherited: dict[str, list[str]] = target.call("GET", f"/namespaces/{namespace}/inherited-secrets").json()
    else:
        from legato.services import secrets as secret_service

        _load_key(data_dir)
        try:
            own = [(i.key, i.description, i.tags, i.updated)
                   for i in secret_service.list_secrets(target.store, namespace, by=target.by)]
            inherited = secret_service.inherited(target.store, namespace, by=target.by)
        except secret_service.InvalidSecret as exc:
            raise click.ClickException(str(exc)) from None
    for key, description, tag_map, when in own:
        tags = ",".join(f"{k}={v}" for k, v in sorted(tag_map.items()))
        updated = f"{when:%Y-%m-%d %H:%M:%S}" if when else "-"
        click.echo("\t".join([key, description or "", tags, updated]))
    for parent, keys in inherited.items():
        for key in keys:
            click.echo(f"{key}\t(inherited from {parent})")
    if not own and not inherited:
        click.echo(f"no secrets in {namespace}", err=True)


@secret.command("delete")
@click.argument("namespace")
@click.argument("key")
@with_store
def delete(target: Target, data_dir: Path, namespace: str, key: str) -> None:
    """Delete the secret KEY of NAMESPACE (a parent's secret of that key becomes visible again)."""
    if isinstance(target, Remote):
        target.call("DELETE", f"/namespaces/{namespace}/secrets/{key}")
    else:
        from legato.services import secrets as secret_service

        _load_key(data_dir)
        try:
            secret_service.delete_secret(target.store, namespace, key, by=target.by, now=utcnow())
        except (NotFoundError, secret_service.InvalidSecret) as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(f"secret {key} of {namespace} deleted", err=True)


@secret.command("rotate-key")
@click.option("--new-key-file", type=click.Path(dir_okay=False, path_type=Path),
              help="Where the new key is written (0600); default: the data dir's encryption.key.")
@with_store
def rotate_key(store: Store, data_dir: Path, new_key_file: Path | None) -> None:
    """Encrypt every secret with a new random key, in one transaction; then every server process needs the new
    key (restart them). The old key file is replaced only once the database holds the new encryption. It works on
    the database and the key file themselves: --server does not apply."""
    from legato.services import secrets as secret_service
    from legato.services.principal import SYSTEM

    key_file = _load_key(data_dir)
    if key_file is None and new_key_file is None:
        raise click.ClickException("the key comes from the configuration (encryption_key or "
                                   f"{sealing.ENV}): give --new-key-file to write the new one to")
    new_key = sealing.new_key()
    target = new_key_file or key_file
    assert target is not None
    staged = target.with_name(target.name + ".new")
    fd = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(new_key + "\n")
    try:
        count = secret_service.rotate_key(store, new_key, by=SYSTEM, now=utcnow())
    except sealing.SealingError as exc:
        staged.unlink()
        raise click.ClickException(f"nothing changed: {exc}") from None
    os.replace(staged, target)
    click.echo(f"{count} secrets re-encrypted; the new key is in {target}"
               + (" (put it in the configuration)" if key_file is None else "") + "; restart every Legato process", err=True)
