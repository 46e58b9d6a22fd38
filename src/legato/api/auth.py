"""Authentication of every request (ASGI middleware) and the sign-in routes.

A request is authenticated by, in this order: `Authorization: Bearer <API token>`; `Authorization: Basic` (the
configured basic-auth user, the instance owner, or a user's name and password); the session cookie, with the
CSRF header on unsafe methods. Without credentials it is anonymous with full access only while no user exists
and no basic auth is configured (a loopback single-user install, as before users existed); otherwise every
route but the public ones (see access.RULES) answers 401."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from http.cookies import SimpleCookie
from typing import Annotated

from fastapi import APIRouter, Body, Request, Response
from starlette.concurrency import run_in_threadpool
from starlette.routing import compile_path
from starlette.types import ASGIApp, Receive, Scope, Send

from legato.api import dto, iam_dto, scim
from legato.api.context import ApiContext, Ctx, Tenant, principal
from legato.api.errors import ApiError
from legato.identity import scim as scim_protocol
from legato.identity.ldap import LdapDirectory, LdapError
from legato.identity.lockout import Policy
from legato.identity.oidc import OidcClient
from legato.identity.records import Session
from legato.services import identity, sso
from legato.services import tenants as tenant_services
from legato.services.errors import AuthenticationError
from legato.services.principal import ANONYMOUS, NOBODY, Principal, user

SESSION_COOKIE = "legato_session"
CSRF_COOKIE = "legato_csrf"
CSRF_HEADER = b"x-csrf-token"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# A verified Basic user name and password is remembered this long, so Kestra clients sending Basic on every
# request do not pay an argon2 verification each time.
BASIC_CACHE_SECONDS = 60.0


@dataclass(frozen=True)
class AuthConfig:
    """How the API authenticates: the configured basic-auth pair (the instance owner), the lockout policy,
    the session lifetime and whether cookies are Secure."""

    basic: tuple[str, str] | None = None
    policy: Policy = field(default_factory=Policy)
    session_ttl: timedelta = identity.SESSION_TTL
    secure_cookies: bool = False
    oidc: OidcClient | None = None
    ldap: LdapDirectory | None = None


class _BasicCache:
    def __init__(self) -> None:
        self._entries: dict[bytes, tuple[float, str]] = {}
        self._lock = threading.Lock()

    def get(self, key: bytes) -> str | None:
        entry = self._entries.get(key)
        return entry[1] if entry is not None and entry[0] > time.monotonic() else None

    def put(self, key: bytes, account_id: str) -> None:
        with self._lock:
            if len(self._entries) > 10_000:
                self._entries.clear()
            self._entries[key] = (time.monotonic() + BASIC_CACHE_SECONDS, account_id)


class Authenticate:
    """Puts the request's principal in `scope["state"]["principal"]`, or answers 401 (403 for a missing CSRF
    header). Pure ASGI, so streamed responses pass untouched."""

    def __init__(self, app: ASGIApp, ctx: ApiContext, config: AuthConfig, public: frozenset[str],
                 optional: frozenset[str] = frozenset()) -> None:
        self.app = app
        self.ctx = ctx
        self.config = config
        self._public = tuple(compile_path(template)[0] for template in sorted(public - optional))
        self._optional = tuple(compile_path(template)[0] for template in sorted(optional))
        self._basic_cache = _BasicCache()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            by = await self._principal(scope)
        except AuthenticationError as exc:
            await _answer(send, 401, str(exc), basic=not _from_page(scope), scope=scope)
            return
        except _CsrfMissing as exc:
            await _answer(send, 403, str(exc), scope=scope)
            return
        if by is None:
            await _answer(send, 401, "authentication required", basic=not _from_page(scope), scope=scope)
            return
        scope.setdefault("state", {})["principal"] = by
        await self.app(scope, receive, send)

    async def _users_exist(self) -> bool:
        known = identity.USERS_EXIST.known(self.ctx.store)
        return known if known is not None else await run_in_threadpool(identity.USERS_EXIST, self.ctx.store)

    def _is_public(self, scope: Scope) -> bool:
        path: str = scope["path"]
        return any(pattern.fullmatch(path) for pattern in self._public)

    def _is_optional(self, scope: Scope) -> bool:
        path: str = scope["path"]
        return any(pattern.fullmatch(path) for pattern in self._optional)

    async def _principal(self, scope: Scope) -> Principal | None:
        required = self.config.basic is not None or await self._users_exist()
        if self._is_public(scope):
            return NOBODY if required else ANONYMOUS
        headers = dict(scope["headers"])
        if self._is_optional(scope) and not _has_credentials(headers):
            return NOBODY if required else ANONYMOUS
        ip = scope["client"][0] if scope.get("client") else None
        scheme, _, credential = headers.get(b"authorization", b"").partition(b" ")
        scheme = scheme.lower()
        if scheme == b"bearer":
            return await run_in_threadpool(self._bearer, credential.strip().decode("latin-1"), ip)
        if scheme == b"basic":
            return await run_in_threadpool(self._basic, credential.strip(), ip)
        session_id = _cookie(headers.get(b"cookie", b""), SESSION_COOKIE)
        if session_id:
            return await run_in_threadpool(self._session, session_id, scope["method"], headers, ip)
        return None if required else ANONYMOUS

    def _bearer(self, text: str, ip: str | None) -> Principal:
        account, token = identity.authenticate_token(self.ctx.store, text, now=self.ctx.clock())
        return identity.principal_of(self.ctx.store, account, token_id=token.id, ip=ip)

    def _basic(self, credential: bytes, ip: str | None) -> Principal:
        try:
            name, sep, password = base64.b64decode(credential, validate=True).partition(b":")
        except (binascii.Error, ValueError):
            raise AuthenticationError("malformed basic credentials") from None
        if not sep:
            raise AuthenticationError("malformed basic credentials")
        if self.config.basic is not None:
            # Both comparisons always run, so timing tells nothing about which part was wrong.
            name_ok = hmac.compare_digest(name, self.config.basic[0].encode())
            password_ok = hmac.compare_digest(password, self.config.basic[1].encode())
            if name_ok and password_ok:
                return user(self.config.basic[0])
        store, now = self.ctx.store, self.ctx.clock()
        key = hashlib.sha256(credential).digest()
        account_id = self._basic_cache.get(key)
        account = store.get_account(account_id) if account_id else None
        if account is None or account.disabled:
            try:
                account = identity.authenticate_password(store, name.decode("utf-8"), password.decode("utf-8"),
                                                         now=now, policy=self.config.policy)
            except UnicodeDecodeError:
                raise AuthenticationError("invalid credentials") from None
            self._basic_cache.put(key, account.id)
        return identity.principal_of(store, account, ip=ip)

    def _session(self, session_id: str, method: str, headers: dict[bytes, bytes], ip: str | None) -> Principal:
        account, session = identity.session_account(self.ctx.store, session_id, now=self.ctx.clock())
        if method in UNSAFE:
            sent = headers.get(CSRF_HEADER, b"").decode("latin-1")
            if not sent or not hmac.compare_digest(sent, session.csrf):
                raise _CsrfMissing(f"missing or wrong {CSRF_HEADER.decode()} header (the {CSRF_COOKIE} cookie's value)")
        return identity.principal_of(self.ctx.store, account, ip=ip)


class _CsrfMissing(Exception):
    pass


def _from_page(scope: Scope) -> bool:
    """Whether the request comes from a script of a web page (the UI's fetch or EventSource) rather than from an
    API client or an address typed in the browser: its 401 then carries no `WWW-Authenticate: Basic`, so the
    browser shows no password prompt of its own and the page can send the user to its sign-in page."""
    headers = dict(scope["headers"])
    if b"x-requested-with" in headers:
        return True
    if headers.get(b"sec-fetch-dest") == b"empty":  # fetch/XHR/EventSource, sent by browsers on secure origins
        return True
    cookie = headers.get(b"cookie", b"")
    return bool(_cookie(cookie, SESSION_COOKIE) or _cookie(cookie, CSRF_COOKIE)) if cookie else False


def _has_credentials(headers: dict[bytes, bytes]) -> bool:
    """Whether a request carries an Authorization header or a session cookie."""
    return b"authorization" in headers or bool(_cookie(headers.get(b"cookie", b""), SESSION_COOKIE))


def _cookie(header: bytes, name: str) -> str | None:
    cookies: SimpleCookie = SimpleCookie()
    try:
        cookies.load(header.decode("latin-1"))
    except Exception:
        return None
    morsel = cookies.get(name)
    return morsel.value if morsel is not None and morsel.value else None


async def _answer(send: Send, status: int, message: str, *, basic: bool = False, scope: Scope | None = None) -> None:
    if scope is not None and scim.is_scim_path(scope["path"]):  # an identity provider's request: SCIM's shape
        payload = json.dumps(scim_protocol.error_body(status, message)).encode()
        headers = [(b"content-type", scim_protocol.MEDIA_TYPE.encode()),
                   (b"content-length", str(len(payload)).encode()),
                   (b"www-authenticate", b'Bearer realm="legato"')]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": payload})
        return
    payload = json.dumps({"message": message, "details": []}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
    if basic:
        headers.append((b"www-authenticate", b'Basic realm="legato"'))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


# routes ----------------------------------------------------------------------------------------------------
router = APIRouter(prefix="/api/v1", tags=["Access"], responses=dto.ERRORS)


def routers() -> list[APIRouter]:
    return [router]


def _config(request: Request) -> AuthConfig:
    config: AuthConfig = request.app.state.legato_auth
    return config


@router.post("/login", summary="Sign in", response_model=iam_dto.SignedIn)
async def login(ctx: Ctx, request: Request, response: Response,
                credentials: Annotated[iam_dto.SignIn, Body(description="The user's name and password.")]) -> iam_dto.SignedIn:
    """Start a browser session: an HttpOnly SameSite=Lax session cookie, and a readable CSRF cookie whose value
    must come back in the `X-CSRF-Token` header of every unsafe request (POST, PUT, PATCH, DELETE)."""
    config = _config(request)
    try:
        if config.basic is not None and _is_configured_pair(config.basic, credentials.username, credentials.password):
            session_id, session, account = await run_in_threadpool(
                sso.configured_owner_sign_in, ctx.store, credentials.username, now=ctx.clock(), ttl=config.session_ttl)
        else:
            session_id, session, account = await run_in_threadpool(
                sso.password_sign_in, ctx.store, credentials.username, credentials.password, ldap=config.ldap,
                now=ctx.clock(), policy=config.policy, ttl=config.session_ttl)
    except AuthenticationError as exc:
        raise ApiError(401, str(exc)) from None
    except LdapError as exc:
        raise ApiError(503, str(exc)) from None
    set_session_cookies(response, config, session_id, session)
    return iam_dto.SignedIn(username=account.name, csrf_token=session.csrf, expires_at=session.expires_at)


def _is_configured_pair(pair: tuple[str, str], name: str, password: str) -> bool:
    # Both comparisons always run, so timing tells nothing about which part was wrong.
    name_ok = hmac.compare_digest(name.encode(), pair[0].encode())
    password_ok = hmac.compare_digest(password.encode(), pair[1].encode())
    return name_ok and password_ok


def set_session_cookies(response: Response, config: AuthConfig, session_id: str, session: Session) -> None:
    """The HttpOnly session cookie and the CSRF cookie the UI reads."""
    max_age = int(config.session_ttl.total_seconds())
    response.set_cookie(SESSION_COOKIE, session_id, max_age=max_age, httponly=True, samesite="lax",
                        secure=config.secure_cookies, path="/")
    response.set_cookie(CSRF_COOKIE, session.csrf, max_age=max_age, httponly=False, samesite="lax",
                        secure=config.secure_cookies, path="/")


@router.post("/logout", summary="Sign out", status_code=204)
async def logout(ctx: Ctx, request: Request) -> Response:
    """End the session of the cookie (if any) and clear the cookies."""
    session_id = request.cookies.get(SESSION_COOKIE)
    if session_id:
        await run_in_threadpool(identity.sign_out, ctx.store, session_id)
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")
    return response


def me_of(ctx: ApiContext, by: Principal) -> iam_dto.Me:
    tenants = [iam_dto.TenantRef(id=t.id, name=t.display_name) for t in tenant_services.reachable(ctx.store, by)]
    return iam_dto.Me(id=by.id, username=by.name, kind=by.kind.upper(), owner=by.grants.owner,
                      permissions=[iam_dto.PermissionGrant.model_validate(p) for p in by.grants.permissions()],
                      tenant=by.tenant, tenants=tenants)


@router.get("/me", summary="Who am I", response_model=iam_dto.Me)
def me(ctx: Ctx, request: Request) -> iam_dto.Me:
    """The caller's account, its permissions in `main` and the tenants it may open (anonymous with full access
    while authentication is off)."""
    return me_of(ctx, principal(request))


@router.get("/{tenant}/me", summary="Who am I in a tenant", response_model=iam_dto.Me)
def me_in_tenant(ctx: Ctx, request: Request, tenant: Tenant) -> iam_dto.Me:
    """As `/api/v1/me`, with the caller's permissions in `tenant` (none where it has no binding: the web UI then
    shows that the caller has no access there)."""
    return me_of(ctx, principal(request))
