"""A flow's lifecycle through the API, in bulk as Kestra's endpoints do it: disable/enable (a new revision whose
source says so), delete, export by ids, import a YAML or a zip; all or nothing when one flow is missing."""

from __future__ import annotations

import io
import zipfile

import httpx
from tests.builders import log_flow

YAML = {"Content-Type": "application/x-yaml"}
FLOWS = "/api/v1/main/flows"


def flow(ns: str, flow_id: str, extra: str = "") -> str:
    return log_flow(flow_id, ns, "hi # a comment kept", task_id="say", before=extra)


def deploy(client: httpx.Client, *sources: str) -> None:
    for source in sources:
        assert client.post(FLOWS, content=source, headers=YAML).status_code == 200


def get(client: httpx.Client, ns: str, flow_id: str) -> dict:  # type: ignore[type-arg]
    return client.get(f"{FLOWS}/{ns}/{flow_id}", params={"source": True}).json()  # type: ignore[no-any-return]


def test_disable_then_enable_by_ids_writes_the_flag_into_the_source(client: httpx.Client, ns: str) -> None:
    deploy(client, flow(ns, "a"), flow(ns, "b"))
    ids = [{"namespace": ns, "id": "a"}, {"namespace": ns, "id": "b"}]
    assert client.post(f"{FLOWS}/disable/by-ids", json=ids).json() == {"count": 2}
    a = get(client, ns, "a")
    assert a["disabled"] is True and a["revision"] == 2
    assert a["source"] == flow(ns, "a") + "disabled: true\n"  # the rest of the text as written
    assert client.post(f"{FLOWS}/disable/by-ids", json=ids).json() == {"count": 0}  # already disabled
    refused = client.post(f"/api/v1/main/executions/{ns}/a")
    assert refused.status_code in (409, 422) and "disabled" in refused.json()["message"]
    assert client.post(f"{FLOWS}/enable/by-ids", json=ids[:1]).json() == {"count": 1}
    a = get(client, ns, "a")
    assert (a["disabled"], a["revision"]) == (False, 3) and a["source"].endswith("disabled: false\n")
    assert get(client, ns, "b")["disabled"] is True


def test_disable_by_ids_with_one_missing_flow_changes_nothing(client: httpx.Client, ns: str) -> None:
    deploy(client, flow(ns, "a"))
    answer = client.post(f"{FLOWS}/disable/by-ids", json=[{"namespace": ns, "id": "a"}, {"namespace": ns, "id": "nope"}])
    assert answer.status_code == 404 and f"{ns}.nope" in answer.json()["message"]
    assert get(client, ns, "a")["revision"] == 1


def test_disable_and_delete_by_query_act_on_the_namespace_and_its_children(client: httpx.Client, ns: str) -> None:
    deploy(client, flow(ns, "a"), flow(f"{ns}.child", "bravo"), flow(f"{ns}x", "c"))
    assert client.post(f"{FLOWS}/disable/by-query", params={"namespace": ns}).json() == {"count": 2}
    assert get(client, f"{ns}x", "c")["disabled"] is False  # a sibling with the same prefix is not a child
    assert client.post(f"{FLOWS}/enable/by-query", params={"namespace": ns, "q": "bravo"}).json() == {"count": 1}  # no hex: not in the random ns
    assert client.delete(f"{FLOWS}/delete/by-query", params={"namespace": ns}).json() == {"count": 2}
    assert client.get(f"{FLOWS}/{ns}/a").status_code == 404
    assert client.get(f"{FLOWS}/{ns}x/c").status_code == 200


def test_delete_by_ids_keeps_revisions_readable_and_is_all_or_nothing(client: httpx.Client, ns: str) -> None:
    deploy(client, flow(ns, "a"), flow(ns, "b"))
    missing = client.request("DELETE", f"{FLOWS}/delete/by-ids", json=[{"namespace": ns, "id": "a"},
                                                                        {"namespace": ns, "id": "ghost"}])
    assert missing.status_code == 404 and client.get(f"{FLOWS}/{ns}/a").status_code == 200
    done = client.request("DELETE", f"{FLOWS}/delete/by-ids", json=[{"namespace": ns, "id": "a"},
                                                                     {"namespace": ns, "id": "b"}])
    assert done.json() == {"count": 2}
    assert client.get(f"{FLOWS}/{ns}/a").status_code == 404
    assert client.get(f"{FLOWS}/{ns}/a", params={"revision": 1}).status_code == 200


def test_export_by_ids_then_import_the_zip_round_trips(client: httpx.Client, ns: str) -> None:
    deploy(client, flow(ns, "a"), flow(ns, "b", "description: second\n"))
    exported = client.post(f"{FLOWS}/export/by-ids", json=[{"namespace": ns, "id": "b"}, {"namespace": ns, "id": "a"}])
    assert exported.status_code == 200 and exported.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(exported.content))
    assert sorted(archive.namelist()) == [f"{ns}.a.yml", f"{ns}.b.yml"]
    client.request("DELETE", f"{FLOWS}/delete/by-ids", json=[{"namespace": ns, "id": "a"}, {"namespace": ns, "id": "b"}])
    imported = client.post(f"{FLOWS}/import", files={"fileUpload": ("flows.zip", exported.content)})
    assert imported.status_code == 200 and imported.json() == []
    assert get(client, ns, "b")["source"] == flow(ns, "b", "description: second\n")


def test_import_yaml_saves_the_valid_documents_and_names_the_others(client: httpx.Client, ns: str) -> None:
    text = flow(ns, "one") + "---\n" + f"id: broken\nnamespace: {ns}\ntasks: []\n" + "---\n" + flow(ns, "two")
    answer = client.post(f"{FLOWS}/import", files={"fileUpload": ("mine.yaml", text.encode())})
    assert answer.status_code == 200 and answer.json() == ["mine.yaml#2"]
    assert get(client, ns, "one")["revision"] == 1 and get(client, ns, "two")["revision"] == 1
    assert client.get(f"{FLOWS}/{ns}/broken").status_code == 404


def test_import_refuses_what_is_not_yaml_or_zip(client: httpx.Client) -> None:
    wrong_type = client.post(f"{FLOWS}/import", files={"fileUpload": ("flows.txt", b"id: x")})
    assert wrong_type.status_code == 400 and ".zip" in wrong_type.json()["message"]
    bad_zip = client.post(f"{FLOWS}/import", files={"fileUpload": ("flows.zip", b"not a zip")})
    assert bad_zip.status_code == 400 and "zip" in bad_zip.json()["message"]
    no_part = client.post(f"{FLOWS}/import", files={"other": ("a.yml", b"id: x")})
    assert no_part.status_code == 400 and "fileUpload" in no_part.json()["message"]
    not_form = client.post(f"{FLOWS}/import", content=b"id: x", headers=YAML)
    assert not_form.status_code == 415
