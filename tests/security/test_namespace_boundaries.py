"""An execution reaches its own files, its parent's and children's, and its namespace's files, by every route
(issue 22, findings 4, 6 and 9). A real server (uvicorn on 127.0.0.1, SQLite, runtime) holds a victim
namespace's execution file and namespace file; a flow of another namespace then tries each way a task or an
expression names a URI, and each is refused with a message while the victim's files stay intact. Subflow file
passing both ways still works, and a symlink planted in a namespace's files leads nowhere."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from legato.store import open_store
from tests.integration.api.conftest import LiveServer, _start

API = "/api/v1/main"
YAML = {"content-type": "application/x-yaml"}
CANARY = "victim's canary"
VICTIM = """id: producer
namespace: victim.team
tasks:
  - id: write
    type: io.kestra.plugin.core.storage.Write
    content: "victim's canary"
    extension: .txt
"""
PROBES: dict[str, str] = {
    "concat": """type: io.kestra.plugin.core.storage.Concat
    files: ["{{ inputs.target }}"]""",
    "size": """type: io.kestra.plugin.core.storage.Size
    uri: "{{ inputs.target }}\"""",
    "delete": """type: io.kestra.plugin.core.storage.Delete
    uri: "{{ inputs.target }}\"""",
    "split": """type: io.kestra.plugin.core.storage.Split
    from: "{{ inputs.target }}"
    rows: 1""",
    "read": """type: io.kestra.plugin.core.debug.Return
    format: "{{ read(inputs.target) }}\"""",
    "input_files": """type: io.kestra.plugin.scripts.shell.Commands
    inputFiles:
      stolen.txt: "{{ inputs.target }}"
    commands: ["cat stolen.txt"]""",
    "download_files": """type: io.kestra.plugin.core.namespace.DownloadFiles
    namespace: victim.team
    files: ["**"]""",
    "delete_files": """type: io.kestra.plugin.core.namespace.DeleteFiles
    namespace: victim.team
    files: ["**"]""",
    "upload_files": """type: io.kestra.plugin.core.namespace.UploadFiles
    namespace: victim.team
    files: {"/planted.txt": "{{ inputs.target }}"}""",
    "nsfile": """type: io.kestra.plugin.core.debug.Return
    format: "{{ read('nsfile://victim.team/secret.txt') }}\"""",
    "namespace_arg": """type: io.kestra.plugin.core.debug.Return
    format: "{{ read('secret.txt', namespace='victim.team') }}\"""",
    "symlink": """type: io.kestra.plugin.core.debug.Return
    format: "{{ read('link.txt') }}\"""",
    "file_input": """type: io.kestra.plugin.core.storage.Size
    uri: "{{ inputs.upload }}\"""",
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    data_dir = tmp_path_factory.mktemp("boundaries")
    yield from _start(open_store(f"sqlite:///{data_dir / 'legato.db'}"), data_dir, "sqlite")


@pytest.fixture(scope="module")
def client(server: LiveServer) -> Iterator[httpx.Client]:
    with server.client() as client:
        yield client


@pytest.fixture(scope="module")
def victim(client: httpx.Client, server: LiveServer) -> dict[str, Any]:
    """The victim's execution file URI and its namespace file, with their local paths."""
    assert client.post(f"{API}/flows", content=VICTIM, headers=YAML).status_code == 200
    execution = client.post(f"{API}/executions/victim.team/producer", params={"wait": True}).json()
    assert execution["state"]["current"] == "SUCCESS"
    uri = execution["taskRunList"][0]["outputs"]["uri"]
    uploaded = client.post(
        f"{API}/namespaces/victim.team/files",
        params={"path": "/secret.txt"},
        files={"fileContent": ("secret.txt", CANARY.encode())},
    )
    assert uploaded.status_code < 300, uploaded.text
    storage = server.data_dir / "storage"
    nsfile = storage / "victim" / "team" / "_files" / "secret.txt"
    assert nsfile.read_text() == CANARY
    # a link planted in the attacker's namespace files (by an operator's sync, a restore, an old runner)
    own = storage / "attacker" / "team" / "_files"
    own.mkdir(parents=True, exist_ok=True)
    os.symlink(nsfile, own / "link.txt")
    return {"uri": uri, "file": storage / uri.removeprefix("kestra:///"), "nsfile": nsfile}


def _attack(client: httpx.Client, name: str, target: str) -> tuple[dict[str, Any], str]:
    flow = f"""id: {name}
namespace: attacker.team
inputs:
  - id: target
    type: STRING
  - id: upload
    type: FILE
    defaults: "{target}"
tasks:
  - id: probe
    {PROBES[name]}
"""
    deployed = client.post(f"{API}/flows", content=flow, headers=YAML)
    assert deployed.status_code == 200, deployed.text
    execution = client.post(
        f"{API}/executions/attacker.team/{name}", params={"wait": True}, files={"target": (None, target)}
    ).json()
    logs = client.get(f"{API}/logs/{execution['id']}").json()
    return execution, "\n".join(line["message"] for line in logs)


@pytest.mark.parametrize("name", sorted(PROBES))
def test_another_namespace_is_out_of_reach(client: httpx.Client, victim: dict[str, Any], name: str) -> None:
    execution, logs = _attack(client, name, victim["uri"])
    assert execution["state"]["current"] == "FAILED", (execution["state"], logs)
    assert (
        "cannot read" in logs
        or "cannot change" in logs
        or "cannot reach the files of namespace 'victim.team'" in logs
        or "symbolic link" in logs
    ), logs
    assert CANARY not in str(execution) + logs
    assert victim["file"].read_text() == CANARY
    assert victim["nsfile"].read_text() == CANARY
    assert not (victim["nsfile"].parent / "planted.txt").exists()


PARENT = """id: parent
namespace: family.team
tasks:
  - id: write
    type: io.kestra.plugin.core.storage.Write
    content: "from the parent"
  - id: child
    type: io.kestra.plugin.core.flow.Subflow
    namespace: family.kids
    flowId: child
    wait: true
    inputs:
      given: "{{ outputs.write.uri }}"
  - id: back
    type: io.kestra.plugin.core.debug.Return
    format: "{{ read(outputs.child.outputs.made) }}"
"""
CHILD = """id: child
namespace: family.kids
inputs:
  - id: given
    type: FILE
tasks:
  - id: size
    type: io.kestra.plugin.core.storage.Size
    uri: "{{ inputs.given }}"
  - id: made
    type: io.kestra.plugin.core.storage.Write
    content: "from the child, {{ read(inputs.given) }}"
outputs:
  - id: made
    type: FILE
    value: "{{ outputs.made.uri }}"
"""


def test_subflows_pass_files_both_ways(client: httpx.Client) -> None:
    for source in (CHILD, PARENT):
        assert client.post(f"{API}/flows", content=source, headers=YAML).status_code == 200
    execution = client.post(f"{API}/executions/family.team/parent", params={"wait": True}).json()
    logs = client.get(f"{API}/logs/{execution['id']}").json()
    assert execution["state"]["current"] == "SUCCESS", logs
    back = next(r for r in execution["taskRunList"] if r["taskId"] == "back")
    assert back["outputs"]["value"] == "from the child, from the parent"


def test_storage_follows_no_symlink(server: LiveServer, victim: dict[str, Any]) -> None:
    from legato.storage import LocalStorage, StorageError

    storage = LocalStorage(server.data_dir / "storage")
    with pytest.raises(StorageError, match="symbolic link"):
        storage.get("kestra:///attacker/team/_files/link.txt")
    assert Path(victim["nsfile"]).read_text() == CANARY
