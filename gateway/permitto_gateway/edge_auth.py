"""Access tokens checked at the edge: signature (RS256 with the public key, loaded once), expiry and
the session deny list. Bad tokens are refused here; services verify again (defence in depth)."""

from __future__ import annotations

from typing import Any

import jwt
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from flask import request

from permitto_common.errors import Unauthorized
from permitto_common.security import is_token_revoked

ACCESS_COOKIE = "access_token_cookie"


class EdgeAuth:
    def __init__(self, public_key_pem: str) -> None:
        self.key = load_pem_public_key(public_key_pem.encode())

    @staticmethod
    def _token() -> str | None:
        header = request.headers.get("Authorization", "")
        if header:
            scheme, _, token = header.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                raise Unauthorized("The Authorization header must be 'Bearer <token>'.")
            return token.strip()
        return request.cookies.get(ACCESS_COOKIE)

    def verify(self) -> dict[str, Any]:
        token = self._token()
        if token is None:
            raise Unauthorized("Authentication required: send an access token.",
                               headers={"WWW-Authenticate": "Bearer"})
        try:
            claims: dict[str, Any] = jwt.decode(
                token, self.key, algorithms=["RS256"],  # type: ignore[arg-type]
                options={"require": ["exp", "iat", "sub", "jti"]},
            )
        except jwt.ExpiredSignatureError:
            raise Unauthorized("The access token has expired.", headers={"WWW-Authenticate": "Bearer"}) from None
        except jwt.PyJWTError:
            raise Unauthorized("The access token is not valid.", headers={"WWW-Authenticate": "Bearer"}) from None
        if claims.get("type", "access") != "access":
            raise Unauthorized("The access token is not valid.")
        if is_token_revoked(claims):
            raise Unauthorized("The session of this token was ended.")
        return claims
