"""Files and environment of a command that runs in a container (Docker, Kubernetes): the working dir and the
helper folders packed into a tar to copy in, the working dir unpacked from the tar copied back, and the
environment with host paths replaced by their container counterparts."""

from __future__ import annotations

import io
import tarfile
from collections.abc import Mapping, Sequence
from pathlib import Path, PurePosixPath

CONTAINER_WORKDIR = "/legato/work"
CONTAINER_HELPERS = "/legato/helpers"


def helper_paths(helpers: Mapping[str, Sequence[Path]]) -> dict[str, list[str]]:
    """Where each helper folder is in the container: /legato/helpers/<VAR>/<n>."""
    return {name: [f"{CONTAINER_HELPERS}/{name}/{i}" for i in range(len(folders))] for name, folders in helpers.items()}


def container_env(env: Mapping[str, str], helpers: Mapping[str, Sequence[Path]],
                  workdir: str = CONTAINER_WORKDIR) -> dict[str, str]:
    """The environment inside the container: the working dir at `workdir`, helper folders at their container
    paths, and PATH left to the image."""
    out = {k: v for k, v in env.items() if k != "PATH"}
    out["HOME"] = out["WORKING_DIR"] = workdir
    if "OUTPUT_DIR" in out:
        out["OUTPUT_DIR"] = f"{workdir}/{Path(out['OUTPUT_DIR']).name}"
    for name, inside in helper_paths(helpers).items():
        out[name] = ":".join([*inside, *([env[name]] if env.get(name) else [])])
    return out


def stage_archive(workdir: Path, helpers: Mapping[str, Sequence[Path]], *, with_workdir: bool = True) -> bytes:
    """A tar of the working dir (as legato/work) and the helper folders (as legato/helpers/<VAR>/<n>), to PUT
    at / in the container. Folders are world-writable so that a non-root `user` can write its working dir."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        _add_dir(tar, "legato")
        if with_workdir:
            _add_tree(tar, workdir, CONTAINER_WORKDIR.lstrip("/"))
        _add_dir(tar, CONTAINER_HELPERS.lstrip("/"))
        for name, folders in helpers.items():
            _add_dir(tar, f"{CONTAINER_HELPERS.lstrip('/')}/{name}")
            for i, folder in enumerate(folders):
                _add_tree(tar, folder, f"{CONTAINER_HELPERS.lstrip('/')}/{name}/{i}")
    return buffer.getvalue()


def extract_workdir(archive: bytes, workdir: Path) -> list[str]:
    """Unpack GET /containers/{id}/archive?path=<workdir> (whose entries start with `work/`) into `workdir`;
    links and special files are skipped and no entry may leave `workdir`. Returns the relative paths written."""
    written = []
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r") as tar:
        for member in tar.getmembers():
            parts = PurePosixPath(member.name).parts[1:]
            if not parts or not member.isfile() or any(p in ("..", "") for p in parts) or member.name.startswith("/"):
                continue
            target = workdir.joinpath(*parts)
            if not target.resolve().is_relative_to(workdir.resolve()):
                continue
            source = tar.extractfile(member)
            if source is None:
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(source.read())
            written.append("/".join(parts))
    return written


def _add_dir(tar: tarfile.TarFile, name: str) -> None:
    info = tarfile.TarInfo(name)
    info.type = tarfile.DIRTYPE
    info.mode = 0o777
    tar.addfile(info)


def _add_tree(tar: tarfile.TarFile, root: Path, arcroot: str) -> None:
    _add_dir(tar, arcroot)
    for path in sorted(root.rglob("*")):
        if path.is_symlink():
            continue
        name = f"{arcroot}/{path.relative_to(root).as_posix()}"
        if path.is_dir():
            _add_dir(tar, name)
        elif path.is_file():
            info = tar.gettarinfo(str(path), arcname=name)
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            info.mode = 0o666 | (path.stat().st_mode & 0o111)
            with open(path, "rb") as handle:
                tar.addfile(info, handle)
