"""A test double of Google's OAuth 2.0 token endpoint (https://oauth2.googleapis.com/token) for service accounts,
as documented in "Using OAuth 2.0 for Server to Server Applications": the client POSTs a form
`grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=<JWT>`, the JWT signed RS256 with the service
account's private key and claiming iss (the account's email), scope (space-separated), aud (Google's token URI), iat,
exp; the answer is `{"access_token", "expires_in", "token_type": "Bearer"}`. The double checks the signature with
the account's public key and the claims, and hands out a fresh token each time. Also makes the service account
key (JSON, as the console downloads it) whose token_uri points here."""

from __future__ import annotations

import json
import secrets
import time
from typing import Any
from urllib.parse import parse_qs

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from tests.api_double import ApiDouble, Reply, Request

EMAIL = "legato-test@test-project.iam.gserviceaccount.com"
GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"  # the audience Google's clients put in the JWT, wherever they post it


class OAuthDouble(ApiDouble):
    def __init__(self) -> None:
        super().__init__()
        self.private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.issued: list[dict[str, Any]] = []
        self.route("POST", r"/token", self._token)

    def key_json(self) -> str:
        pem = self.private_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                             serialization.NoEncryption()).decode()
        return json.dumps({"type": "service_account", "project_id": "test-project", "private_key_id": "k1",
                           "private_key": pem, "client_email": EMAIL, "client_id": "1",
                           "token_uri": f"{self.base_url}/token"})

    def _token(self, request: Request) -> Reply:
        import jwt  # PyJWT, which google-auth's tests use too

        form = {k: v[0] for k, v in parse_qs(request.raw.decode()).items()}
        if form.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer":
            return Reply(400, {"error": "unsupported_grant_type"})
        try:
            claims = jwt.decode(form.get("assertion", ""), self.private_key.public_key(), algorithms=["RS256"],
                                audience=GOOGLE_TOKEN_URI)
        except jwt.PyJWTError as exc:
            return Reply(400, {"error": "invalid_grant", "error_description": str(exc)})
        if claims.get("iss") != EMAIL or not claims.get("scope") or claims["exp"] <= time.time():
            return Reply(400, {"error": "invalid_grant", "error_description": "bad claims"})
        token = f"ya29.{secrets.token_urlsafe(24)}"
        self.issued.append({"token": token, "scope": claims["scope"]})
        return Reply(200, {"access_token": token, "expires_in": 3599, "token_type": "Bearer"})
