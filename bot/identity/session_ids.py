"""Web-chat session ids that the server issues and signs, bound to who holds them: a browser can resume
its own session, but a session id it made up, or one bound to another customer, is never accepted.
Nothing is stored: any replica checks a session id from its signature alone (every replica holds the same
secret), so a browser that reconnects to another replica resumes the same conversation."""
from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import TYPE_CHECKING, Optional

if TYPE_CHECKING:
    from bot.settings import Settings

GUEST = "guest"


class SessionIds:
    def __init__(self, secret: str) -> None:
        self._key = hashlib.sha256(("web-session:" + secret).encode("utf-8")).digest()

    @classmethod
    def from_settings(cls, settings: "Settings") -> "SessionIds":
        """Signed with a key derived from the customer-token secret (a separate purpose, a separate key)."""
        if not settings.customer_token_secret:
            raise ValueError("BOT_CUSTOMER_TOKEN_SECRET is not set: web-chat session ids are signed with it")
        return cls(settings.customer_token_secret)

    def _signature(self, session: str, holder: str) -> str:
        return hmac.new(self._key, f"{session}\0{holder}".encode("utf-8"), hashlib.sha256).hexdigest()[:32]

    def issue(self, holder: Optional[str]) -> str:
        """A new session id for `holder` (a customer id, or None for a guest): "<random>.<signature>"."""
        session = secrets.token_hex(16)
        return f"{session}.{self._signature(session, holder or GUEST)}"

    def verify(self, presented: object, holder: Optional[str]) -> Optional[str]:
        """The session part of `presented` when it was issued by us to this holder; otherwise None."""
        if not isinstance(presented, str) or len(presented) > 80 or presented.count(".") != 1:
            return None
        session, signature = presented.split(".")
        if len(session) != 32 or not all(c in "0123456789abcdef" for c in session):
            return None
        if not hmac.compare_digest(signature, self._signature(session, holder or GUEST)):
            return None
        return session
