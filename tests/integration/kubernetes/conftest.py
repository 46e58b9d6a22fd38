"""The Kubernetes API server emulator (tests/kube_emulator.py: no cluster runs here) and the fs tests' task
harness; the loopback address is allowed to the tasks."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tests.integration.fs.conftest import clock as clock
from tests.integration.fs.conftest import harness as harness
from tests.integration.fs.conftest import tasks as tasks
from tests.kube_emulator import TOKEN, KubeEmulator, kube_emulator

from legato.plugins.core.netguard import ENV_ALLOWED


@pytest.fixture
def kube(monkeypatch: pytest.MonkeyPatch) -> Iterator[KubeEmulator]:
    monkeypatch.setenv(ENV_ALLOWED, "127.0.0.1/32")
    with kube_emulator() as emulator:
        yield emulator


def connection(kube: KubeEmulator, token: str = TOKEN) -> str:
    return f"connection:\n  masterUrl: {kube.url}\n  oauthToken: {token}\n"
