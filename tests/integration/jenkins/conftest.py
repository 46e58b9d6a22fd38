"""The Jenkins test double (tests/jenkins_double.py) and the fs tests' task harness; loopback allowed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tests.integration.fs.conftest import clock as clock
from tests.integration.fs.conftest import harness as harness
from tests.integration.fs.conftest import tasks as tasks
from tests.jenkins_double import JenkinsDouble, jenkins_double

from legato.plugins.core.netguard import ENV_ALLOWED


@pytest.fixture
def jenkins(monkeypatch: pytest.MonkeyPatch) -> Iterator[JenkinsDouble]:
    monkeypatch.setenv(ENV_ALLOWED, "127.0.0.1/32")
    with jenkins_double(["deploy-app", "team/web app"]) as double:
        yield double
