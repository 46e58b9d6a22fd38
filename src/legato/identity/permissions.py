"""The RBAC vocabulary, in Kestra 2.0's terms: a permission is a resource x an action; a role is a set of
permissions; the managed roles are the five every instance has."""

from __future__ import annotations

from enum import StrEnum


class Resource(StrEnum):
    FLOW = "FLOW"
    EXECUTION = "EXECUTION"
    TRIGGER = "TRIGGER"
    NAMESPACE = "NAMESPACE"
    KVSTORE = "KVSTORE"
    SECRET = "SECRET"  # noqa: S105 - a resource name, not a password
    APP = "APP"
    APPEXECUTION = "APPEXECUTION"
    TESTSUITE = "TESTSUITE"
    DASHBOARD = "DASHBOARD"
    ASSET = "ASSET"  # Kestra's Assets: what flows read and write, and their lineage
    BLUEPRINT = "BLUEPRINT"
    TEMPLATE = "TEMPLATE"
    AUDITLOG = "AUDITLOG"
    USER = "USER"
    GROUP = "GROUP"
    ROLE = "ROLE"
    BINDING = "BINDING"
    SERVICE_ACCOUNT = "SERVICE_ACCOUNT"
    APITOKEN = "APITOKEN"
    SETTING = "SETTING"
    INFRASTRUCTURE = "INFRASTRUCTURE"
    TENANT = "TENANT"  # the tenant registry: managed from `main`


class Action(StrEnum):
    VIEW = "VIEW"
    LIST = "LIST"
    CREATE = "CREATE"
    UPDATE = "UPDATE"
    DELETE = "DELETE"
    EXECUTE = "EXECUTE"
    RESTART = "RESTART"
    KILL = "KILL"
    REPLAY = "REPLAY"
    PAUSE = "PAUSE"
    RESUME = "RESUME"
    ACCESS_LOGS = "ACCESS_LOGS"
    ACCESS_OUTPUTS = "ACCESS_OUTPUTS"
    ACCESS_FILES = "ACCESS_FILES"
    MANAGE_FILES = "MANAGE_FILES"
    BACKFILL = "BACKFILL"
    EXPORT = "EXPORT"
    IMPORT = "IMPORT"


Permission = tuple[Resource, Action]

CRUD = (Action.VIEW, Action.LIST, Action.CREATE, Action.UPDATE, Action.DELETE)
READ = (Action.VIEW, Action.LIST)

# The actions that make sense on each resource: a role may only name these (a typo is an error, not a no-op).
ACTIONS: dict[Resource, tuple[Action, ...]] = {
    Resource.FLOW: (*CRUD, Action.EXECUTE, Action.EXPORT, Action.IMPORT),
    Resource.EXECUTION: (*CRUD, Action.RESTART, Action.KILL, Action.REPLAY, Action.PAUSE, Action.RESUME,
                         Action.ACCESS_LOGS, Action.ACCESS_OUTPUTS, Action.ACCESS_FILES, Action.EXPORT),
    Resource.TRIGGER: (*CRUD, Action.BACKFILL),
    Resource.NAMESPACE: (*CRUD, Action.ACCESS_FILES, Action.MANAGE_FILES, Action.EXPORT, Action.IMPORT),
    Resource.KVSTORE: CRUD,
    Resource.SECRET: CRUD,
    Resource.APP: (*CRUD, Action.EXECUTE),
    Resource.APPEXECUTION: CRUD,
    Resource.TESTSUITE: (*CRUD, Action.EXECUTE),
    Resource.DASHBOARD: CRUD,
    Resource.ASSET: CRUD,
    Resource.BLUEPRINT: CRUD,
    Resource.TEMPLATE: CRUD,
    Resource.AUDITLOG: (*READ, Action.EXPORT),
    Resource.USER: CRUD,
    Resource.GROUP: CRUD,
    Resource.ROLE: CRUD,
    Resource.BINDING: CRUD,
    Resource.SERVICE_ACCOUNT: CRUD,
    Resource.APITOKEN: CRUD,
    Resource.SETTING: (*READ, Action.UPDATE),
    Resource.INFRASTRUCTURE: READ,
    Resource.TENANT: CRUD,
}

ALL: frozenset[Permission] = frozenset((r, a) for r, actions in ACTIONS.items() for a in actions)

# Who manages access itself: only Admin gets these among the managed roles.
IAM = frozenset({Resource.USER, Resource.GROUP, Resource.ROLE, Resource.BINDING, Resource.SERVICE_ACCOUNT,
                 Resource.APITOKEN})


def parse(text: str) -> Permission:
    """'FLOW:VIEW' -> (Resource.FLOW, Action.VIEW); ValueError naming what is unknown."""
    resource_name, sep, action_name = text.strip().upper().partition(":")
    try:
        resource = Resource(resource_name)
    except ValueError:
        raise ValueError(f"unknown resource {resource_name!r} in permission {text!r}; "
                         f"use one of {', '.join(r.value for r in Resource)}") from None
    if not sep or action_name not in {a.value for a in ACTIONS[resource]}:
        raise ValueError(f"unknown action {action_name!r} for {resource.value} in permission {text!r}; "
                         f"use one of {', '.join(a.value for a in ACTIONS[resource])}")
    return resource, Action(action_name)


def text(permission: Permission) -> str:
    """(FLOW, VIEW) -> 'FLOW:VIEW'."""
    return f"{permission[0].value}:{permission[1].value}"


def _of(resources: tuple[Resource, ...], actions: tuple[Action, ...]) -> frozenset[Permission]:
    return frozenset((r, a) for r in resources for a in actions if a in ACTIONS[r])


_WORK = (Resource.FLOW, Resource.EXECUTION, Resource.TRIGGER, Resource.NAMESPACE, Resource.KVSTORE, Resource.APP,
         Resource.APPEXECUTION, Resource.TESTSUITE, Resource.DASHBOARD, Resource.ASSET, Resource.BLUEPRINT,
         Resource.TEMPLATE)
_READ_EXTRAS = (Action.ACCESS_LOGS, Action.ACCESS_OUTPUTS, Action.ACCESS_FILES)

VIEWER = _of((*_WORK, Resource.SECRET), (*READ, *_READ_EXTRAS))
LAUNCHER = VIEWER | {(Resource.FLOW, Action.EXECUTE), (Resource.EXECUTION, Action.CREATE),
                     (Resource.APP, Action.EXECUTE), (Resource.APPEXECUTION, Action.CREATE),
                     (Resource.TESTSUITE, Action.EXECUTE)}
EDITOR = LAUNCHER | _of(_WORK, (Action.CREATE, Action.UPDATE, Action.DELETE, Action.MANAGE_FILES, Action.RESTART,
                                Action.KILL, Action.REPLAY, Action.PAUSE, Action.RESUME))
DEVELOPER = EDITOR | _of((*_WORK, Resource.SECRET), tuple(Action)) | _of((Resource.AUDITLOG,), READ)
ADMIN = ALL

# The managed roles: present in every instance, not editable, by id.
MANAGED: dict[str, frozenset[Permission]] = {
    "admin": ADMIN,
    "developer": DEVELOPER,
    "editor": EDITOR,
    "launcher": LAUNCHER,
    "viewer": VIEWER,
}
MANAGED_NAMES = {"admin": "Admin", "developer": "Developer", "editor": "Editor", "launcher": "Launcher",
                 "viewer": "Viewer"}
