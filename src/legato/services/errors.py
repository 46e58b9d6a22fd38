"""What the services refuse, as the API (401, 403, 404, 409) and the CLI (a message) report it."""

from __future__ import annotations


class NotFoundError(LookupError):
    """The flow, execution or trigger does not exist."""


class ConflictError(ValueError):
    """The action does not fit the current state (of an execution, a trigger, a flow)."""


class ForbiddenError(PermissionError):
    """The acting principal lacks a permission; the message names it (403 in the API)."""

    def __init__(self, resource: str, action: str, namespace: str | None, *, instance: bool = False,
                 hint: str = "") -> None:
        self.permission = f"{resource}:{action}"
        self.namespace = namespace
        where = f" on namespace '{namespace}'" if namespace else (" on the instance" if instance else "")
        super().__init__(f"missing permission {self.permission}{where}{hint}")


class AuthenticationError(PermissionError):
    """Credentials are missing, wrong, expired or revoked, or the account is disabled or locked (401)."""
