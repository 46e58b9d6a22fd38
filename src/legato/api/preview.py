"""Previews of stored files for the UI: the first rows of CSV, JSON (array or one document per line) and
ION files, the first characters of text, images as base64. Only the first MAX_BYTES are ever read."""

from __future__ import annotations

import base64
import csv
import io
import json
from typing import Any

from legato.api import dto
from legato.storage.ion import IonText

MAX_BYTES = 1024 * 1024
IMAGES = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "gif": "image/gif", "webp": "image/webp",
          "bmp": "image/bmp"}
MAX_IMAGE = 10 * 1024 * 1024


def extension(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def preview(name: str, head: bytes, size: int, rows: int) -> dto.FilePreview:
    """What the UI shows of a file: `head` is its beginning (all of it when size <= len(head))."""
    ext = extension(name)
    cut = size > len(head)
    if ext in IMAGES:
        if cut:
            return dto.FilePreview(extension=ext, size=size, truncated=cut, type="NONE")
        return dto.FilePreview(extension=ext, size=size, truncated=cut, type="IMAGE",
                               content=f"data:{IMAGES[ext]};base64," + base64.b64encode(head).decode())
    text = _text(head, cut)
    if text is None:
        return dto.FilePreview(extension=ext, size=size, truncated=cut, type="NONE")
    readers = {"csv": _csv, "tsv": _tsv, "json": _json, "jsonl": _lines, "ndjson": _lines, "ion": _ion}
    reader = readers.get(ext)
    if reader is not None:
        try:
            found, more = reader(text, rows, cut)
            return dto.FilePreview(extension=ext, size=size, truncated=more, type="LIST", content=found)
        except (ValueError, csv.Error):
            pass  # not what its name says: shown as text
    limit = rows * 200
    return dto.FilePreview(extension=ext, size=size, truncated=cut or len(text) > limit, type="TEXT",
                           content=text[:limit])


def _text(head: bytes, cut: bool) -> str | None:
    try:
        return head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if cut and exc.start >= len(head) - 3:  # a character split by the cut
            return head[:exc.start].decode("utf-8")
        return None


def _complete_lines(text: str, cut: bool) -> list[str]:
    lines = text.splitlines()
    return lines[:-1] if cut and lines else lines  # the last line of a cut file may be partial


def _csv(text: str, rows: int, cut: bool, delimiter: str = ",") -> tuple[list[Any], bool]:
    lines = _complete_lines(text, cut)
    reader = csv.DictReader(io.StringIO("\n".join(lines)), delimiter=delimiter)
    out: list[Any] = []
    for row in reader:
        if len(out) == rows:
            return out, True
        out.append(dict(row))
    return out, cut


def _tsv(text: str, rows: int, cut: bool) -> tuple[list[Any], bool]:
    return _csv(text, rows, cut, "\t")


def _json(text: str, rows: int, cut: bool) -> tuple[list[Any], bool]:
    if cut:
        return _lines(text, rows, cut)
    value = json.loads(text)
    if isinstance(value, list):
        return value[:rows], len(value) > rows
    return [value], False


def _lines(text: str, rows: int, cut: bool) -> tuple[list[Any], bool]:
    lines = [ln for ln in _complete_lines(text, cut) if ln.strip()]
    return [json.loads(ln) for ln in lines[:rows]], cut or len(lines) > rows


def _ion(text: str, rows: int, cut: bool) -> tuple[list[Any], bool]:
    body = "\n".join(_complete_lines(text, cut))
    reader = IonText(body)
    out: list[Any] = []
    while reader.more():
        if len(out) == rows:
            return out, True
        out.append(reader.value())
    return out, cut
