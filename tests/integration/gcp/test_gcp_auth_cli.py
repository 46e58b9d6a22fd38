"""gcp.auth.OauthAccessToken against a test double of Google's OAuth token endpoint (tests/integration/gcp/
oauth_double.py: it checks the service account's signed JWT), and gcp.cli.GCloudCLI through the process runner with
the real `gcloud` (its token comes from the double), and azure.cli.AzCLI with a stand-in `az` shipped to the working directory (the
Azure CLI is not installed here) that records the command lines: the `az login` line is the task's own work."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from tests.integration.gcp.oauth_double import OAuthDouble
from tests.integration.objectstore_support import Tasks

from legato.plugins.context import TaskFailed


@pytest.fixture
def oauth() -> Iterator[OAuthDouble]:
    double = OAuthDouble()
    with double.serve():
        yield double


def test_oauth_access_token_of_a_service_account(tasks: Tasks, oauth: OAuthDouble, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("STORAGE_EMULATOR_HOST", raising=False)
    key = json.dumps(oauth.key_json())  # a YAML-safe quoted string
    out = tasks.run(f"id: t\ntype: io.kestra.plugin.gcp.auth.OauthAccessToken\nprojectId: test-project\nserviceAccount: {key}\n"
                    "scopes:\n  - https://www.googleapis.com/auth/devstorage.read_only\n")
    token = out["accessToken"]
    assert token["tokenValue"] == oauth.issued[-1]["token"]
    assert oauth.issued[-1]["scope"] == "https://www.googleapis.com/auth/devstorage.read_only"
    assert token["scopes"] == ["https://www.googleapis.com/auth/devstorage.read_only"]
    expires = datetime.fromisoformat(token["expirationTime"].replace("Z", "+00:00"))
    assert 3000 < (expires - datetime.now(UTC)).total_seconds() < 3700


def test_oauth_access_token_refused_fails_the_task(tasks: Tasks, oauth: OAuthDouble, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("STORAGE_EMULATOR_HOST", raising=False)
    key = json.loads(oauth.key_json())
    key["client_email"] = "someone-else@test-project.iam.gserviceaccount.com"
    with pytest.raises(TaskFailed, match=r"cannot get an access token.*invalid_grant"):
        tasks.run(f"id: t\ntype: io.kestra.plugin.gcp.auth.OauthAccessToken\nserviceAccount: {json.dumps(json.dumps(key))}\n")


@pytest.mark.skipif(shutil.which("gcloud") is None, reason="the Google Cloud CLI is not installed")
def test_gcloud_cli_authenticates_with_the_key_file(tasks: Tasks, oauth: OAuthDouble, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEGATO_SCRIPT_NETWORK", "host")  # the double listens on the host's 127.0.0.1
    # the real gcloud, sent to the double for its token (its auth/token_host property): the token it prints is
    # one the double issued for the key the task wrote
    key = json.dumps(oauth.key_json())
    out = tasks.run(f"""id: t
type: io.kestra.plugin.gcp.cli.GCloudCLI
serviceAccount: {key}
projectId: "{{{{ inputs.project }}}}"
env:
  CLOUDSDK_AUTH_TOKEN_HOST: {oauth.base_url}/token
outputFiles:
  - project.txt
commands:
  - gcloud config get-value project > project.txt
  - echo '::{{"outputs":{{"token":"'$(gcloud auth print-access-token)'"}}}}::'
""", inputs={"project": "my-project"})
    assert tasks.read(out["outputFiles"]["project.txt"]).decode().strip() == "my-project", tasks.messages()
    assert out["vars"]["token"] and out["vars"]["token"] in [i["token"] for i in oauth.issued], tasks.messages()
    assert set(out["outputFiles"]) == {"project.txt"}  # the key file stays in the working directory, removed with it


def test_gcloud_cli_rejects_a_key_that_is_not_json(tasks: Tasks) -> None:
    with pytest.raises(TaskFailed, match="serviceAccount"):
        tasks.run("id: t\ntype: io.kestra.plugin.gcp.cli.GCloudCLI\nserviceAccount: not-json\ncommands: [gcloud info]\n")


AZ = """\
#!/bin/sh
echo "$*" >> calls.txt
[ "$1" = login ] && echo '[{"subscription": 1}]'
[ "$1" = account ] && echo eastus
exit 0
"""


def _az(source: str) -> str:
    """The task with the stand-in `az` shipped to its working directory and first on PATH."""
    return source + (f"inputFiles:\n  bin/az: {json.dumps(AZ)}\n"
                     "beforeCommands:\n  - chmod +x bin/az\n  - export PATH=\"$PWD/bin:$PATH\"\n"
                     "outputFiles:\n  - calls.txt\n")


def test_az_cli_logs_in_before_the_commands(tasks: Tasks) -> None:
    out = tasks.run(_az("""id: t
type: io.kestra.plugin.azure.cli.AzCLI
tenant: my-tenant
username: app-id
password: "s3cret with space"
servicePrincipal: true
commands:
  - az account list-locations --query "[].{Region:name}" -o table
"""))
    assert tasks.read(out["outputFiles"]["calls.txt"]).decode().splitlines() == [
        "login -u app-id -p s3cret with space --tenant my-tenant --service-principal",
        "account list-locations --query [].{Region:name} -o table",
    ]
    assert not any("subscription" in m for m in tasks.messages())  # the login's account list is not logged
    assert any("eastus" in m for m in tasks.messages())
    plain = tasks.run(_az("id: t\ntype: io.kestra.plugin.azure.cli.AzCLI\ncommands:\n  - az version\n"))
    assert tasks.read(plain["outputFiles"]["calls.txt"]).decode().splitlines() == ["version"]  # no username: no login
