"""Storage URIs named in a script's commands are downloaded into the working directory (Kestra's ScriptService)."""

from __future__ import annotations

from pathlib import Path

import pytest

from legato.plugins.context import TaskFailed
from legato.plugins.scripts.files import Localizer
from legato.storage import LocalStorage, namespace_files


def test_kestra_uri_in_a_command_becomes_the_local_copy_path(tmp_path: Path, storage: LocalStorage) -> None:
    uri = storage.put("kestra:///team/flow/executions/e1/tasks/w/r1/data.csv", b"a,b\n1,2\n")
    workdir = tmp_path / "work"
    workdir.mkdir()
    localize = Localizer(workdir, "/visible/work", storage, "team")
    line = localize(f'cat "{uri}" && wc -l {uri}')
    assert (
        line
        == 'cat "/visible/work/.storage-files/0/data.csv" && wc -l /visible/work/.storage-files/0/data.csv'
    )
    assert (workdir / ".storage-files/0/data.csv").read_bytes() == b"a,b\n1,2\n"


def test_nsfile_uri_is_read_from_the_flows_namespace_only(tmp_path: Path, storage: LocalStorage) -> None:
    storage.put(namespace_files.file_uri("team", "/scripts/run.sh"), b"echo hi\n")
    localize = Localizer(tmp_path, str(tmp_path), storage, "team")
    assert localize("sh nsfile:///scripts/run.sh") == f"sh {tmp_path}/.storage-files/0/run.sh"
    with pytest.raises(TaskFailed, match="only its own files"):
        localize("sh nsfile://other/scripts/run.sh")


def test_missing_file_fails_the_task_naming_the_uri(tmp_path: Path, storage: LocalStorage) -> None:
    with pytest.raises(TaskFailed, match=r"kestra:///team/nope\.txt"):
        Localizer(tmp_path, str(tmp_path), storage, "team")("cat kestra:///team/nope.txt")


def test_text_without_uris_is_unchanged(tmp_path: Path, storage: LocalStorage) -> None:
    assert (
        Localizer(tmp_path, str(tmp_path), storage, "team")("echo 'https://x.org/a'")
        == "echo 'https://x.org/a'"
    )
