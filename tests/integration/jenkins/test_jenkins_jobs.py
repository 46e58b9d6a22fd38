"""io.kestra.plugin.jenkins.JobBuild and JobInfo with httpx against the Jenkins remote access API test double
(tests/jenkins_double.py): parameters as a form, foldered job names, basic auth with an API token, errors."""

from __future__ import annotations

import pytest
from tests.dns_double import fake_dns, witness
from tests.integration.fs.conftest import Tasks
from tests.jenkins_double import TOKEN, USER, JenkinsDouble

from legato.plugins.context import TaskFailed


def _auth(jenkins: JenkinsDouble, token: str = TOKEN) -> str:
    return f"serverUrl: {jenkins.url}/\nusername: {USER}\napiToken: {token}\n"


def test_build_then_read_the_build(jenkins: JenkinsDouble, tasks: Tasks) -> None:
    built = tasks.run(f"""\
id: build
type: io.kestra.plugin.jenkins.JobBuild
jobName: team/web app
{_auth(jenkins)}parameters:
  branch: "{{{{ 'main' }}}}"
  environment: [staging, prod]
  dryRun: false
""")
    assert built == {"status": 201}
    assert "Triggered job 'team/web app' with status code: 201" in tasks.messages()
    info = tasks.run(f"id: info\ntype: io.kestra.plugin.jenkins.JobInfo\njobName: team/web app\nbuildNumber: 1\n{_auth(jenkins)}")["info"]
    assert info["number"] == 1 and info["result"] == "SUCCESS" and info["building"] is False
    assert info["actions"][0]["parameters"] == [{"name": "branch", "value": "main"},
                                                {"name": "environment", "value": "staging"},
                                                {"name": "environment", "value": "prod"},
                                                {"name": "dryRun", "value": "false"}]
    assert info["url"].endswith("/job/team/job/web%20app/1/")


def test_kestras_serverUri_spelling_is_accepted(jenkins: JenkinsDouble, tasks: Tasks) -> None:
    source = f"id: build\ntype: io.kestra.plugin.jenkins.JobBuild\njobName: deploy-app\n{_auth(jenkins)}"
    assert tasks.run(source.replace("serverUrl:", "serverUri:")) == {"status": 201}
    assert len(jenkins.builds["deploy-app"]) == 1


def test_errors_name_the_status(jenkins: JenkinsDouble, tasks: Tasks) -> None:
    with pytest.raises(TaskFailed, match="Jenkins answered 401"):
        tasks.run(f"id: b\ntype: io.kestra.plugin.jenkins.JobBuild\njobName: deploy-app\n{_auth(jenkins, 'wrong')}")
    with pytest.raises(TaskFailed, match=r"Jenkins answered 404 to POST .*/job/nothing/buildWithParameters"):
        tasks.run(f"id: b\ntype: io.kestra.plugin.jenkins.JobBuild\njobName: nothing\n{_auth(jenkins)}")
    with pytest.raises(TaskFailed, match="Jenkins answered 404 to GET"):
        tasks.run(f"id: i\ntype: io.kestra.plugin.jenkins.JobInfo\njobName: deploy-app\nbuildNumber: 7\n{_auth(jenkins)}")


def _build(jenkins: JenkinsDouble, host: str) -> str:
    port = jenkins.url.rsplit(":", 1)[1]
    return (f"id: b\ntype: io.kestra.plugin.jenkins.JobBuild\njobName: deploy-app\nserverUrl: http://{host}:{port}/\n"
            f"username: {USER}\napiToken: {TOKEN}\n")


def test_a_name_is_checked_by_what_it_resolves_to(jenkins: JenkinsDouble, tasks: Tasks, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_dns(monkeypatch, {"jenkins.test": ["127.0.0.1"], "inside.test": ["127.0.0.2"]})
    assert tasks.run(_build(jenkins, "jenkins.test")) == {"status": 201}  # 127.0.0.1 is allowed by the fixture
    with pytest.raises(TaskFailed, match=r"refusing to connect to inside\.test \(127\.0\.0\.2\)"):
        tasks.run(_build(jenkins, "inside.test"))
    assert len(jenkins.builds["deploy-app"]) == 1


def test_a_name_that_changes_its_answer_after_the_check_is_not_followed(
        jenkins: JenkinsDouble, tasks: Tasks, monkeypatch: pytest.MonkeyPatch) -> None:
    """DNS rebinding: the name answers an allowed address first, then an internal one. The connection goes to
    a checked address, so the internal server (the witness on 127.0.0.2) sees nothing."""
    port = int(jenkins.url.rsplit(":", 1)[1])
    looked_up = fake_dns(monkeypatch, {"rebind.test": ["127.0.0.1", "127.0.0.2"]})
    with witness("127.0.0.2", port) as inside, pytest.raises(TaskFailed, match=r"refusing to connect to rebind\.test \(127\.0\.0\.2\)"):
        tasks.run(_build(jenkins, "rebind.test"))
    assert inside == [] and len(looked_up) == 2
    assert "deploy-app" not in jenkins.builds or jenkins.builds["deploy-app"] == []
