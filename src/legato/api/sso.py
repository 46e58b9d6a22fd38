"""Single sign-on routes: which sign-in methods the instance offers, and the OpenID Connect round trip (to the
provider, and back with a code that becomes a session). What the sign-in started with (state, nonce, PKCE
verifier, where to return) travels in a sealed, short-lived cookie, so any API process can finish it."""

from __future__ import annotations

import json
import secrets
import time
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from legato import sealing
from legato.api import dto, iam_dto
from legato.api.auth import AuthConfig, set_session_cookies
from legato.api.context import Ctx
from legato.api.errors import ApiError
from legato.identity.oidc import OidcClient, OidcError, Pending
from legato.services import sso
from legato.services.errors import AuthenticationError

PENDING_COOKIE = "legato_oidc"
PENDING_PATH = "/api/v1/auth/oidc"
PENDING_SECONDS = 600  # a sign-in at the provider must end within this long
DEFAULT_NEXT = "/ui/"

router = APIRouter(prefix="/api/v1/auth", tags=["Access"], responses=dto.ERRORS)


def routers() -> list[APIRouter]:
    return [router]


def _config(request: Request) -> AuthConfig:
    config: AuthConfig = request.app.state.legato_auth
    return config


def _client(request: Request) -> OidcClient:
    client = _config(request).oidc
    if client is None:
        raise ApiError(404, "single sign-on is not configured (auth.oidc)")
    return client


def safe_next(path: str | None) -> str:
    """Where to return after sign-in: a path of this site only (never another origin)."""
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path or any(c < " " for c in path):
        return DEFAULT_NEXT
    return path


@router.get("/providers", summary="Sign-in methods", response_model=iam_dto.SignInMethods)
def providers(request: Request) -> iam_dto.SignInMethods:
    """How users can sign in here: a name and password (checked by Legato, or by LDAP when configured), and
    single sign-on when an OpenID Connect provider is configured (start it at `oidc.loginUrl`)."""
    config = _config(request)
    oidc = (iam_dto.OidcMethod(name=config.oidc.config.display_name, login_url=f"{PENDING_PATH}/login")
            if config.oidc else None)
    return iam_dto.SignInMethods(password=True, ldap=config.ldap is not None, oidc=oidc)


@router.get("/oidc/login", summary="Start single sign-on", status_code=302, response_class=RedirectResponse)
async def oidc_login(request: Request, next: Annotated[str | None, Query(
        max_length=2000, description="The page to return to after signing in (a path of this site).")] = None,
                     ) -> RedirectResponse:
    """Redirect the browser to the OpenID Connect provider (authorization code flow with PKCE)."""
    client = _client(request)
    redirect = client.config.redirect_url or str(request.url_for("oidc_callback"))
    pending = Pending.start(safe_next(next), redirect)
    try:
        url = await run_in_threadpool(client.authorization_url, pending)
    except OidcError as exc:
        raise ApiError(502, f"single sign-on is unavailable: {exc}") from None
    response = RedirectResponse(url, status_code=302)
    payload = {"state": pending.state, "nonce": pending.nonce, "verifier": pending.verifier, "next": pending.next_path,
               "redirect": pending.redirect_url, "at": time.time()}
    response.set_cookie(PENDING_COOKIE, sealing.seal(json.dumps(payload)), max_age=PENDING_SECONDS, httponly=True,
                        samesite="lax", secure=_config(request).secure_cookies, path=PENDING_PATH)
    return response


@router.get("/oidc/callback", summary="End single sign-on", status_code=303, response_class=RedirectResponse)
async def oidc_callback(
    ctx: Ctx, request: Request,
    code: Annotated[str | None, Query(max_length=4096, description="The provider's authorization code.")] = None,
    state: Annotated[str | None, Query(max_length=512, description="The state the sign-in started with.")] = None,
    error: Annotated[str | None, Query(max_length=256, description="The provider's error code.")] = None,
    error_description: Annotated[str | None, Query(max_length=2000, description="The provider's message.")] = None,
) -> RedirectResponse:
    """Where the provider sends the browser back: the code is exchanged, the ID token verified and a session
    started; the browser goes on to the page the sign-in started from. A failure goes to the sign-in page with
    the reason."""
    client = _client(request)
    config = _config(request)
    pending = _pending(request.cookies.get(PENDING_COOKIE))
    try:
        if pending is None:
            raise AuthenticationError("the sign-in expired or began in another browser; sign in again")
        if error:
            raise AuthenticationError(f"the provider refused the sign-in: {error_description or error}")
        if not code or not state or not secrets.compare_digest(state, pending.state):
            raise AuthenticationError("the provider's answer does not belong to this sign-in; sign in again")
        who = await run_in_threadpool(client.finish, pending, code)
        session_id, session, _ = await run_in_threadpool(
            sso.external_sign_in, ctx.store, who, source="oidc", create_users=client.config.create_users,
            now=ctx.clock(), ttl=config.session_ttl)
    except (AuthenticationError, OidcError) as exc:
        failed = RedirectResponse(f"/ui/login?error={quote(str(exc))}", status_code=303)
        failed.delete_cookie(PENDING_COOKIE, path=PENDING_PATH)
        return failed
    response = RedirectResponse(pending.next_path, status_code=303)
    set_session_cookies(response, config, session_id, session)
    response.delete_cookie(PENDING_COOKIE, path=PENDING_PATH)
    return response


def _pending(cookie: str | None) -> Pending | None:
    if not cookie:
        return None
    try:
        data = json.loads(sealing.unseal(cookie))
    except (sealing.SealingError, ValueError):
        return None
    if not isinstance(data, dict) or time.time() - float(data.get("at", 0)) > PENDING_SECONDS:
        return None
    return Pending(str(data["state"]), str(data["nonce"]), str(data["verifier"]), safe_next(data.get("next")),
                   str(data["redirect"]))
