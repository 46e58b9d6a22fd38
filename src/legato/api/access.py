"""Who may call what: one table from every API operation (method + route template) to its rule, enforced in
one place (`authorize`, a dependency of every route). A route missing from the table is refused (and a test
fails for it). The namespace of a check is the route's `namespace` path parameter, or the namespace of its
`executionId`; operations on several namespaces at once (searches, bulk actions, a flow in a body) are checked
again by the services for each namespace they touch."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Literal

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from legato.api import dto
from legato.api.context import KNOWN, context, principal
from legato.api.errors import ApiError
from legato.identity import grants as grants_
from legato.identity.permissions import Action, Resource
from legato.services import access as access_services
from legato.services.principal import Principal, in_tenant
from legato.store.ports import MAIN

R, A = Resource, Action


@dataclass(frozen=True)
class Need:
    """A permission; `instance`: needed on the whole instance (access management), not on some namespace."""

    resource: Resource
    action: Action
    instance: bool = False

    def __str__(self) -> str:
        return f"{self.resource.value}:{self.action.value}"


Rule = Need | Literal["public", "authenticated", "app"]
PUBLIC: Rule = "public"
SIGNED_IN: Rule = "authenticated"
# An app page's routes: reachable without credentials (a PUBLIC app answers anyone), used with them when sent
# (a PRIVATE app checks the caller itself: legato.services.app_runtime.enter).
APP: Rule = "app"


def _iam(resource: Resource, action: Action) -> Need:
    return Need(resource, action, instance=True)


_T = "/api/v1/{tenant}"
_F = f"{_T}/flows"
_E = f"{_T}/executions"
_X = f"{_E}/{{executionId}}"
_TR = f"{_T}/triggers"
_KV = f"{_T}/namespaces/{{namespace}}/kv"
_NF = f"{_T}/namespaces/{{namespace}}/files"
_P = f"{_T}/plugins"
_B = f"{_T}/blueprints/community"
_U = f"{_T}/users/{{id}}"
_SA = f"{_T}/service-accounts/{{id}}"
_TS = f"{_T}/tests"
_S = f"{_T}/namespaces/{{namespace}}/secrets"
_D = f"{_T}/dashboards"
_AP = f"{_T}/apps"
_AS = f"{_T}/assets"
_APX = f"{_AP}/{{id}}/executions/{{executionId}}"
_SCIM = f"{_T}/integrations/{{integrationId}}/scim/v2"
SCIM_BASE = _SCIM

RULES: dict[tuple[str, str], Rule] = {
    # system
    ("GET", "/health"): PUBLIC,
    ("GET", "/ready"): PUBLIC,
    ("GET", "/api/v1/configs"): SIGNED_IN,
    ("GET", f"{_T}/configs"): SIGNED_IN,
    ("GET", "/metrics"): Need(R.INFRASTRUCTURE, A.VIEW, instance=True),
    # the web UI's files (not in the OpenAPI document): the built app holds no data (what it shows comes from
    # the routes below), and its sign-in page must load before anyone has signed in
    ("GET", "/"): PUBLIC,
    ("GET", "/ui"): PUBLIC,
    ("GET", "/ui/{path:path}"): PUBLIC,
    # sign-in and one's own account
    ("POST", "/api/v1/login"): PUBLIC,
    ("POST", "/api/v1/logout"): PUBLIC,
    ("GET", "/api/v1/auth/providers"): PUBLIC,
    ("GET", "/api/v1/auth/oidc/login"): PUBLIC,
    ("GET", "/api/v1/auth/oidc/callback"): PUBLIC,
    ("GET", "/api/v1/me"): SIGNED_IN,
    ("GET", f"{_T}/me"): SIGNED_IN,
    ("PUT", "/api/v1/me/password"): SIGNED_IN,
    ("GET", "/api/v1/me/api-tokens"): SIGNED_IN,
    ("POST", "/api/v1/me/api-tokens"): SIGNED_IN,
    ("DELETE", "/api/v1/me/api-tokens/{tokenId}"): SIGNED_IN,
    # flows
    ("GET", f"{_F}/search"): Need(R.FLOW, A.LIST),
    ("GET", f"{_F}/distinct-namespaces"): Need(R.FLOW, A.LIST),
    ("GET", f"{_F}/export/by-query"): Need(R.FLOW, A.EXPORT),
    ("POST", f"{_F}/export/by-ids"): Need(R.FLOW, A.EXPORT),
    ("POST", f"{_F}/import"): Need(R.FLOW, A.CREATE),
    ("DELETE", f"{_F}/delete/by-ids"): Need(R.FLOW, A.DELETE),
    ("DELETE", f"{_F}/delete/by-query"): Need(R.FLOW, A.DELETE),
    ("POST", f"{_F}/disable/by-ids"): Need(R.FLOW, A.UPDATE),
    ("POST", f"{_F}/enable/by-ids"): Need(R.FLOW, A.UPDATE),
    ("POST", f"{_F}/disable/by-query"): Need(R.FLOW, A.UPDATE),
    ("POST", f"{_F}/enable/by-query"): Need(R.FLOW, A.UPDATE),
    ("POST", f"{_F}/validate"): Need(R.FLOW, A.VIEW),
    ("POST", f"{_F}/graph"): Need(R.FLOW, A.VIEW),
    ("POST", _F): Need(R.FLOW, A.CREATE),
    ("POST", f"{_F}/{{namespace}}"): Need(R.FLOW, A.UPDATE),
    ("GET", f"{_F}/{{namespace}}"): Need(R.FLOW, A.LIST),
    ("GET", f"{_F}/{{namespace}}/{{id}}"): Need(R.FLOW, A.VIEW),
    ("PUT", f"{_F}/{{namespace}}/{{id}}"): Need(R.FLOW, A.UPDATE),
    ("DELETE", f"{_F}/{{namespace}}/{{id}}"): Need(R.FLOW, A.DELETE),
    ("GET", f"{_F}/{{namespace}}/{{id}}/revisions"): Need(R.FLOW, A.VIEW),
    ("GET", f"{_F}/{{namespace}}/{{id}}/graph"): Need(R.FLOW, A.VIEW),
    # webhooks: the key in the path is the credential
    ("POST", f"{_E}/webhook/{{namespace}}/{{flowId}}/{{key}}"): PUBLIC,
    ("GET", f"{_E}/webhook/{{namespace}}/{{flowId}}/{{key}}"): PUBLIC,
    ("PUT", f"{_E}/webhook/{{namespace}}/{{flowId}}/{{key}}"): PUBLIC,
    # triggers
    ("GET", f"{_TR}/search"): Need(R.TRIGGER, A.LIST),
    ("GET", f"{_TR}/{{namespace}}/{{flowId}}"): Need(R.TRIGGER, A.LIST),
    ("PUT", _TR): Need(R.TRIGGER, A.UPDATE),
    ("POST", f"{_TR}/{{namespace}}/{{flowId}}/{{triggerId}}/unlock"): Need(R.TRIGGER, A.UPDATE),
    ("POST", f"{_TR}/{{namespace}}/{{flowId}}/{{triggerId}}/restart"): Need(R.TRIGGER, A.UPDATE),
    ("PUT", f"{_TR}/backfill/pause"): Need(R.TRIGGER, A.BACKFILL),
    ("PUT", f"{_TR}/backfill/unpause"): Need(R.TRIGGER, A.BACKFILL),
    ("POST", f"{_TR}/backfill/delete"): Need(R.TRIGGER, A.BACKFILL),
    ("POST", f"{_TR}/backfill/{{action}}/by-triggers"): Need(R.TRIGGER, A.BACKFILL),
    ("POST", f"{_TR}/unlock/by-triggers"): Need(R.TRIGGER, A.UPDATE),
    ("POST", f"{_TR}/set-disabled/by-triggers"): Need(R.TRIGGER, A.UPDATE),
    # executions
    ("GET", f"{_E}/search"): Need(R.EXECUTION, A.LIST),
    ("POST", f"{_E}/{{namespace}}/{{id}}/validate"): Need(R.EXECUTION, A.CREATE),
    ("POST", f"{_E}/{{namespace}}/{{id}}"): Need(R.EXECUTION, A.CREATE),
    ("DELETE", f"{_E}/kill/by-ids"): Need(R.EXECUTION, A.KILL),
    ("POST", f"{_E}/pause/by-ids"): Need(R.EXECUTION, A.PAUSE),
    ("POST", f"{_E}/restart/by-ids"): Need(R.EXECUTION, A.RESTART),
    ("DELETE", f"{_E}/by-ids"): Need(R.EXECUTION, A.DELETE),
    ("GET", _X): Need(R.EXECUTION, A.VIEW),
    ("DELETE", _X): Need(R.EXECUTION, A.DELETE),
    ("POST", f"{_X}/labels"): Need(R.EXECUTION, A.UPDATE),
    ("POST", f"{_X}/replay"): Need(R.EXECUTION, A.REPLAY),
    ("POST", f"{_X}/force-run"): Need(R.EXECUTION, A.UPDATE),
    ("POST", f"{_X}/unqueue"): Need(R.EXECUTION, A.UPDATE),
    ("DELETE", f"{_X}/kill"): Need(R.EXECUTION, A.KILL),
    ("POST", f"{_X}/restart"): Need(R.EXECUTION, A.RESTART),
    ("POST", f"{_X}/pause"): Need(R.EXECUTION, A.PAUSE),
    ("POST", f"{_X}/resume"): Need(R.EXECUTION, A.RESUME),
    ("POST", f"{_X}/state"): Need(R.EXECUTION, A.UPDATE),
    ("GET", f"{_X}/follow"): Need(R.EXECUTION, A.VIEW),
    ("GET", f"{_X}/file"): Need(R.EXECUTION, A.ACCESS_FILES),
    ("GET", f"{_X}/file/metas"): Need(R.EXECUTION, A.ACCESS_FILES),
    ("GET", f"{_X}/file/preview"): Need(R.EXECUTION, A.ACCESS_FILES),
    ("POST", f"{_X}/eval/{{taskRunId}}"): Need(R.EXECUTION, A.ACCESS_OUTPUTS),
    ("GET", f"{_T}/metrics/{{executionId}}"): Need(R.EXECUTION, A.VIEW),
    # logs
    ("GET", f"{_T}/logs/search"): Need(R.EXECUTION, A.ACCESS_LOGS),
    ("GET", f"{_T}/logs/{{executionId}}"): Need(R.EXECUTION, A.ACCESS_LOGS),
    ("DELETE", f"{_T}/logs/{{executionId}}"): Need(R.EXECUTION, A.DELETE),
    ("GET", f"{_T}/logs/{{executionId}}/download"): Need(R.EXECUTION, A.ACCESS_LOGS),
    ("GET", f"{_T}/logs/{{executionId}}/follow"): Need(R.EXECUTION, A.ACCESS_LOGS),
    # KV store
    ("GET", _KV): Need(R.KVSTORE, A.LIST),
    ("DELETE", _KV): Need(R.KVSTORE, A.DELETE),
    ("GET", f"{_KV}/{{key}}"): Need(R.KVSTORE, A.VIEW),
    ("PUT", f"{_KV}/{{key}}"): Need(R.KVSTORE, A.CREATE),
    ("DELETE", f"{_KV}/{{key}}"): Need(R.KVSTORE, A.DELETE),
    # namespace files
    ("GET", f"{_NF}/directory"): Need(R.NAMESPACE, A.ACCESS_FILES),
    ("POST", f"{_NF}/directory"): Need(R.NAMESPACE, A.MANAGE_FILES),
    ("GET", f"{_NF}/stats"): Need(R.NAMESPACE, A.ACCESS_FILES),
    ("GET", f"{_NF}/export"): Need(R.NAMESPACE, A.ACCESS_FILES),
    ("GET", _NF): Need(R.NAMESPACE, A.ACCESS_FILES),
    ("POST", _NF): Need(R.NAMESPACE, A.MANAGE_FILES),
    ("PUT", _NF): Need(R.NAMESPACE, A.MANAGE_FILES),
    ("DELETE", _NF): Need(R.NAMESPACE, A.MANAGE_FILES),
    # a namespace's own settings (description, variables, plugin defaults)
    # the hierarchy of namespaces with their counts (each count limited to what the caller may list)
    ("GET", f"{_T}/namespaces/search"): Need(R.FLOW, A.LIST),
    ("GET", f"{_T}/namespaces/{{namespace}}"): Need(R.NAMESPACE, A.VIEW),
    ("PUT", f"{_T}/namespaces/{{namespace}}"): Need(R.NAMESPACE, A.UPDATE),
    ("GET", f"{_T}/namespaces/{{namespace}}/inherited-variables"): Need(R.NAMESPACE, A.VIEW),
    ("GET", f"{_T}/namespaces/{{namespace}}/inherited-plugindefaults"): Need(R.NAMESPACE, A.VIEW),
    # flow unit tests (test suites and their results)
    ("GET", f"{_TS}/search"): Need(R.TESTSUITE, A.LIST),
    ("POST", f"{_TS}/validate"): Need(R.TESTSUITE, A.VIEW),
    ("POST", f"{_TS}/run"): Need(R.TESTSUITE, A.EXECUTE),
    ("GET", f"{_TS}/results/search"): Need(R.TESTSUITE, A.VIEW),
    ("POST", f"{_TS}/results/search/last"): Need(R.TESTSUITE, A.VIEW),
    ("GET", f"{_TS}/results/{{id}}"): Need(R.TESTSUITE, A.VIEW),
    ("POST", _TS): Need(R.TESTSUITE, A.CREATE),
    ("GET", f"{_TS}/{{namespace}}/{{id}}"): Need(R.TESTSUITE, A.VIEW),
    ("PUT", f"{_TS}/{{namespace}}/{{id}}"): Need(R.TESTSUITE, A.UPDATE),
    ("DELETE", f"{_TS}/{{namespace}}/{{id}}"): Need(R.TESTSUITE, A.DELETE),
    ("POST", f"{_TS}/{{namespace}}/{{id}}/run"): Need(R.TESTSUITE, A.EXECUTE),
    # `legato deploy --server`: a bundle of several kinds of resources; the services check the permission of
    # each change (flows, test suites, apps, files of the namespace; the dashboards on the instance)
    ("POST", f"{_T}/deploy/namespaces/{{namespace}}"): SIGNED_IN,
    ("POST", f"{_T}/deploy/dashboards"): SIGNED_IN,
    # custom dashboards (a chart's rows are limited by the services to the namespaces the reader may see)
    ("GET", _D): Need(R.DASHBOARD, A.LIST),
    ("POST", _D): _iam(R.DASHBOARD, A.CREATE),
    ("POST", f"{_D}/validate"): Need(R.DASHBOARD, A.VIEW),
    ("POST", f"{_D}/charts/preview"): Need(R.DASHBOARD, A.VIEW),
    ("GET", f"{_D}/{{id}}"): Need(R.DASHBOARD, A.VIEW),
    ("PUT", f"{_D}/{{id}}"): _iam(R.DASHBOARD, A.UPDATE),
    ("DELETE", f"{_D}/{{id}}"): _iam(R.DASHBOARD, A.DELETE),
    ("POST", f"{_D}/{{id}}/charts/{{chartId}}"): Need(R.DASHBOARD, A.VIEW),
    ("POST", f"{_D}/{{id}}/charts/{{chartId}}/export/to-csv"): Need(R.DASHBOARD, A.VIEW),
    # assets (a search is limited by the services to the namespaces the reader may see)
    ("GET", f"{_AS}/search"): Need(R.ASSET, A.LIST),
    ("POST", _AS): Need(R.ASSET, A.CREATE),
    ("GET", f"{_AS}/{{id}}"): Need(R.ASSET, A.VIEW),
    ("PUT", f"{_AS}/{{id}}"): Need(R.ASSET, A.UPDATE),
    ("DELETE", f"{_AS}/{{id}}"): Need(R.ASSET, A.DELETE),
    ("GET", f"{_X}/assets"): Need(R.EXECUTION, A.VIEW),
    # apps: managing them, and the routes of an app's page
    ("GET", _AP): Need(R.APP, A.LIST),
    ("POST", _AP): Need(R.APP, A.CREATE),
    ("GET", f"{_AP}/catalog"): SIGNED_IN,
    ("POST", f"{_AP}/validate"): Need(R.APP, A.VIEW),
    ("POST", f"{_AP}/preview"): Need(R.APP, A.VIEW),
    ("GET", f"{_AP}/{{id}}"): Need(R.APP, A.VIEW),
    ("PUT", f"{_AP}/{{id}}"): Need(R.APP, A.UPDATE),
    ("DELETE", f"{_AP}/{{id}}"): Need(R.APP, A.DELETE),
    ("GET", f"{_AP}/{{id}}/view"): APP,
    ("GET", f"{_AP}/{{id}}/follow"): APP,
    ("POST", f"{_AP}/{{id}}/executions"): APP,
    ("POST", f"{_APX}/resume"): APP,
    ("POST", f"{_APX}/cancel"): APP,
    ("GET", f"{_APX}/file"): APP,
    # namespace secrets (values never returned)
    ("GET", _S): Need(R.SECRET, A.LIST),
    ("PUT", _S): Need(R.SECRET, A.CREATE),
    ("PATCH", f"{_S}/{{key}}"): Need(R.SECRET, A.UPDATE),
    ("DELETE", f"{_S}/{{key}}"): Need(R.SECRET, A.DELETE),
    ("GET", f"{_T}/namespaces/{{namespace}}/inherited-secrets"): Need(R.SECRET, A.LIST),
    # the AI copilot: writing or changing a flow needs FLOW:CREATE or FLOW:UPDATE on the namespace the request is
    # about, which only the body says (legato.services.assist checks it before asking the model, and again on the
    # proposal's namespace); fixing a failed execution's flow needs FLOW:UPDATE there (and EXECUTION:ACCESS_LOGS)
    ("POST", f"{_T}/ai/generate/flow"): SIGNED_IN,
    ("POST", f"{_T}/ai/fix/execution/{{executionId}}"): Need(R.FLOW, A.UPDATE),
    # audit logs: the whole instance's
    ("GET", f"{_T}/auditlogs/search"): _iam(R.AUDITLOG, A.LIST),
    ("GET", f"{_T}/auditlogs/export"): _iam(R.AUDITLOG, A.EXPORT),
    # plugin docs and schemas: no data of anyone
    ("GET", _P): SIGNED_IN,
    ("GET", f"{_P}/schemas/flow"): SIGNED_IN,
    ("GET", f"{_P}/inputs"): SIGNED_IN,
    ("GET", f"{_P}/{{cls}}"): SIGNED_IN,
    # stats
    ("POST", f"{_T}/stats/executions/daily"): Need(R.EXECUTION, A.LIST),
    ("POST", f"{_T}/stats/executions/group-by-flow"): Need(R.EXECUTION, A.LIST),
    ("POST", f"{_T}/stats/executions/group-by-namespace"): Need(R.EXECUTION, A.LIST),
    # blueprints
    ("GET", _B): Need(R.BLUEPRINT, A.LIST),
    ("GET", f"{_B}/tags"): Need(R.BLUEPRINT, A.LIST),
    ("GET", f"{_B}/{{id}}"): Need(R.BLUEPRINT, A.VIEW),
    ("GET", f"{_B}/{{id}}/flow"): Need(R.BLUEPRINT, A.VIEW),
    # access management (Kestra EE paths)
    ("GET", f"{_T}/users"): _iam(R.USER, A.LIST),
    ("POST", f"{_T}/users"): _iam(R.USER, A.CREATE),
    ("GET", _U): _iam(R.USER, A.VIEW),
    ("PUT", _U): _iam(R.USER, A.UPDATE),
    ("DELETE", _U): _iam(R.USER, A.DELETE),
    ("PUT", f"{_U}/password"): _iam(R.USER, A.UPDATE),
    ("GET", f"{_U}/api-tokens"): _iam(R.USER, A.VIEW),
    ("POST", f"{_U}/api-tokens"): _iam(R.USER, A.UPDATE),
    ("DELETE", f"{_U}/api-tokens/{{tokenId}}"): _iam(R.USER, A.UPDATE),
    ("GET", f"{_T}/service-accounts"): _iam(R.SERVICE_ACCOUNT, A.LIST),
    ("POST", f"{_T}/service-accounts"): _iam(R.SERVICE_ACCOUNT, A.CREATE),
    ("GET", _SA): _iam(R.SERVICE_ACCOUNT, A.VIEW),
    ("PUT", _SA): _iam(R.SERVICE_ACCOUNT, A.UPDATE),
    ("DELETE", _SA): _iam(R.SERVICE_ACCOUNT, A.DELETE),
    ("GET", f"{_SA}/api-tokens"): _iam(R.SERVICE_ACCOUNT, A.VIEW),
    ("POST", f"{_SA}/api-tokens"): _iam(R.SERVICE_ACCOUNT, A.UPDATE),
    ("DELETE", f"{_SA}/api-tokens/{{tokenId}}"): _iam(R.SERVICE_ACCOUNT, A.UPDATE),
    ("GET", f"{_T}/groups"): _iam(R.GROUP, A.LIST),
    ("POST", f"{_T}/groups"): _iam(R.GROUP, A.CREATE),
    ("GET", f"{_T}/groups/{{id}}"): _iam(R.GROUP, A.VIEW),
    ("DELETE", f"{_T}/groups/{{id}}"): _iam(R.GROUP, A.DELETE),
    ("PUT", f"{_T}/groups/{{id}}/members/{{accountId}}"): _iam(R.GROUP, A.UPDATE),
    ("DELETE", f"{_T}/groups/{{id}}/members/{{accountId}}"): _iam(R.GROUP, A.UPDATE),
    ("GET", f"{_T}/roles"): _iam(R.ROLE, A.LIST),
    ("POST", f"{_T}/roles"): _iam(R.ROLE, A.CREATE),
    ("GET", f"{_T}/roles/{{id}}"): _iam(R.ROLE, A.VIEW),
    ("PUT", f"{_T}/roles/{{id}}"): _iam(R.ROLE, A.UPDATE),
    ("DELETE", f"{_T}/roles/{{id}}"): _iam(R.ROLE, A.DELETE),
    # tenants: managed from `main` (the services also refuse admins of other tenants)
    ("POST", "/api/v1/tenants"): _iam(R.TENANT, A.CREATE),
    ("GET", "/api/v1/tenants/search"): _iam(R.TENANT, A.LIST),
    ("GET", "/api/v1/tenants/{id}"): _iam(R.TENANT, A.VIEW),
    ("PUT", "/api/v1/tenants/{id}"): _iam(R.TENANT, A.UPDATE),
    ("DELETE", "/api/v1/tenants/{id}"): _iam(R.TENANT, A.DELETE),
    ("GET", f"{_T}/bindings"): _iam(R.BINDING, A.LIST),
    ("POST", f"{_T}/bindings"): _iam(R.BINDING, A.CREATE),
    ("DELETE", f"{_T}/bindings/{{id}}"): _iam(R.BINDING, A.DELETE),
    # SCIM integrations, and the SCIM protocol each serves (api/scim.py; the caller must also be the
    # integration's own service account, which the `SCIM provisioning` role gives USER and GROUP)
    ("GET", f"{_T}/integrations"): _iam(R.SERVICE_ACCOUNT, A.LIST),
    ("POST", f"{_T}/integrations"): _iam(R.SERVICE_ACCOUNT, A.CREATE),
    ("GET", f"{_T}/integrations/{{id}}"): _iam(R.SERVICE_ACCOUNT, A.VIEW),
    ("PUT", f"{_T}/integrations/{{id}}"): _iam(R.SERVICE_ACCOUNT, A.UPDATE),
    ("DELETE", f"{_T}/integrations/{{id}}"): _iam(R.SERVICE_ACCOUNT, A.DELETE),
    ("GET", f"{_SCIM}/ServiceProviderConfig"): SIGNED_IN,
    ("GET", f"{_SCIM}/ResourceTypes"): SIGNED_IN,
    ("GET", f"{_SCIM}/ResourceTypes/{{id}}"): SIGNED_IN,
    ("GET", f"{_SCIM}/Schemas"): SIGNED_IN,
    ("GET", f"{_SCIM}/Schemas/{{id}}"): SIGNED_IN,
    ("POST", f"{_SCIM}/.search"): SIGNED_IN,
    ("GET", f"{_SCIM}/Users"): _iam(R.USER, A.LIST),
    ("POST", f"{_SCIM}/Users"): _iam(R.USER, A.CREATE),
    ("POST", f"{_SCIM}/Users/.search"): _iam(R.USER, A.LIST),
    ("GET", f"{_SCIM}/Users/{{id}}"): _iam(R.USER, A.VIEW),
    ("PUT", f"{_SCIM}/Users/{{id}}"): _iam(R.USER, A.UPDATE),
    ("PATCH", f"{_SCIM}/Users/{{id}}"): _iam(R.USER, A.UPDATE),
    ("DELETE", f"{_SCIM}/Users/{{id}}"): _iam(R.USER, A.DELETE),
    ("GET", f"{_SCIM}/Groups"): _iam(R.GROUP, A.LIST),
    ("POST", f"{_SCIM}/Groups"): _iam(R.GROUP, A.CREATE),
    ("POST", f"{_SCIM}/Groups/.search"): _iam(R.GROUP, A.LIST),
    ("GET", f"{_SCIM}/Groups/{{id}}"): _iam(R.GROUP, A.VIEW),
    ("PUT", f"{_SCIM}/Groups/{{id}}"): _iam(R.GROUP, A.UPDATE),
    ("PATCH", f"{_SCIM}/Groups/{{id}}"): _iam(R.GROUP, A.UPDATE),
    ("DELETE", f"{_SCIM}/Groups/{{id}}"): _iam(R.GROUP, A.DELETE),
}


PUBLIC_ROUTES = frozenset(template for (_, template), found in RULES.items() if found in (PUBLIC, APP))
# the public routes that still authenticate a caller who sends credentials (an app's page)
CREDENTIALS_OPTIONAL = frozenset(template for (_, template), found in RULES.items() if found == APP)


_CONVERTER = re.compile(r"\{(\w+):\w+\}")  # `{id:path}` in a route, `{id}` in the OpenAPI document and the table


def rule(method: str, template: str) -> Rule | None:
    """The rule of an operation (HEAD follows GET); None when the table has none."""
    verb = "GET" if method == "HEAD" else method
    return RULES.get((verb, template)) or RULES.get((verb, _CONVERTER.sub(r"{\1}", template)))


def allowed(by: Principal, need: Need, namespace: str | None) -> bool:
    """The check: a pure function of the principal's resolved grants."""
    if need.instance:
        return by.grants.allows_instance(need.resource, need.action)
    return by.grants.allows(need.resource, need.action, namespace)


