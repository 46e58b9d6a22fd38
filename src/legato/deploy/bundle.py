"""A namespace's deploy as the services apply it, built from the sources a client sends (the API's deploy
route): test suites are parsed here, so that an invalid one is refused with its line before anything is written."""

from __future__ import annotations

from legato.flowtests.suite import parse_suite
from legato.model.errors import FlowValidationError, Problem
from legato.services.flows import NamespaceDeploy
from legato.store.ports import SuiteSave


def namespace_change(namespace: str, *, flows: list[str], flow_deletions: list[str], suites: list[str],
                     suite_deletions: list[str], apps: list[str], app_deletions: list[str], files: dict[str, bytes],
                     file_deletions: list[str]) -> NamespaceDeploy:
    """The change of `namespace`; FlowValidationError with every problem of its test suites."""
    saves, problems = [], []
    for n, source in enumerate(suites):
        try:
            suite = parse_suite(source, f"suites[{n}]")
        except FlowValidationError as exc:
            problems.extend(exc.problems)
            continue
        if suite.namespace != namespace:
            problems.append(Problem("namespace", f"test suite {suite.id} is in '{suite.namespace}', not '{namespace}'"))
        saves.append(SuiteSave(suite.namespace, suite.id, suite.flowId, source, suite.disabled))
    if problems:
        raise FlowValidationError(problems)
    return NamespaceDeploy(namespace, flows=list(flows), flow_deletions=list(flow_deletions), suites=saves,
                           suite_deletions=list(suite_deletions), files=dict(files),
                           file_deletions=list(file_deletions), apps=list(apps), app_deletions=list(app_deletions))
