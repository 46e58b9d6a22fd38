"""Kestra's S3 tasks against moto's S3 emulator with boto3: each task's outputs, the listing filters, Downloads'
MOVE/DELETE actions, and the errors a user sees."""

from __future__ import annotations

import uuid

import pytest
from tests.integration.aws.conftest import client
from tests.integration.objectstore_support import Tasks

from legato.plugins.context import TaskFailed


def _bucket() -> str:
    return f"b-{uuid.uuid4().hex[:12]}"


def _keys(endpoint: str, bucket: str, prefix: str = "") -> list[str]:
    answer = client(endpoint, "s3").list_objects_v2(Bucket=bucket, Prefix=prefix)
    return sorted(o["Key"] for o in answer.get("Contents", []))


def test_create_upload_list_download_copy_delete(tasks: Tasks, aws: str, moto_endpoint: str) -> None:
    bucket = _bucket()
    created = tasks.run(f"id: t\ntype: io.kestra.plugin.aws.s3.CreateBucket\n{aws}bucket: {bucket}\n")
    assert created == {"bucket": bucket, "region": "us-east-1"}
    source = tasks.put("orders.csv", b"id,total\n1,12.5\n")
    uploaded = tasks.run(f"id: t\ntype: io.kestra.plugin.aws.s3.Upload\n{aws}bucket: {bucket}\nkey: data/orders.csv\n"
                         f"from: '{source}'\ncontentType: text/csv\nmetadata:\n  origin: erp\n")
    assert uploaded["bucket"] == bucket and uploaded["key"] == "data/orders.csv" and uploaded["eTag"].strip('"')
    listed = tasks.run(f"id: t\ntype: io.kestra.plugin.aws.s3.List\n{aws}bucket: {bucket}\nprefix: data/\n")
    assert [(o["key"], o["size"]) for o in listed["objects"]] == [("data/orders.csv", 16)]
    downloaded = tasks.run(f"id: t\ntype: io.kestra.plugin.aws.s3.Download\n{aws}bucket: {bucket}\nkey: data/orders.csv\n")
    assert tasks.read(downloaded["uri"]) == b"id,total\n1,12.5\n"
    assert downloaded["contentLength"] == 16 and downloaded["contentType"] == "text/csv"
    assert downloaded["metadata"] == {"origin": "erp"}
    copied = tasks.run(f"id: t\ntype: io.kestra.plugin.aws.s3.Copy\n{aws}from:\n  bucket: {bucket}\n  key: data/orders.csv\n"
                       "to:\n  key: archive/orders.csv\ndelete: true\n")
    assert copied["bucket"] == bucket and copied["key"] == "archive/orders.csv"
    assert _keys(moto_endpoint, bucket) == ["archive/orders.csv"]
    deleted = tasks.run(f"id: t\ntype: io.kestra.plugin.aws.s3.Delete\n{aws}bucket: {bucket}\nkey: archive/orders.csv\n")
    assert set(deleted) == {"versionId", "deleteMarker", "requestCharged"}
    assert _keys(moto_endpoint, bucket) == []


