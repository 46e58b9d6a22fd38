"""Files between internal storage and a script's working directory: `inputFiles` in, namespace files in,
`outputFiles` (and everything under the output dir) out. Every relative path stays inside the working dir."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote, urlsplit

from legato import globs
from legato.plugins.context import TaskFailed
from legato.storage import Storage, StorageError, namespace_files, namespace_files_prefix, parse_uri
from legato.storage.uris import join


def inside(workdir: Path, relative: str, what: str) -> Path:
    """`workdir / relative`, refusing absolute paths, `..` and symlinks that lead out of `workdir`."""
    pure = PurePosixPath(relative)
    if not relative or pure.is_absolute() or ".." in pure.parts:
        raise TaskFailed(f"{what} {relative!r} must be a relative path inside the working directory")
    target = workdir.joinpath(*pure.parts)
    if not target.resolve().is_relative_to(workdir.resolve()):
        raise TaskFailed(f"{what} {relative!r} leads outside the working directory")
    return target


def input_files_map(rendered: Any) -> dict[str, str]:
    """inputFiles as a name → content map; a string is taken as a JSON map (as `{{ outputs.x.outputFiles }}`
    renders)."""
    value = rendered
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise TaskFailed("property 'inputFiles' must be a map of file name to content or storage URI") from None
    if not isinstance(value, dict):
        raise TaskFailed("property 'inputFiles' must be a map of file name to content or storage URI")
    return {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in value.items()}


def stage_inputs(workdir: Path, files: Mapping[str, str], storage: Storage, namespace: str | None = None) -> None:
    """Write each input file; a value that is a `kestra:///` URI is fetched from storage instead, and an
    `nsfile:///path` URI from the files of `namespace` (the flow's)."""
    for name, content in files.items():
        target = inside(workdir, name, "input file")
        target.parent.mkdir(parents=True, exist_ok=True)
        if _is_uri(content) or _is_nsfile(content):
            try:
                storage.download(_source(content.strip(), namespace), target)
            except StorageError as exc:
                raise TaskFailed(f"input file {name!r}: {exc}") from None
        else:
            target.write_text(content, encoding="utf-8")


# A storage URI inside a command line, as Kestra's ScriptService finds them (and namespace file URIs).
_STORED_URI = re.compile(r"(?:kestra|nsfile)://[-a-zA-Z0-9%._+~#=/]*")
LOCAL_FOLDER = ".storage-files"  # where the files a command names are downloaded, inside the working dir


class Localizer:
    """Downloads each `kestra://` / `nsfile://` URI a rendered command or script names into the working
    directory and puts the path the command sees in its place, as Kestra does (`cat "{{ outputs.x.uri }}"`).
    One per run: a URI named twice is downloaded once."""

    def __init__(self, workdir: Path, visible: str, storage: Storage, namespace: str | None) -> None:
        self._workdir = workdir
        self._visible = visible.rstrip("/")
        self._storage = storage
        self._namespace = namespace
        self._done: dict[str, str] = {}

    def __call__(self, text: str) -> str:
        if "://" not in text:
            return text
        return _STORED_URI.sub(lambda m: self._local(m.group()), text)

    def _local(self, uri: str) -> str:
        known = self._done.get(uri)
        if known is not None:
            return known
        name = PurePosixPath(unquote(urlsplit(uri).path)).name or "file"
        relative = f"{LOCAL_FOLDER}/{len(self._done)}/{name}"
        target = inside(self._workdir, relative, "file")
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._storage.download(_source(uri, self._namespace), target)
        except StorageError as exc:
            raise TaskFailed(f"cannot download {uri} named in the command: {exc}") from None
        self._done[uri] = local = f"{self._visible}/{relative}"
        return local


def _source(value: str, namespace: str | None) -> str:
    if not namespace_files.is_nsfile(value):
        return value
    given, path = namespace_files.parse_nsfile(value)
    if namespace is None or (given is not None and given != namespace):
        raise StorageError(f"{value} is not a file of this flow's namespace ({namespace}): only its own files can be read")
    return namespace_files.file_uri(namespace, path)


def stage_namespace_files(workdir: Path, storage: Storage, namespaces: Iterable[str], include: list[str],
                          exclude: list[str], per_namespace: bool, overwrite: bool) -> int:
    """Copy the namespace files of `namespaces` (Kestra's layout: kestra:///<ns>/_files/...) that match
    `include` and not `exclude`; returns how many were copied."""
    copied = 0
    for namespace in namespaces:
        prefix = namespace_files_prefix(namespace)
        depth = len(parse_uri(prefix))
        for uri in storage.list(prefix):
            relative = "/".join(parse_uri(uri)[depth:])
            if not _selected(relative, include, exclude):
                continue
            target = inside(workdir, f"{namespace}/{relative}" if per_namespace else relative, "namespace file")
            if target.exists() and not overwrite:
                continue
            storage.download(uri, target)
            copied += 1
    return copied


def collect_outputs(workdir: Path, patterns: list[str], output_dir: Path | None, skip: set[str],
                    storage: Storage, prefix: str) -> dict[str, str]:
    """Upload the files matching `patterns` (globs relative to the working dir, `**` crossing folders) and
    every file under `output_dir`; returns relative name → storage URI."""
    found: dict[str, Path] = {}
    for pattern in patterns:
        if PurePosixPath(pattern).is_absolute() or ".." in PurePosixPath(pattern).parts:
            raise TaskFailed(f"output file pattern {pattern!r} must be relative to the working directory")
    try:
        matched = globs.files(workdir, patterns)
    except globs.PatternError as exc:
        raise TaskFailed(f"outputFiles: {exc}") from None
    for relative, path in matched.items():
        if relative not in skip and not _under(path, output_dir):
            found[relative] = path
    if output_dir is not None and output_dir.is_dir():
        for path in sorted(output_dir.rglob("*")):
            if path.is_file() and not path.is_symlink():
                found.setdefault(path.relative_to(output_dir).as_posix(), path)
    return {name: storage.put_file(join(prefix, name), path) for name, path in found.items()}


def _under(path: Path, folder: Path | None) -> bool:
    return folder is not None and path.is_relative_to(folder)


def _selected(relative: str, include: list[str], exclude: list[str]) -> bool:
    try:
        return (not include or globs.matches(relative, include)) and not globs.matches(relative, exclude)
    except globs.PatternError as exc:
        raise TaskFailed(f"namespaceFiles: {exc}") from None


def _is_nsfile(value: str) -> bool:
    return namespace_files.is_nsfile(value) and "\n" not in value.strip()


def _is_uri(value: str) -> bool:
    return value.strip().startswith("kestra:///") and "\n" not in value.strip()
