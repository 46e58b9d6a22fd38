"""The AWS example and blueprints run unchanged with `legato flow run` against moto's emulator: the flow's credentials come from
secrets (SECRET_* variables), the endpoint from AWS_ENDPOINT_URL, which boto3 reads when a task sets no
`endpointOverride`."""

from __future__ import annotations

import uuid
from pathlib import Path

from tests.integration.aws.conftest import client
from tests.integration.objectstore_support import ROOT, run_blueprint, run_flow_file, secrets_env


def _env(endpoint: str) -> dict[str, str]:
    return {"AWS_ENDPOINT_URL": endpoint, **secrets_env(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_KEY_ID="testing")}


def test_s3_upload_list_download_blueprint_runs_green(moto_endpoint: str, tmp_path: Path) -> None:
    bucket = f"bp-{uuid.uuid4().hex[:10]}"
    client(moto_endpoint, "s3").create_bucket(Bucket=bucket)
    execution = run_blueprint("s3_upload_list_download", tmp_path, _env(moto_endpoint), {"bucket": bucket})
    assert execution["state"]["current"] == "SUCCESS"
    listed = client(moto_endpoint, "s3").list_objects_v2(Bucket=bucket)["Contents"]
    assert len(listed) == 1 and listed[0]["Key"].startswith("orders/") and listed[0]["Key"].endswith("/orders.csv")
    assert execution["outputs"]["file"].startswith("kestra:///")


def test_dynamodb_blueprint_runs_green(moto_endpoint: str, tmp_path: Path) -> None:
    table = f"customers_{uuid.uuid4().hex[:8]}"
    client(moto_endpoint, "dynamodb").create_table(
        TableName=table, KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
    execution = run_blueprint("dynamodb_put_and_query", tmp_path, _env(moto_endpoint), {"table": table})
    assert execution["state"]["current"] == "SUCCESS"
    items = client(moto_endpoint, "dynamodb").scan(TableName=table)["Items"]
    assert [i["name"]["S"] for i in items] == ["Ada"]


def test_the_aws_example_runs_green_and_cleans_up(moto_endpoint: str, tmp_path: Path) -> None:
    bucket = f"ex-{uuid.uuid4().hex[:10]}"
    client(moto_endpoint, "s3").create_bucket(Bucket=bucket)
    execution = run_flow_file(ROOT / "examples" / "aws_s3.yaml", tmp_path, _env(moto_endpoint),
                              {"bucket": bucket, "endpoint": moto_endpoint})
    assert execution["state"]["current"] == "SUCCESS"
    log = next(r for r in execution["taskRunList"] if r["taskId"] == "log")
    assert log["state"]["current"] == "SUCCESS"
    assert "Contents" not in client(moto_endpoint, "s3").list_objects_v2(Bucket=bucket)


def test_aws_cli_blueprint_syncs_a_folder(moto_endpoint: str, tmp_path: Path) -> None:
    """The sandbox shares the host's network here (LEGATO_SCRIPT_NETWORK=host): the emulator is on 127.0.0.1."""
    bucket = f"cli-{uuid.uuid4().hex[:10]}"
    client(moto_endpoint, "s3").create_bucket(Bucket=bucket)
    execution = run_blueprint("aws_cli_sync_folder", tmp_path, {**_env(moto_endpoint), "LEGATO_SCRIPT_NETWORK": "host"},
                              {"bucket": bucket})
    assert execution["state"]["current"] == "SUCCESS"
    listed = client(moto_endpoint, "s3").list_objects_v2(Bucket=bucket)["Contents"]
    assert sorted(o["Key"] for o in listed) == ["reports/daily.txt", "reports/weekly.txt"]
