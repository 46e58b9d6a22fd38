"""Secret values encrypted at rest: AES-256-GCM with one key per installation.

A value of a SECRET-typed input is sealed when the execution is created (`seal`), so the database holds only
`legato:sealed:v1:<base64 nonce+ciphertext>`: in executions, task runs, logs and SSE snapshots alike. It is
opened only where a task needs it: the worker hands expressions a placeholder that is revealed at the point
of use, and masks the value in logs and outputs (legato.worker); the API shows `******`.

Namespace secrets (legato.services.secrets) are stored sealed the same way. The key (32 bytes, base64) comes
from the setting `encryption_key` (config file, or `LEGATO_ENCRYPTION_KEY`, read once at start-up, then removed
from the environment), else from the file `encryption.key` in the data dir, which `legato server local` creates with
mode 0600 on first start. Every process of an installation (API, executor, workers) needs the same key.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import logging
import os
import secrets
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

ENV = "LEGATO_ENCRYPTION_KEY"
KEY_FILE = "encryption.key"
PREFIX = "legato:sealed:v1:"
_AAD = b"legato secret value"
_NONCE = 12
log = logging.getLogger("legato.sealing")
_lock = threading.Lock()
_key: bytes | None = None


class SealingError(ValueError):
    """A sealed value that cannot be opened (another installation's key, or a damaged value)."""


def configure(data_dir: Path | None = None, *, create: bool = False, key: str | None = None) -> Path | None:
    """Load the key: `key` (the configured `encryption_key`), else LEGATO_ENCRYPTION_KEY, else
    `<data_dir>/encryption.key` (made, 0600, when `create` and absent). Returns the key file used (None when
    the key came from the configuration or the environment)."""
    global _key
    text = key or os.environ.get(ENV)
    path = None
    if not text and data_dir is not None:
        path = data_dir / KEY_FILE
        if not path.exists() and create:
            _create_key_file(path)
        text = path.read_text().strip() if path.exists() else None
    if not text:
        return None
    with _lock:
        _key = _decode(text, f"{ENV}" if path is None else str(path))
    return path


def _create_key_file(path: Path) -> None:
    """Write a new key file whole, unless one exists: role processes starting together on one data dir all end up
    with the key of the first (the file appears complete, by a hard link of a finished private file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, partial = tempfile.mkstemp(prefix=".encryption.key.", dir=path.parent)  # 0600
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(new_key() + "\n")
        with contextlib.suppress(FileExistsError):
            os.link(partial, path)
    finally:
        os.unlink(partial)


def _decode(text: str, where: str) -> bytes:
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise SealingError(f"the encryption key in {where} is not base64") from None
    if len(key) != 32:
        raise SealingError(
            f"the encryption key in {where} must be 32 bytes (base64 of 32 random bytes), not {len(key)}"
        )
    return key


def _current() -> AESGCM:
    global _key
    with _lock:
        if _key is None:
            text = os.environ.get(ENV)
            if text:
                _key = _decode(text, ENV)
            else:  # tests and embedded use: values stay sealed, but only this process can open them
                log.warning(
                    "no encryption key configured (%s or %s in the data dir): using one for this process "
                    "only",
                    ENV,
                    KEY_FILE,
                )
                _key = secrets.token_bytes(32)
        return AESGCM(_key)


def new_key() -> str:
    """A fresh key, base64 of 32 random bytes (the form `encryption_key` and the key file hold)."""
    return base64.b64encode(secrets.token_bytes(32)).decode()


def key_of(text: str, where: str = "the new key") -> bytes:
    """The 32 bytes of a base64 key; SealingError naming `where` when it is not one."""
    return _decode(text, where)


def resealer(new: bytes) -> Callable[[str], str]:
    """A function opening a value sealed with this installation's key and sealing it again with `new` (key
    rotation); SealingError when a value cannot be opened, so a rotation stops before writing anything."""
    target = AESGCM(new)

    def reseal(value: str) -> str:
        nonce = secrets.token_bytes(_NONCE)
        return PREFIX + base64.b64encode(nonce + target.encrypt(nonce, unseal(value).encode(), _AAD)).decode()

    return reseal


def current_key() -> bytes:
    """This process's key (a rotation keeps it until the new one is committed)."""
    _current()
    with _lock:
        assert _key is not None
        return _key


def use_key(key: bytes) -> None:
    """Make `key` this process's key (after a rotation)."""
    global _key
    with _lock:
        _key = key


def is_sealed(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(PREFIX)


def seal(text: str) -> str:
    """`text` encrypted (idempotent: a sealed value is returned as is)."""
    if is_sealed(text):
        return text
    nonce = secrets.token_bytes(_NONCE)
    sealed = _current().encrypt(nonce, text.encode(), _AAD)
    return PREFIX + base64.b64encode(nonce + sealed).decode()


def unseal(value: str) -> str:
    """The text of a sealed value; SealingError when this installation's key cannot open it."""
    try:
        raw = base64.b64decode(value.removeprefix(PREFIX), validate=True)
        return _current().decrypt(raw[:_NONCE], raw[_NONCE:], _AAD).decode()
    except (binascii.Error, ValueError, InvalidTag):
        raise SealingError(
            "a secret value cannot be decrypted: the encryption key differs from the one it was "
            f"sealed with (set the installation's key in {ENV} or the data dir's {KEY_FILE})"
        ) from None


def reveal(value: Any, show: Callable[[str], Any]) -> Any:
    """`value` (JSON-like) with each sealed string replaced by `show(its text)`; one this installation's key
    cannot open stays sealed (and a warning says why), so no process fails on it."""
    if is_sealed(value):
        try:
            return show(unseal(value))
        except SealingError as exc:
            log.warning("%s", exc)
            return value
    if isinstance(value, dict):
        return {k: reveal(v, show) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [reveal(v, show) for v in value]
    return value


def sealed_values(value: Any) -> list[str]:
    """Every sealed string in `value` (JSON-like)."""
    if is_sealed(value):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in sealed_values(v)]
    if isinstance(value, list | tuple):
        return [s for v in value for s in sealed_values(v)]
    return []
