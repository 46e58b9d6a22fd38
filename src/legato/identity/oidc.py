"""OpenID Connect sign-in (authorization code flow with PKCE) against any provider that publishes its
discovery document: the authorization URL to send a browser to, then the code exchanged for tokens whose ID
token is verified (signature by the provider's JWKS, issuer, audience, expiry, nonce) and whose claims, with the
userinfo endpoint's, name the user and their groups."""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx
import jwt

from legato.identity.records import ExternalIdentity

# The provider's documents are fetched again after this long (keys rotate).
DISCOVERY_TTL_SECONDS = 3600.0
ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"]


class OidcError(Exception):
    """Sign-in through the provider failed; the message says at which step and why."""


@dataclass(frozen=True)
class OidcConfig:
    """A provider and Legato's client registration with it."""

    issuer: str
    client_id: str
    client_secret: str | None = None
    scopes: tuple[str, ...] = ("openid", "profile", "email")
    username_claim: str = "preferred_username"
    groups_claim: str = "groups"
    redirect_url: str | None = None  # None: the API's own callback URL, as the browser reached the API
    display_name: str = "Single sign-on"
    create_users: bool = True
    timeout_seconds: float = 10.0


@dataclass(frozen=True)
class Pending:
    """What a sign-in started with and must end with: the state, the nonce, the PKCE verifier, where to go back."""

    state: str
    nonce: str
    verifier: str
    next_path: str
    redirect_url: str

    @staticmethod
    def start(next_path: str, redirect_url: str) -> Pending:
        return Pending(secrets.token_urlsafe(24), secrets.token_urlsafe(24), secrets.token_urlsafe(48), next_path,
                       redirect_url)

    def challenge(self) -> str:
        digest = hashlib.sha256(self.verifier.encode()).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


@dataclass
class OidcClient:
    """The relying party of one provider; the discovery document and the signing keys are cached."""

    config: OidcConfig
    _discovery: dict[str, Any] | None = field(default=None, init=False)
    _fetched: float = field(default=0.0, init=False)
    _jwks: jwt.PyJWKClient | None = field(default=None, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)

    def discovery(self) -> dict[str, Any]:
        with self._lock:
            if self._discovery is None or time.monotonic() - self._fetched > DISCOVERY_TTL_SECONDS:
                url = self.config.issuer.rstrip("/") + "/.well-known/openid-configuration"
                document = self._get_json(url, "the discovery document")
                for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
                    if not isinstance(document.get(key), str):
                        raise OidcError(f"the discovery document at {url} has no {key}")
                self._discovery, self._fetched = document, time.monotonic()
                self._jwks = jwt.PyJWKClient(document["jwks_uri"], cache_keys=True, lifespan=int(DISCOVERY_TTL_SECONDS),
                                             timeout=int(self.config.timeout_seconds))
            return self._discovery

    def authorization_url(self, pending: Pending) -> str:
        """Where to send the browser to sign in."""
        query = {
            "response_type": "code", "client_id": self.config.client_id, "redirect_uri": pending.redirect_url,
            "scope": " ".join(self.config.scopes), "state": pending.state, "nonce": pending.nonce,
            "code_challenge": pending.challenge(), "code_challenge_method": "S256",
        }
        endpoint = self.discovery()["authorization_endpoint"]
        return f"{endpoint}{'&' if '?' in endpoint else '?'}{urlencode(query)}"

    def finish(self, pending: Pending, code: str) -> ExternalIdentity:
        """Exchange the code for tokens and verify the ID token: who signed in."""
        document = self.discovery()
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": pending.redirect_url,
                "code_verifier": pending.verifier, "client_id": self.config.client_id}
        auth = (self.config.client_id, self.config.client_secret) if self.config.client_secret else None
        try:
            response = httpx.post(document["token_endpoint"], data=form, auth=auth, timeout=self.config.timeout_seconds,
                                  headers={"accept": "application/json"})
        except httpx.HTTPError as exc:
            raise OidcError(f"the token endpoint did not answer: {exc}") from None
        tokens = _json(response, "the token endpoint")
        if not isinstance(tokens.get("id_token"), str):
            raise OidcError("the token endpoint returned no id_token (is `openid` among the scopes?)")
        claims = self._verify(tokens["id_token"], pending.nonce)
        if isinstance(tokens.get("access_token"), str) and isinstance(document.get("userinfo_endpoint"), str):
            info = self._userinfo(document["userinfo_endpoint"], tokens["access_token"])
            if info.get("sub") == claims.get("sub"):
                claims = {**info, **claims}
        return self._identity(claims)

    def _verify(self, id_token: str, nonce: str) -> dict[str, Any]:
        assert self._jwks is not None
        try:
            key = self._jwks.get_signing_key_from_jwt(id_token)
            claims: dict[str, Any] = jwt.decode(
                id_token, key.key, algorithms=ALGORITHMS, audience=self.config.client_id,
                issuer=self.discovery().get("issuer", self.config.issuer), leeway=60,
                options={"require": ["exp", "iat", "sub"]})
        except (jwt.PyJWTError, jwt.PyJWKClientError) as exc:
            raise OidcError(f"the ID token is not valid: {exc}") from None
        if not secrets.compare_digest(str(claims.get("nonce", "")), nonce):
            raise OidcError("the ID token's nonce is not the one this sign-in sent")
        return claims

    def _userinfo(self, endpoint: str, access_token: str) -> dict[str, Any]:
        try:
            response = httpx.get(endpoint, headers={"authorization": f"Bearer {access_token}",
                                                    "accept": "application/json"},
                                 timeout=self.config.timeout_seconds)
        except httpx.HTTPError as exc:
            raise OidcError(f"the userinfo endpoint did not answer: {exc}") from None
        return _json(response, "the userinfo endpoint")

    def _identity(self, claims: dict[str, Any]) -> ExternalIdentity:
        name = claims.get(self.config.username_claim) or claims.get("email") or claims.get("sub")
        if not isinstance(name, str) or not name.strip():
            raise OidcError(f"the provider sent no `{self.config.username_claim}` claim to name the user")
        raw = claims.get(self.config.groups_claim)
        groups = tuple(str(g) for g in raw) if isinstance(raw, list) else (raw,) if isinstance(raw, str) else None
        display = claims.get("name")
        email = claims.get("email")
        return ExternalIdentity(name, display if isinstance(display, str) else name, email if isinstance(email, str) else None,
                        groups)

    def _get_json(self, url: str, what: str) -> dict[str, Any]:
        try:
            response = httpx.get(url, timeout=self.config.timeout_seconds, headers={"accept": "application/json"})
        except httpx.HTTPError as exc:
            raise OidcError(f"{what} at {url} could not be fetched: {exc}") from None
        return _json(response, what)


def _json(response: httpx.Response, what: str) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        body = None
    if response.status_code >= 400:
        detail = body.get("error_description") or body.get("error") if isinstance(body, dict) else response.text[:200]
        raise OidcError(f"{what} answered HTTP {response.status_code}: {detail}")
    if not isinstance(body, dict):
        raise OidcError(f"{what} did not answer a JSON object")
    return body
