"""The permission check: bindings on the instance and on namespaces with exact-prefix children, the managed
roles, and the RBAC vocabulary."""

from __future__ import annotations

import pytest

from legato.identity import grants, permissions
from legato.identity.permissions import Action, Resource

R, A = Resource, Action


def test_a_namespace_binding_covers_children_by_exact_prefix() -> None:
    g = grants.resolve([(permissions.VIEWER, "dev")])
    assert g.allows(R.FLOW, A.VIEW, "dev")
    assert g.allows(R.FLOW, A.VIEW, "dev.team")
    assert g.allows(R.FLOW, A.VIEW, "dev.team.etl")
    assert not g.allows(R.FLOW, A.VIEW, "development")
    assert not g.allows(R.FLOW, A.VIEW, "de")
    assert not g.allows(R.FLOW, A.VIEW, "prod.dev")
    assert not g.allows(R.FLOW, A.UPDATE, "dev")
    assert g.allows(R.FLOW, A.VIEW)  # somewhere: lists are then filtered to `namespaces`
    assert g.namespaces(R.FLOW, A.VIEW) == ("dev",)
    assert not g.allows_instance(R.FLOW, A.VIEW)


def test_instance_bindings_and_the_owner() -> None:
    g = grants.resolve([(permissions.VIEWER, None), (permissions.EDITOR, "dev"), (permissions.EDITOR, "dev.team")])
    assert g.allows(R.FLOW, A.VIEW, "anything") and g.allows_instance(R.FLOW, A.VIEW)
    assert g.allows(R.FLOW, A.UPDATE, "dev.team") and not g.allows(R.FLOW, A.UPDATE, "prod")
    assert g.scoped[(R.FLOW, A.UPDATE)] == ("dev",)  # dev.team adds nothing under dev
    assert g.namespaces(R.FLOW, A.VIEW) is None
    assert grants.OWNER.allows(R.USER, A.DELETE, "x") and grants.OWNER.allows_instance(R.BINDING, A.CREATE)
    assert not grants.NOTHING.allows(R.FLOW, A.VIEW)


def test_managed_roles_nest_and_only_admin_manages_access() -> None:
    m = permissions.MANAGED
    assert m["viewer"] < m["launcher"] < m["editor"] < m["developer"] < m["admin"] == permissions.ALL
    for role in ("viewer", "launcher", "editor", "developer"):
        assert not {p for p in m[role] if p[0] in permissions.IAM}, role
    assert (R.EXECUTION, A.CREATE) in m["launcher"] and (R.FLOW, A.UPDATE) not in m["launcher"]
    assert (R.FLOW, A.UPDATE) in m["editor"] and (R.SECRET, A.CREATE) not in m["editor"]
    assert (R.SECRET, A.CREATE) in m["developer"] and (R.AUDITLOG, A.VIEW) in m["developer"]
    assert (R.EXECUTION, A.ACCESS_LOGS) in m["viewer"] and (R.EXECUTION, A.KILL) not in m["viewer"]


def test_permission_texts_parse_or_name_the_mistake() -> None:
    assert permissions.parse("flow:view") == (R.FLOW, A.VIEW)
    assert permissions.text((R.EXECUTION, A.KILL)) == "EXECUTION:KILL"
    with pytest.raises(ValueError, match="unknown resource 'FLOWS'"):
        permissions.parse("FLOWS:VIEW")
    with pytest.raises(ValueError, match="unknown action 'KILL' for FLOW"):
        permissions.parse("FLOW:KILL")
    assert len(permissions.ALL) > 100