def refusal(need: Need, namespace: str | None) -> ApiError:
    where = " on the instance" if need.instance else (f" on namespace '{namespace}'" if namespace else "")
    return ApiError(403, f"missing permission {need}{where}",
                    [dto.ErrorDetail(path="permission", message=str(need))])


async def authorize(request: Request) -> None:
    """Apply the table's rule for the matched route (a dependency of every route of the app)."""
    route = request.scope.get("route")
    await enforce(request, getattr(route, "path", None))


async def enforce(request: Request, template: str | None) -> None:
    """Apply the table's rule for the operation `template` (a mounted app's routes give their full path)."""
    found = rule(request.method, template) if template else None
    if found is None:
        raise ApiError(403, f"no access rule for {request.method} {template}; refused")
    tenant = await _tenant(request)
    if not isinstance(found, Need):
        if isinstance(request.scope.get("state", {}).get("principal"), Principal):
            await _in_tenant(request, tenant)
        return  # public, or signed in (or open mode): settled by the authentication middleware
    by = await _in_tenant(request, tenant)
    namespace = await _namespace(request, tenant) if not found.instance else None
    if not allowed(by, found, namespace):
        raise refusal(found, namespace)


async def _tenant(request: Request) -> str:
    """The tenant of the path (`main` for paths without one); 404 naming it when it is not registered."""
    tenant = request.path_params.get("tenant")
    if tenant is None:
        return MAIN
    store = context(request).store
    if not await run_in_threadpool(KNOWN.exists, store, str(tenant)):
        raise ApiError(404, f"tenant '{tenant}' not found")
    return str(tenant)


