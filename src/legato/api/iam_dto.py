"""Request and response bodies of sign-in and access management (users, service accounts, API tokens,
groups, roles, bindings), in Kestra's field names."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from legato.api.dto import Wire


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SignIn(Body):
    username: str = Field(min_length=1, max_length=255, description="The user's name.")
    password: str = Field(min_length=1, max_length=1024, description="The user's password.")


class SignedIn(Wire):
    username: str
    csrf_token: str = Field(description="Send it back in the X-CSRF-Token header of unsafe requests.")
    expires_at: datetime


class OidcMethod(Wire):
    name: str = Field(description="The sign-in button's label.")
    login_url: str = Field(description="Open it in the browser to sign in at the provider.")


class SignInMethods(Wire):
    password: bool = Field(description="A name and password are accepted at POST /api/v1/login.")
    ldap: bool = Field(description="Names without a Legato password are checked by the LDAP directory.")
    oidc: OidcMethod | None = Field(description="Single sign-on through an OpenID Connect provider.")


class PermissionGrant(Wire):
    permission: str = Field(description="RESOURCE:ACTION")
    namespaces: list[str] | None = Field(description="Where it applies (with children); null: everywhere.")


class TenantRef(Wire):
    id: str = Field(description="The tenant's id: the `{tenant}` of its API and UI paths.")
    name: str = Field(description="The name people read.")


class Me(Wire):
    id: str | None
    username: str
    kind: str = Field(description="USER, SERVICE_ACCOUNT, ANONYMOUS or SYSTEM.")
    owner: bool = Field(description="The instance owner: every permission everywhere.")
    permissions: list[PermissionGrant] = Field(description="The caller's permissions in `tenant`.")
    tenant: str = Field(description="The tenant the permissions hold in: the path's (`main` without one).")
    tenants: list[TenantRef] = Field(description="The tenants the caller may open (bound there, or the owner).")


class UserCreate(Body):
    username: str = Field(min_length=1, max_length=255, pattern=r"^[^:]+$")
    password: str | None = Field(default=None, min_length=8, max_length=1024)
    displayName: str = Field(default="", max_length=255)
    owner: bool = Field(default=False, description="Make the user an instance owner (owners only).")


class AccountUpdate(Body):
    disabled: bool = Field(description="Disable (sessions end, tokens stop working) or enable.")


class PasswordChange(Body):
    password: str = Field(min_length=8, max_length=1024, description="The new password.")
    currentPassword: str | None = Field(default=None, max_length=1024,
                                        description="The current one, when changing one's own.")


class AccountDto(Wire):
    id: str
    username: str
    display_name: str
    description: str
    type: Literal["USER", "SERVICE_ACCOUNT"]
    owner: bool
    disabled: bool
    locked: bool
    created: datetime


class ServiceAccountCreate(Body):
    name: str = Field(min_length=1, max_length=255, pattern=r"^[^:]+$")
    description: str = Field(default="", max_length=2000)


class TokenCreate(Body):
    name: str = Field(min_length=1, max_length=255)
    description: str = Field(default="", max_length=2000)
    maxAge: str | None = Field(default=None, description="ISO-8601 duration (PT24H, P30D); null: never expires.")


class TokenDto(Wire):
    token_id: str
    name: str
    description: str
    token_prefix: str
    iat: datetime = Field(description="When it was issued.")
    exp: datetime | None = Field(description="When it expires; null: never.")
    last_used: datetime | None
    revoked: bool
    expired: bool


class IssuedTokenDto(TokenDto):
    full_token: str = Field(description="The token: shown this once, never again.")


class GroupCreate(Body):
    name: str = Field(min_length=1, max_length=255)
    description: str = Field(default="", max_length=2000)


class GroupDto(Wire):
    id: str
    name: str
    description: str
    members: list[str] | None = None


class RoleBody(Body):
    name: str = Field(min_length=1, max_length=255)
    description: str = Field(default="", max_length=2000)
    permissions: list[str] = Field(description="RESOURCE:ACTION, e.g. FLOW:VIEW, EXECUTION:KILL.")


class RoleDto(Wire):
    id: str
    name: str
    description: str
    permissions: list[str]
    managed: bool


class BindingCreate(Body):
    roleId: str = Field(min_length=1, max_length=64)
    type: Literal["USER", "GROUP", "SERVICE_ACCOUNT"]
    externalId: str = Field(min_length=1, max_length=64, description="The user, group or service account id.")
    namespace: str | None = Field(default=None, max_length=150,
                                  description="Limit to this namespace and its children; null: the instance.")


class BindingDto(Wire):
    id: str
    role_id: str
    type: Literal["USER", "GROUP", "SERVICE_ACCOUNT"]
    external_id: str
    namespace: str | None
    created: datetime


class ScimIntegrationCreate(Body):
    description: str = Field(default="", max_length=2000, description="What the integration is for (which provider).")


class ScimIntegrationUpdate(Body):
    description: str | None = Field(default=None, max_length=2000)
    enabled: bool | None = Field(default=None, description="false: the provider's requests are refused (401).")


class ScimIntegrationDto(Wire):
    id: str
    description: str
    enabled: bool
    service_account_id: str = Field(description="The service account the provider acts as.")
    endpoint: str = Field(description="The SCIM base URL to give the identity provider.")
    created: datetime
    updated: datetime


class ScimIntegrationCreated(ScimIntegrationDto):
    token: str = Field(description="The bearer token to give the identity provider: shown this once only.")
