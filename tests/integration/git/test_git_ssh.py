"""The Git tasks over SSH: a real OpenSSH server on 127.0.0.1, a PEM key with a passphrase (as Kestra's docs
generate them), Clone then PushNamespaceFiles."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.git_server import GitServer
from tests.integration.git.conftest import Tasks
from tests.sshd import ssh_server

from legato.plugins.context import TaskFailed
from legato.storage import namespace_files


def test_clone_and_push_over_ssh_with_a_passphrase(server: GitServer, tasks: Tasks, tmp_path: Path) -> None:
    server.create("repo", {"hello.sh": "echo hello\n"})
    with ssh_server(server.root, tmp_path / "sshd") as ssh:
        key = ssh.private_key.replace("\n", "\\n")
        auth = f'url: {ssh.url("repo")}\nprivateKey: "{key}"\npassphrase: "{ssh.passphrase}"\n'
        work = tmp_path / "wd"
        work.mkdir()
        tasks.run(f"id: clone\ntype: io.kestra.plugin.git.Clone\n{auth}", working_dir=work)
        assert (work / "hello.sh").read_text() == "echo hello\n"
        tasks.storage.put(namespace_files.file_uri("company.team", "/a.sql"), b"select 1\n")
        pushed, _ = tasks.run(f"id: push\ntype: io.kestra.plugin.git.PushNamespaceFiles\n{auth}")
        assert pushed["commitId"] and server.files("repo") == ["_files/a.sql", "hello.sh"]
        with pytest.raises(TaskFailed, match="git clone failed"):
            tasks.run(f"id: clone\ntype: io.kestra.plugin.git.Clone\n{auth.replace(ssh.passphrase, 'wrong')}")