async def _in_tenant(request: Request, tenant: str) -> Principal:
    """The caller with its grants in `tenant`: bindings are per tenant (the instance owner's grants and those
    of the server itself hold in every tenant). The routes' principal is replaced by it."""
    by = principal(request)
    if by.tenant == tenant:
        return by
    if tenant == MAIN or by.id is None or by.grants.owner:
        scoped = in_tenant(by, tenant)
    else:
        store = context(request).store

        def resolve() -> Principal:
            account = store.get_account(by.id) if by.id is not None else None
            grants = grants_.NOTHING if account is None else access_services.CACHE.get(store, account, tenant)
            return replace(by, grants=grants, tenant=tenant)

        scoped = await run_in_threadpool(resolve)
    request.scope.setdefault("state", {})["principal"] = scoped
    return scoped


async def _namespace(request: Request, tenant: str) -> str | None:
    params = request.path_params
    if "namespace" in params:
        return str(params["namespace"])
    execution_id = params.get("executionId")
    if execution_id is None:
        return None
    store = context(request).store
    execution = await run_in_threadpool(store.get_execution, str(execution_id))
    if execution is not None and execution.tenant != tenant:
        raise ApiError(404, f"execution '{execution_id}' not found")
    # An unknown execution: the route answers 404; checking "anywhere" first keeps 403 for the unentitled.
    return execution.namespace if execution is not None else None
