"""Short-lived signed tokens by which the store's own backend vouches for a signed-in customer.

A token is a JWT signed with HS256 and the shared secret (BOT_CUSTOMER_TOKEN_SECRET); it must name the
customer (`sub`), be meant for this assistant (`aud`), and expire (`exp`) within the allowed lifetime.
Anything else (another algorithm, `none`, a wrong signature, a missing claim) is no identity at all."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Optional

import jwt

if TYPE_CHECKING:
    from bot.settings import Settings

AUDIENCE = "cs-assistant"
ALGORITHM = "HS256"
MIN_SECRET_BYTES = 32


class TokenSecretError(ValueError):
    """The signing secret is unusable (too short)."""


@dataclass(frozen=True)
class CustomerClaims:
    customer_id: str
    expires_at: datetime


class CustomerTokens:
    """Issues (for the demo store and tests) and verifies customer tokens."""

    def __init__(self, secret: str, max_lifetime_s: int = 3600, leeway_s: int = 30) -> None:
        if len(secret.encode("utf-8")) < MIN_SECRET_BYTES:
            raise TokenSecretError(f"a customer-token secret needs at least {MIN_SECRET_BYTES} bytes")
        self._secret = secret
        self._max_lifetime = max_lifetime_s
        self._leeway = leeway_s

    @classmethod
    def from_settings(cls, settings: "Settings") -> "CustomerTokens":
        """The verifier of this deployment (BOT_CUSTOMER_TOKEN_SECRET, BOT_CUSTOMER_TOKEN_MAX_LIFETIME)."""
        if not settings.customer_token_secret:
            raise TokenSecretError("BOT_CUSTOMER_TOKEN_SECRET is not set (the run command generates one in demo "
                                   "mode; production must set it)")
        try:
            return cls(settings.customer_token_secret, settings.customer_token_max_lifetime_s)
        except TokenSecretError as error:
            raise TokenSecretError(f"BOT_CUSTOMER_TOKEN_SECRET: {error}") from None

    def issue(self, customer_id: str, lifetime_s: int = 900, now: Optional[datetime] = None) -> str:
        if not customer_id:
            raise ValueError("a customer token names a customer")
        lifetime_s = min(lifetime_s, self._max_lifetime)
        now = now or datetime.now(timezone.utc)
        claims = {"sub": customer_id, "aud": AUDIENCE, "iat": int(now.timestamp()),
                  "exp": int((now + timedelta(seconds=lifetime_s)).timestamp())}
        return jwt.encode(claims, self._secret, algorithm=ALGORITHM)

    def verify(self, token: object) -> Optional[CustomerClaims]:
        """The customer the token names, or None when it is not a valid, current token of ours."""
        if not isinstance(token, str) or not token or len(token) > 4096:
            return None
        try:
            claims = jwt.decode(token, self._secret, algorithms=[ALGORITHM], audience=AUDIENCE,
                                leeway=self._leeway, options={"require": ["sub", "exp", "iat", "aud"]})
        except jwt.PyJWTError:
            return None
        subject, issued, expires = claims.get("sub"), claims.get("iat"), claims.get("exp")
        if not isinstance(subject, str) or not subject.strip() or len(subject) > 128:
            return None
        if not isinstance(issued, (int, float)) or not isinstance(expires, (int, float)):
            return None
        if expires - issued > self._max_lifetime + self._leeway:  # a "short-lived" token that is not
            return None
        return CustomerClaims(subject, datetime.fromtimestamp(expires, timezone.utc))
