"""The compatibility suite: flows written like Kestra users write them, in both dialects (tests/compat/flows/v1
and v2), each run on one real Legato and checked against the final state and outputs its `#| ` header states
(tests/compat/harness.py). Behaviours Legato does not have yet are `xfail: "<bug>"` in their header: strict,
so each flips to a failure to fix the header once the bug is fixed.

Every 1.x flow is also migrated to the 2.0 dialect (`legato flow migrate`) and run again: same final state,
same flow outputs; and a migrated flow has nothing left to migrate.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from legato.model import dialect, dialect_yaml
from tests.compat.harness import Instance, Outcome, check, header, parse

ROOT = Path(__file__).parent / "flows"
# Secrets the flows read with secret() (Kestra's open-source backend: SECRET_<NAME>, base64-encoded).
SECRETS = {"SECRET_COMPAT_TOKEN": "czNjcjN0LXZhbHVl", "SECRET_COMPAT_JSON": "eyJ1c2VyIjogImFkYSJ9",
           # and what `envs.*` reads (Kestra's two prefixes)
           "ENV_COMPAT_REGION": "eu-west", "KESTRA_COMPAT_TIER": "gold"}
FILES = sorted(ROOT.rglob("*.yaml"))
HEADERS = {path: header(path.read_text(), path.name) for path in FILES}
RUNNABLE = [p for p in FILES if not HEADERS[p].get("subflow_only")]
# A flow whose 1.x behaviour is still a bug of Legato (xfail) is kept out of the migration round trip.
V1 = [p for p in RUNNABLE if HEADERS[p].get("dialect", "1.x") == "1.x" and HEADERS[p].get("migrate", True)
      and not HEADERS[p].get("xfail")]


def _params(paths: list[Path]) -> list[Any]:
    out = []
    for path in paths:
        reason = HEADERS[path].get("xfail")
        marks = [pytest.mark.xfail(strict=True, reason=str(reason))] if reason else []
        out.append(pytest.param(path, id=f"{path.parent.name}/{path.stem}", marks=marks))
    return out


Deployed = dict[Path, "tuple[str, str] | Exception"]


def _deploy_all(instance: Instance, sources: dict[Path, str]) -> Deployed:
    """Each flow's (namespace, id), or why it was refused (a known bug's flow may not parse yet)."""
    out: Deployed = {}
    for path, text in sources.items():
        try:
            out[path] = instance.deploy(text, path.name)
        except Exception as exc:  # the test of that flow raises it
            out[path] = exc
    return out


def _flow(flows: Deployed, path: Path) -> tuple[str, str]:
    deployed = flows[path]
    if isinstance(deployed, Exception):
        raise deployed
    return deployed


# The module fixture (the Kestra cases and their server) is built once: its tests stay on one xdist worker.
pytestmark = pytest.mark.xdist_group("compat")


@pytest.fixture(scope="module", autouse=True)
def secrets() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        for name, value in SECRETS.items():
            patch.setenv(name, value)
        yield


@pytest.fixture(scope="module")
def legato(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Instance, Deployed]]:
    with Instance(tmp_path_factory.mktemp("compat")) as instance:
        yield instance, _deploy_all(instance, {p: p.read_text() for p in FILES})


def migrated(path: Path) -> str:
    text, _ = dialect.migrated_text(dialect_yaml.load(path.read_text(), path.name))
    return text


@pytest.fixture(scope="module")
def legato_v2(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Instance, Deployed]]:
    """A second Legato where every 1.x flow is deployed in its migrated form."""
    with Instance(tmp_path_factory.mktemp("compat-migrated")) as instance:
        sources = {p: migrated(p) if HEADERS[p].get("migrate", True) else p.read_text() for p in FILES}
        yield instance, _deploy_all(instance, sources)


def run(instance: Instance, flow: tuple[str, str], expected: dict[str, Any]) -> Outcome:
    return instance.run(*flow, expected.get("inputs"), timeout=float(expected.get("timeout", 30)),
                        resume=expected.get("resume"), stop_on_pause=expected.get("state") == "PAUSED")


def triggered(instance: Instance, expected: dict[str, Any]) -> list[str]:
    """What a Flow trigger was expected to start, compared with what it started."""
    want = expected.get("triggered")
    if not want:
        return []
    namespace, _, flow_id = str(want["flow"]).rpartition(".")
    count = int(want.get("count", 1))
    if count == 0:
        instance.settle(2)
        found = instance.executions_of(namespace, flow_id)
        return [f"{want['flow']} was started {len(found)} times, expected never"] if found else []
    outcomes = instance.wait_for_executions(namespace, flow_id, count, timeout=20)
    problems = [f"{want['flow']} started {len(outcomes)} times, expected {count}"] if len(outcomes) != count else []
    last = outcomes[-1]
    problems += [f"{want['flow']}: {p}" for p in check({k: v for k, v in want.items() if k != "flow"}, last)]
    return problems


@pytest.mark.parametrize("path", _params(RUNNABLE))
def test_flow(legato: tuple[Instance, Deployed], path: Path) -> None:
    instance, flows = legato
    expected = HEADERS[path]
    got = run(instance, _flow(flows, path), expected)
    problems = check(expected, got) + triggered(instance, expected)
    assert not problems, "\n".join(problems) + "\n" + got.describe()


@pytest.mark.parametrize("path", _params(V1))
def test_migrated_flow_ends_the_same(legato_v2: tuple[Instance, Deployed], path: Path) -> None:
    instance, flows = legato_v2
    expected = HEADERS[path]
    got = run(instance, _flow(flows, path), expected)
    same = {k: v for k, v in expected.items() if k in ("state", "outputs", "inputs", "triggered")}
    problems = check(same, got) + triggered(instance, same)
    assert not problems, "migrated:\n" + migrated(path) + "\n" + "\n".join(problems) + "\n" + got.describe()


def test_the_suite_covers_both_dialects() -> None:
    """At least 150 flows, each parsing and stating its final state, both dialects well represented."""
    assert len(FILES) >= 150
    for path in FILES:
        if not HEADERS[path].get("xfail"):
            parse(path.read_text(), path.name)
        assert HEADERS[path].get("subflow_only") or "state" in HEADERS[path], f"{path.name}: no state in header"
    v2 = [p for p in FILES if HEADERS[p].get("dialect") == "2.0"]
    assert len(v2) >= 50 and len(FILES) - len(v2) >= 80


@pytest.mark.parametrize("path", [pytest.param(p, id=f"{p.parent.name}/{p.stem}") for p in V1 if p.parent.name != "bugs"])
def test_migration_is_complete_and_stable(path: Path) -> None:
    """A migrated flow parses, and migrating it again finds nothing more to rewrite."""
    text = migrated(path)
    parse(text, path.name)
    again = dialect.upgrade(dialect_yaml.load(text, path.name), rewrite=True)
    assert not [f for f in again.findings if f.automatic], [f.render(path.name) for f in again.findings]