def test_upload_many_then_downloads_moves_and_delete_list_filters(tasks: Tasks, aws: str, moto_endpoint: str) -> None:
    bucket = _bucket()
    s3 = client(moto_endpoint, "s3")
    s3.create_bucket(Bucket=bucket)
    files = [tasks.put(f"f{n}.json", f'{{"n": {n}}}'.encode()) for n in range(3)]
    uploaded = tasks.run(f"id: t\ntype: io.kestra.plugin.aws.s3.Upload\n{aws}bucket: {bucket}\nkey: in/\n"
                         "from:\n" + "".join(f"  - '{f}'\n" for f in files))
    assert sorted(uploaded["files"]) == ["f0.json", "f1.json", "f2.json"]
    assert uploaded["files"]["f1.json"]["uri"] == f"s3://{bucket}/in/f1.json"
    named = tasks.run(f"id: t\ntype: io.kestra.plugin.aws.s3.Upload\n{aws}bucket: {bucket}\nkey: named\n"
                      f"from:\n  one/a.json: '{files[0]}'\n  two/b.json: '{files[1]}'\n")
    assert sorted(named["files"]) == ["one/a.json", "two/b.json"]
    single = tasks.run(f"id: t\ntype: io.kestra.plugin.aws.s3.Upload\n{aws}bucket: {bucket}\nkey: exact.json\nfrom:\n  - '{files[2]}'\n")
    assert single["key"] == "exact.json" and "files" not in single
    assert _keys(moto_endpoint, bucket, "named/") == ["named/one/a.json", "named/two/b.json"]
    s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in ("named/one/a.json", "named/two/b.json", "exact.json")]})
    s3.put_object(Bucket=bucket, Key="in/notes.txt", Body=b"x")
    s3.put_object(Bucket=bucket, Key="in/sub/", Body=b"")
    directories = tasks.run(f"id: t\ntype: io.kestra.plugin.aws.s3.List\n{aws}bucket: {bucket}\nfilter: DIRECTORY\n")
    assert [o["key"] for o in directories["objects"]] == ["in/sub/"]
    capped = tasks.run(f"id: t\ntype: io.kestra.plugin.aws.s3.List\n{aws}bucket: {bucket}\nfilter: FILES\nmaxFiles: 2\n")
    assert len(capped["objects"]) == 2
    assert any("maxFiles limit is 2" in m for m in tasks.messages())
    moved = tasks.run(f"id: t\ntype: io.kestra.plugin.aws.s3.Downloads\n{aws}bucket: {bucket}\nprefix: in/\n"
                      "regexp: .*\\.json\naction: MOVE\nmoveTo:\n  key: done\n")
    assert sorted(moved["outputFiles"]) == ["in/f0.json", "in/f1.json", "in/f2.json"]
    assert tasks.read(moved["outputFiles"]["in/f1.json"]) == b'{"n": 1}'
    assert [o["uri"] for o in moved["objects"]] == [moved["outputFiles"][o["key"]] for o in moved["objects"]]
    assert _keys(moto_endpoint, bucket) == ["done/f0.json", "done/f1.json", "done/f2.json", "in/notes.txt", "in/sub/"]
    several = tasks.run(f"id: t\ntype: io.kestra.plugin.aws.s3.Download\n{aws}bucket: {bucket}\nprefix: done/\n")
    assert sorted(several["files"]) == ["done/f0.json", "done/f1.json", "done/f2.json"]
    removed = tasks.run(f"id: t\ntype: io.kestra.plugin.aws.s3.DeleteList\n{aws}bucket: {bucket}\nprefix: done/\n")
    assert removed == {"count": 3, "size": 24}
    deleted = tasks.run(f"id: t\ntype: io.kestra.plugin.aws.s3.Downloads\n{aws}bucket: {bucket}\nprefix: in/\n"
                        "filter: FILES\naction: DELETE\n")
    assert [o["key"] for o in deleted["objects"]] == ["in/notes.txt"]
    assert _keys(moto_endpoint, bucket) == ["in/sub/"]
    with pytest.raises(TaskFailed, match="no object to delete"):
        tasks.run(f"id: t\ntype: io.kestra.plugin.aws.s3.DeleteList\n{aws}bucket: {bucket}\nprefix: none/\nerrorOnEmpty: true\n")


def test_errors_name_the_object_and_what_s3_answered(tasks: Tasks, aws: str, moto_endpoint: str) -> None:
    bucket = _bucket()
    client(moto_endpoint, "s3").create_bucket(Bucket=bucket)
    with pytest.raises(TaskFailed, match=f"cannot download s3://{bucket}/missing.csv: NoSuchKey"):
        tasks.run(f"id: t\ntype: io.kestra.plugin.aws.s3.Download\n{aws}bucket: {bucket}\nkey: missing.csv\n")
    with pytest.raises(TaskFailed, match="cannot list bucket nobucket-here: NoSuchBucket"):
        tasks.run(f"id: t\ntype: io.kestra.plugin.aws.s3.List\n{aws}bucket: nobucket-here\n")
    with pytest.raises(TaskFailed, match="must be an internal storage URI"):
        tasks.run(f"id: t\ntype: io.kestra.plugin.aws.s3.Upload\n{aws}bucket: {bucket}\nkey: k\nfrom: /etc/passwd\n")
    with pytest.raises(TaskFailed, match=r"action MOVE needs moveTo\.key"):
        tasks.run(f"id: t\ntype: io.kestra.plugin.aws.s3.Downloads\n{aws}bucket: {bucket}\naction: MOVE\n")


def test_credentials_come_from_an_assumed_sts_role(tasks: Tasks, aws: str, moto_endpoint: str) -> None:
    bucket = _bucket()
    created = tasks.run(f"id: t\ntype: io.kestra.plugin.aws.s3.CreateBucket\n{aws}bucket: {bucket}\n"
                        f"stsRoleArn: arn:aws:iam::123456789012:role/loader\nstsEndpointOverride: {moto_endpoint}\n"
                        "stsRoleSessionName: nightly\n")
    assert created["bucket"] == bucket
    assert bucket in [b["Name"] for b in client(moto_endpoint, "s3").list_buckets()["Buckets"]]
