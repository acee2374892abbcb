"""Access tokens checked at the edge: signature (RS256 with the public key, loaded once) and expiry
here, the session deny list with the rate limits (edge.edge_checks, one Redis round trip). Bad tokens
are refused at the edge; services verify again (defence in depth)."""

from __future__ import annotations

from typing import Any

import jwt
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from werkzeug.http import parse_cookie

from permitto_common.errors import Unauthorized
from permitto_common.security import VerifiedTokens

ACCESS_COOKIE = "access_token_cookie"


class EdgeAuth:
    def __init__(self, public_key_pem: str, *, remembered: int = 10_000) -> None:
        self.key = load_pem_public_key(public_key_pem.encode())
        self._verified = VerifiedTokens(remembered=remembered)

    @staticmethod
    def token_from(authorization: str, cookie_header: str) -> str | None:
        """The access token: the Authorization header's, else the cookie's (the web app's cookie mode)."""
        if authorization:
            scheme, _, token = authorization.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                raise Unauthorized("The Authorization header must be 'Bearer <token>'.")
            return token.strip()
        if ACCESS_COOKIE not in cookie_header:
            return None
        return parse_cookie(cookie_header).get(ACCESS_COOKIE)

    def verify(self, token: str | None) -> dict[str, Any]:
        """The claims of a validly signed, unexpired access token (revocation is checked by the caller)."""
        if token is None:
            raise Unauthorized("Authentication required: send an access token.",
                               headers={"WWW-Authenticate": "Bearer"})
        claims = self._verified.get(token)
        if claims is not None:
            return claims
        try:
            claims = jwt.decode(
                token, self.key, algorithms=["RS256"],  # type: ignore[arg-type]
                options={"require": ["exp", "iat", "sub", "jti"]},
            )
        except jwt.ExpiredSignatureError:
            raise Unauthorized("The access token has expired.", headers={"WWW-Authenticate": "Bearer"}) from None
        except jwt.PyJWTError:
            raise Unauthorized("The access token is not valid.", headers={"WWW-Authenticate": "Bearer"}) from None
        if claims.get("type", "access") != "access":
            raise Unauthorized("The access token is not valid.")
        self._verified.remember(token, claims)
        return claims
