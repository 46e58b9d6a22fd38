"""io.kestra.plugin.jenkins.JobBuild and JobInfo with httpx against the Jenkins remote access API test double
(tests/jenkins_double.py): parameters as a form, foldered job names, basic auth with an API token, errors."""

from __future__ import annotations

import pytest
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
