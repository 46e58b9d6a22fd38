"""The flows' JSON Schema with every installed type, made once at install time instead of in a fresh server.

Building it imports every plugin module and asks pydantic for the schemas of some 400 models: seconds, which a fresh
server's first editor completion used to wait for. `make install` writes it beside this module (`python -m
legato.plugins --schema`; gitignored and shipped in the wheel, as the web UI is), headed by a digest of the sources
it was made from. A process serves that file while the digest matches its own sources and no other package adds
plugins; otherwise (a checkout edited since, a third-party plugin, no file) it builds the schema itself, once.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from pathlib import Path

SCHEMA_PATH = Path(__file__).with_name("flow_schema.json")
_ROOT = Path(__file__).resolve().parents[1]  # the legato package


def digest() -> str:
    """A digest of what the schema is made from: Legato's models and plugins. (Not pydantic's version: an install
    resolves its own, and a release of pydantic does not change what the models accept.)"""
    h = hashlib.blake2b(digest_size=16)
    for folder in ("model", "plugins"):
        for path in sorted((_ROOT / folder).rglob("*.py")):
            h.update(path.relative_to(_ROOT).as_posix().encode() + b"\0")
            h.update(path.read_bytes())
    return h.hexdigest()


def _outside_plugins() -> bool:
    """Whether plugins of other packages are installed (the file cannot hold their types)."""
    from importlib.metadata import entry_points

    from legato.plugins.loader import GROUP, ours

    if os.environ.get("LEGATO_EXTRA_PLUGINS", "").strip():
        return True
    return any(not ours(ep.value) for ep in entry_points(group=GROUP))


def build() -> bytes:
    """The schema, built from the registries (every plugin is imported)."""
    from legato import plugins
    from legato.model.schema import flow_json_schema

    return json.dumps(flow_json_schema(plugins.registry(), plugins.trigger_registry()), separators=(",", ":")).encode()


def write(path: Path = SCHEMA_PATH) -> None:
    """Build the schema and write it, with the digest of its sources on the first line."""
    body = build()
    partial = path.with_suffix(".partial")
    partial.write_bytes(digest().encode() + b"\n" + body)
    partial.replace(path)


def stored(path: Path = SCHEMA_PATH) -> bytes | None:
    """The file's schema when it was made from these sources and nothing outside Legato adds types; else None."""
    try:
        with path.open("rb") as file:
            head = file.readline().strip().decode()
            if head != digest() or _outside_plugins():
                return None
            return file.read()
    except (OSError, UnicodeDecodeError):
        return None


@functools.cache
def flow_schema() -> bytes:
    """The flows' JSON Schema as JSON text: the install's file when it is current, else built here."""
    return stored() or build()
