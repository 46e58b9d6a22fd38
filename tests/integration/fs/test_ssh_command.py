"""io.kestra.plugin.fs.ssh.Command against a real OpenSSH server on 127.0.0.1: password and key logins, the
outputs protocol, environment variables, the exit status, and clear failures."""

from __future__ import annotations

import json

import pytest
from tests.integration.fs.conftest import Tasks
from tests.sshd import PASSWORD_USER, SshServer

from legato.plugins.context import TaskFailed


def _password(sshd: SshServer) -> str:
    return (f"id: ssh\ntype: io.kestra.plugin.fs.ssh.Command\nhost: 127.0.0.1\nport: \"{sshd.port}\"\n"
            f"username: {PASSWORD_USER}\npassword: {sshd.password}\n")


def test_commands_run_with_a_password_and_give_outputs(sshd: SshServer, tasks: Tasks) -> None:
    outputs = tasks.run(_password(sshd) + """\
env:
  GREETING: bonjour
commands:
  - cd && pwd
  - echo "$GREETING from $(whoami)" >&2
  - echo '::{"outputs":{"answer":42,"who":"'$USER'"}}::'
""")
    assert outputs == {"vars": {"answer": 42, "who": PASSWORD_USER}, "exitCode": 0}
    messages = tasks.messages()
    assert str(sshd.home) in messages
    assert "bonjour from root" in messages  # alice is uid 0 in the server's private user database


def test_a_private_key_with_a_passphrase_logs_in(sshd: SshServer, tasks: Tasks) -> None:
    key = json.dumps(sshd.private_key)
    outputs = tasks.run(f"""\
id: ssh
type: io.kestra.plugin.fs.ssh.Command
host: 127.0.0.1
port: {sshd.port}
authMethod: PUBLIC_KEY
username: {sshd.user}
privateKey: {key}
privateKeyPassphrase: {sshd.passphrase}
commands:
  - echo '::{{"outputs":{{"user":"'$(id -un)'"}}}}::'
""")
    assert outputs["vars"] == {"user": sshd.user}


def test_a_failing_command_fails_the_task_with_its_status(sshd: SshServer, tasks: Tasks) -> None:
    with pytest.raises(TaskFailed, match="SSH command fails with exit status 3"):
        tasks.run(_password(sshd) + "commands:\n  - echo '::{\"outputs\":{\"before\":true}}::'\n  - exit 3\n")


def test_bad_credentials_and_missing_password_say_what_is_wrong(sshd: SshServer, tasks: Tasks) -> None:
    with pytest.raises(TaskFailed, match=r"authentication to 127\.0\.0\.1.* as 'alice' with a password failed"):
        tasks.run(_password(sshd).replace(sshd.password, "wrong") + "commands: ['true']\n")
    with pytest.raises(TaskFailed, match="Password is necessary"):
        tasks.run(f"id: ssh\ntype: io.kestra.plugin.fs.ssh.Command\nhost: 127.0.0.1\nport: {sshd.port}\n"
                  "username: alice\ncommands: ['true']\n")
    with pytest.raises(TaskFailed, match="wrong passphrase"):
        key = json.dumps(sshd.private_key)
        tasks.run(f"id: ssh\ntype: io.kestra.plugin.fs.ssh.Command\nhost: 127.0.0.1\nport: {sshd.port}\n"
                  f"authMethod: PUBLIC_KEY\nusername: root\nprivateKey: {key}\nprivateKeyPassphrase: nope\n"
                  "commands: ['true']\n")


def test_internal_addresses_are_refused_unless_allowed(sshd: SshServer, tasks: Tasks,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LEGATO_HTTP_ALLOWED_NETWORKS")
    with pytest.raises(TaskFailed, match=r"refusing to connect to 127\.0\.0\.1"):
        tasks.run(_password(sshd) + "commands: ['true']\n")
