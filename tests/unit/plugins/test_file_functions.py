"""read(), fileSize(), fileExists(), isFileEmpty() and fileURI() as tasks see them (bound by the WorkerContext
to its storage): namespace files and the execution's own files are readable, nothing else is."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from legato.model.execution import Execution
from legato.plugins.context import TaskFailed
from legato.storage import LocalStorage
from tests.unit.plugins.conftest import Harness

FILES = "kestra:///company/team/_files"


@pytest.fixture
def storage(tmp_path: Path) -> LocalStorage:
    store = LocalStorage(tmp_path / "storage")
    store.put(f"{FILES}/scripts/a.sql", b"select 1;\n")
    store.put(f"{FILES}/blank.txt", b"  \n\t")
    store.put("kestra:///company/other/_files/secret.sql", b"nope")
    return store


def render(harness: Harness, storage: LocalStorage, template: str, **kwargs: Any) -> Any:
    ctx = harness.context(storage=storage, **kwargs)
    return ctx.render(template)


def own(storage: LocalStorage, execution: Execution, name: str, data: bytes) -> str:
    return storage.put(f"kestra:///company/team/{execution.flow_id}/executions/{execution.id}/tasks/t/r/{name}", data)


@pytest.mark.parametrize("path", ["scripts/a.sql", "/scripts/a.sql", "nsfile:///scripts/a.sql", "nsfile://company.team/scripts/a.sql",
                                  f"{FILES}/scripts/a.sql"])
def test_read_a_namespace_file(harness: Harness, storage: LocalStorage, path: str) -> None:
    assert render(harness, storage, f"{{{{ read('{path}') }}}}") == "select 1;\n"


def test_read_and_describe_a_file_of_the_execution(harness: Harness, storage: LocalStorage) -> None:
    execution = harness.execution()
    uri = own(storage, execution, "out.json", b'{"a": 1}')
    empty = own(storage, execution, "empty.txt", b"")
    outputs = {"x": {"uri": uri}, "e": {"uri": empty}}
    ctx = harness.context(storage=storage, execution=execution, outputs=outputs)
    assert ctx.render("{{ read(outputs.x.uri) }}") == '{"a": 1}'
    assert ctx.render("{{ fileSize(outputs.x.uri) }}") == 8
    assert ctx.render("{{ fileExists(outputs.x.uri) }}") is True
    assert ctx.render("{{ fileExists('scripts/missing.sql') }}") is False
    assert ctx.render("{{ isFileEmpty(outputs.e.uri) }}") is True
    assert ctx.render("{{ isFileEmpty('blank.txt') }}") is True  # white space only counts as empty, as in Kestra
    assert ctx.render("{{ isFileEmpty(outputs.x.uri) }}") is False
    assert ctx.render("{{ fileURI('scripts/a.sql') }}") == f"{FILES}/scripts/a.sql"


def test_a_subflow_reads_its_parents_files_and_a_flow_trigger_those_of_its_trigger(harness: Harness, storage: LocalStorage) -> None:
    parent = harness.execution(flow_id="parent")
    uri = own(storage, parent, "data.csv", b"a,b")
    child = harness.execution(flow_id="child").model_copy(update={"parent_id": parent.id})
    assert render(harness, storage, f"{{{{ read('{uri}') }}}}", execution=child, flow_id="child") == "a,b"
    triggered = harness.execution(flow_id="child").model_copy(
        update={"trigger": {"executionId": parent.id, "namespace": "company.team", "flowId": "parent"}})
    assert render(harness, storage, f"{{{{ fileSize('{uri}') }}}}", execution=triggered, flow_id="child") == 3


@pytest.mark.parametrize(("template", "message"), [
    ("{{ read('kestra:///company/team/orders/executions/another/tasks/t/r/f.txt') }}", "does not belong to the current execution"),
    ("{{ read('kestra:///company/other/_files/secret.sql') }}", "does not belong to the current execution"),
    ("{{ read('secret.sql', namespace='company.other') }}", "cannot reach the files of namespace 'company.other'"),
    ("{{ read('nsfile://company.other/secret.sql') }}", "cannot reach the files of namespace 'company.other'"),
    ("{{ read('nsfile://company.other/secret.sql', namespace='company.team') }}", "not both"),
    ("{{ read('../other/_files/secret.sql') }}", "must stay inside the namespace's files"),
    ("{{ read('file:///etc/passwd') }}", "only namespace files and kestra:/// URIs"),
    ("{{ read('https://example.com/x') }}", "only namespace files and kestra:/// URIs"),
    ("{{ read('scripts/missing.sql') }}", "no file 'scripts/missing.sql'"),
    ("{{ read() }}", "expects 'path'"),
])
def test_reads_out_of_scope_are_refused_with_a_reason(harness: Harness, storage: LocalStorage, template: str, message: str) -> None:
    with pytest.raises(TaskFailed, match=message):
        render(harness, storage, template)


def test_read_refuses_a_file_too_large_for_an_expression(harness: Harness, storage: LocalStorage) -> None:
    storage.put(f"{FILES}/big.bin", b"x" * (10 * 1024 * 1024 + 1))
    with pytest.raises(TaskFailed, match="more than the 10 MB"):
        render(harness, storage, "{{ read('big.bin') }}")
