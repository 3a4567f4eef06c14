"""Verified identity: customer tokens, signed web-chat session ids, namespaced conversation ids."""
from datetime import datetime, timedelta, timezone

import jwt
import pytest

from bot.identity.conversation_ids import channel_of, conversation_id
from bot.identity.customer_tokens import AUDIENCE, CustomerTokens, TokenSecretError
from bot.identity.secrets_store import load_or_create_secret
from bot.identity.session_ids import SessionIds

SECRET = "s" * 40


def test_a_token_we_issued_names_its_customer():
    tokens = CustomerTokens(SECRET)
    claims = tokens.verify(tokens.issue("C1001"))
    assert claims is not None and claims.customer_id == "C1001"


@pytest.mark.parametrize("forge", [
    lambda: jwt.encode({"sub": "C1001", "aud": AUDIENCE, "iat": 0, "exp": 4102444800}, "x" * 40, algorithm="HS256"),
    lambda: jwt.encode({"sub": "C1001", "aud": AUDIENCE, "iat": 1, "exp": 4102444800}, None, algorithm="none"),
    lambda: jwt.encode({"sub": "C1001", "aud": "other", "iat": 1, "exp": 4102444800}, SECRET, algorithm="HS256"),
    lambda: jwt.encode({"sub": "C1001", "aud": AUDIENCE, "iat": 1}, SECRET, algorithm="HS256"),
    lambda: "not.a.token",
    lambda: "",
    lambda: None,
    lambda: {"sub": "C1001"},
])
def test_forged_or_malformed_tokens_name_nobody(forge):
    assert CustomerTokens(SECRET).verify(forge()) is None


def test_expired_and_long_lived_tokens_are_refused():
    tokens = CustomerTokens(SECRET, max_lifetime_s=3600)
    old = datetime.now(timezone.utc) - timedelta(hours=2)
    assert tokens.verify(tokens.issue("C1001", lifetime_s=600, now=old)) is None
    now = int(datetime.now(timezone.utc).timestamp())
    forever = jwt.encode({"sub": "C1001", "aud": AUDIENCE, "iat": now, "exp": now + 86400 * 365}, SECRET,
                         algorithm="HS256")
    assert tokens.verify(forever) is None


def test_a_short_secret_is_refused():
    with pytest.raises(TokenSecretError):
        CustomerTokens("short")


def test_session_ids_are_bound_to_their_holder():
    ids = SessionIds(SECRET)
    guest = ids.issue(None)
    assert ids.verify(guest, None) == guest.split(".")[0]
    assert ids.verify(guest, "C1001") is None  # a guest's session is not a customer's
    wang = ids.issue("C1001")
    assert ids.verify(wang, "C1001") and ids.verify(wang, None) is None and ids.verify(wang, "C1002") is None
    made_up = "0" * 32 + "." + "0" * 32
    assert ids.verify(made_up, None) is None
    assert ids.verify("demo-vip-wang", None) is None and ids.verify(None, None) is None


def test_conversation_ids_are_namespaced_by_channel():
    assert conversation_id("rest", "shop:demo-vip-wang") == "rest:shop:demo-vip-wang"
    assert channel_of("wechat:oABC") == "wechat"
    assert channel_of("demo-vip-wang") is None
    assert conversation_id("web", "a b<c>") == "web:a_b_c_"
    with pytest.raises(ValueError):
        conversation_id("fax", "1")


def test_generated_secrets_persist_and_are_private(tmp_path):
    first = load_or_create_secret(tmp_path / "secrets", "customer_token")
    assert load_or_create_secret(tmp_path / "secrets", "customer_token") == first
    assert len(first) >= 40
    assert (tmp_path / "secrets" / "customer_token").stat().st_mode & 0o077 == 0
