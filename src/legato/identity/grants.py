"""Resolved permissions of one principal and the permission check: a pure function over them.

A binding gives a role's permissions on the whole instance (namespace None) or on a namespace and its children.
Children by exact prefix: `dev` covers `dev` and `dev.team`, never `development`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from legato.identity.permissions import Action, Permission, Resource


def covers(scope: str, namespace: str) -> bool:
    """Whether a binding on namespace `scope` reaches `namespace` (itself or a child)."""
    return namespace == scope or (namespace.startswith(scope) and namespace[len(scope)] == ".")


@dataclass(frozen=True)
class Grants:
    """What one principal may do. `owner`: the instance owner, everything everywhere. `everywhere`: permissions
    bound at instance scope. `scoped`: permission -> the namespaces it is bound on (children included)."""

    owner: bool = False
    everywhere: frozenset[Permission] = frozenset()
    scoped: dict[Permission, tuple[str, ...]] = field(default_factory=dict)
    # per permission: its scopes as a set (the namespace itself) and as "scope." prefixes (its children), so the
    # check is one set lookup and one str.startswith over a tuple, both in C
    _index: dict[Permission, tuple[frozenset[str], tuple[str, ...]]] = field(
        default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for key, scopes in self.scoped.items():
            self._index[key] = (frozenset(scopes), tuple(f"{scope}." for scope in scopes))

    def allows(self, resource: Resource, action: Action, namespace: str | None = None) -> bool:
        """The permission check. `namespace` None: allowed on at least one namespace (lists and searches,
        filtered by the services to `namespaces()`)."""
        key = (resource, action)
        if self.owner or key in self.everywhere:
            return True
        index = self._index.get(key)
        if index is None:
            return False
        return namespace is None or namespace in index[0] or namespace.startswith(index[1])

    def allows_instance(self, resource: Resource, action: Action) -> bool:
        """Allowed at instance scope (not only on some namespaces): for users, roles and other global records."""
        return self.owner or (resource, action) in self.everywhere

    def namespaces(self, resource: Resource, action: Action) -> tuple[str, ...] | None:
        """The namespace scopes a list must be filtered to; None when not limited (instance scope)."""
        key = (resource, action)
        if self.owner or key in self.everywhere:
            return None
        return self.scoped.get(key, ())

    def permissions(self) -> list[dict[str, object]]:
        """A JSON-able view: each permission with its scopes (None: everywhere)."""
        rows: list[dict[str, object]] = [{"permission": f"{r.value}:{a.value}", "namespaces": None}
                                         for r, a in sorted(self.everywhere)]
        rows += [{"permission": f"{r.value}:{a.value}", "namespaces": list(ns)}
                 for (r, a), ns in sorted(self.scoped.items()) if (r, a) not in self.everywhere]
        return rows


OWNER = Grants(owner=True)
NOTHING = Grants()


def resolve(bound: Iterable[tuple[frozenset[Permission], str | None]], *, owner: bool = False) -> Grants:
    """Grants from (role permissions, binding namespace or None) pairs."""
    everywhere: set[Permission] = set()
    scoped: dict[Permission, set[str]] = {}
    for permissions, namespace in bound:
        if namespace is None:
            everywhere |= permissions
        else:
            for permission in permissions:
                scoped.setdefault(permission, set()).add(namespace)
    # A scope inside another scope of the same permission adds nothing; dropping it keeps the check short.
    return Grants(owner=owner, everywhere=frozenset(everywhere),
                  scoped={p: _outermost(ns) for p, ns in scoped.items() if p not in everywhere})


def _outermost(namespaces: set[str]) -> tuple[str, ...]:
    kept = [n for n in namespaces if not any(o != n and covers(o, n) for o in namespaces)]
    return tuple(sorted(kept))
