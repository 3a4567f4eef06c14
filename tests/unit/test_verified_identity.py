"""The metadata convention (`verified_identity`, stamped by our channels only) and the channels' identity
helpers: the REST integration's bearer token, the web chat's signed sessions, WeChat's openid."""
import asyncio
import json

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.channels.rest_channel import BadRequest, identity_for, integration_for, read_body
from bot.channels.web_chat import handshake_token, holder_of, message_metadata, resume_or_issue
from bot.channels.wechat.channel import openid_of
from bot.identity.conversation_ids import conversation_id, is_plain_local_id, local_id_of, rest_holder, rest_local_id
from bot.identity.customer_tokens import CustomerTokens
from bot.identity.session_ids import SessionIds
from bot.identity.verified import KEY, VerifiedIdentity, identity_in, stamp
from bot.web import demo_sign_in

SECRET = "t" * 40
WANG = {"channel": "rest", "customer_id": "C1001", "external_id": None}


def test_stamping_removes_every_claim_of_the_caller():
    claimed = {KEY: WANG, "customer_id": "C1001", "customer_token": "x.y.z", "language": "en", "shop": "s1"}
    stamped = stamp(claimed, VerifiedIdentity("rest"))
    assert stamped == {"language": "en", "shop": "s1",
                       KEY: {"channel": "rest", "customer_id": None, "external_id": None}}
    assert stamp(None, VerifiedIdentity("web", "C1004"))[KEY]["customer_id"] == "C1004"


def test_reading_the_identity_back():
    assert identity_in({KEY: WANG}) == VerifiedIdentity("rest", "C1001")
    assert identity_in({KEY: {"channel": "wechat", "customer_id": None, "external_id": "o1"}}).external_id == "o1"
    for bad in (None, {}, {"customer_id": "C1001"}, {KEY: "C1001"}, {KEY: {"channel": "fax", "customer_id": "C1"}},
                {KEY: {"channel": "web", "customer_id": 1001}}, {KEY: {"channel": "web", "customer_id": " "}}):
        assert identity_in(bad) is None
    with pytest.raises(ValueError):
        VerifiedIdentity("email")


def test_plain_local_ids_are_kept_as_they_are():
    assert is_plain_local_id("shop:user-42@example.com") and conversation_id("rest", "shop:u.1") == "rest:shop:u.1"
    assert not is_plain_local_id("a b") and not is_plain_local_id("") and not is_plain_local_id("x" * 129)


def test_a_rest_conversation_id_names_the_verified_customer_or_guest():
    assert rest_local_id("shop", "s1", None) == "shop:guest:s1"
    assert rest_local_id("shop", "s1", "C1001") == "shop:C1001:s1" == rest_local_id("shop", "s1", "C1001")
    odd = {rest_holder(c) for c in ("guest", "C:1", "C 1", "c." + "a" * 24, "x" * 33)}
    assert len(odd) == 5 and all(h.startswith("c.") and len(h) == 26 for h in odd)  # a digest, never "guest"
    assert rest_holder("c.abc") != "c.abc"  # an id shaped like a digest is digested too


def test_local_ids_come_back_only_from_their_own_channel():
    assert local_id_of("wechat:oABC", "wechat") == "oABC"
    assert local_id_of("rest:tests:wechat:oABC", "wechat") is None
    assert local_id_of("oABC", "wechat") is None


def test_rest_callers_are_known_by_their_bearer_token():
    integrations = {"a" * 20: "shop", "b" * 20: "crm"}
    assert integration_for("Bearer " + "a" * 20, integrations) == "shop"
    assert integration_for("bearer " + "b" * 20, integrations) == "crm"
    for header in (None, "", "Bearer", "Bearer " + "c" * 20, "Basic " + "a" * 20, "a" * 20):
        assert integration_for(header, integrations) is None
    assert integration_for("Bearer " + "a" * 20, {}) is None


@pytest.mark.parametrize("raw, reason", [
    (b"", "JSON"), (b"{not json", "JSON"), (b"\xff\xfe", "JSON"), (b"[1, 2]", "object"),
    (b'{"message": "hi"}', "sender"), (b'{"sender": "", "message": "hi"}', "sender"),
    (b'{"sender": "s", "message": 5}', "message"), (b'{"sender": "s"}', "message"),
    (b'{"sender": "s", "message": "hi", "metadata": "x"}', "metadata"),
    (json.dumps({"sender": "s" * 101, "message": "hi"}).encode(), "sender"),
    (json.dumps({"sender": "王芳", "message": "hi"}).encode(), "sender"),  # would be cleaned into another id
    (json.dumps({"sender": "a b", "message": "hi"}).encode(), "sender"),
])
def test_malformed_rest_requests_are_refused_with_a_reason(raw, reason):
    with pytest.raises(BadRequest, match=reason):
        read_body(raw)


@pytest.mark.parametrize("raw", [
    b"[" * 100_000 + b"]" * 100_000,  # deeper than Python's JSON reader goes: RecursionError, not ValueError
    b'{"sender": "s", "message": "hi", "metadata": {"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}}",
    json.dumps({"sender": "s", "message": "hi", "metadata": {"a": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}}).encode(),
])
def test_deeply_nested_rest_bodies_are_refused_with_a_reason(raw):
    with pytest.raises(BadRequest, match="nested too deeply"):
        read_body(raw)


def test_metadata_nested_a_little_passes():
    assert read_body(b'{"sender": "s", "message": "hi", "metadata": {"cart": [{"sku": [1, 2]}]}}')[2] == {
        "cart": [{"sku": [1, 2]}]}


def test_a_rest_customer_is_signed_in_only_by_a_valid_token():
    tokens = CustomerTokens(SECRET)
    assert identity_for({"customer_token": tokens.issue("C1001")}, tokens) == VerifiedIdentity("rest", "C1001")
    assert identity_for({"customer_id": "C1001"}, tokens) == VerifiedIdentity("rest")
    assert identity_for({"customer_token": CustomerTokens("u" * 40).issue("C1001")}, tokens) == VerifiedIdentity("rest")
    assert read_body(b'{"sender": "s", "message": "hi"}') == ("s", "hi", {})


def test_web_sessions_resume_only_for_their_holder():
    sessions = SessionIds(SECRET)
    signed, conversation = resume_or_issue(sessions, None, None)
    assert conversation == "web:" + signed.split(".")[0]
    assert resume_or_issue(sessions, signed, None) == (signed, conversation)  # the guest's own browser
    stolen, elsewhere = resume_or_issue(sessions, signed, "C1001")  # a guest's session, for a customer
    assert stolen != signed and elsewhere != conversation
    wang, wang_conversation = resume_or_issue(sessions, None, "C1001")
    assert resume_or_issue(sessions, wang, "C1001") == (wang, wang_conversation)
    for holder in (None, "C1004"):  # a customer's session, for a guest or another customer
        assert resume_or_issue(sessions, wang, holder)[1] != wang_conversation
    for made_up in (wang.split(".")[0], wang_conversation, "web-abc", {"x": 1}):
        assert resume_or_issue(sessions, made_up, None)[1] not in (wang_conversation, conversation)
    assert holder_of("guest") == "customer:guest" and holder_of(None) is None


def test_the_handshake_token_comes_from_auth_or_the_query():
    assert handshake_token({"token": "abc"}, {"QUERY_STRING": "token=def"}) == "abc"
    assert handshake_token(None, {"QUERY_STRING": "EIO=4&token=def&transport=polling"}) == "def"
    assert handshake_token({"token": 5}, {}) is None and handshake_token("abc", {"QUERY_STRING": ""}) is None


def test_a_web_message_carries_its_language_and_the_verified_identity_only():
    assert message_metadata({"language": "en", "customer_id": "C1001", KEY: WANG}, None) == {
        "language": "en", KEY: {"channel": "web", "customer_id": None, "external_id": None}}
    assert message_metadata('{"language": "zh"}', "C1004")[KEY]["customer_id"] == "C1004"
    assert message_metadata({"language": "fr"}, None) == {KEY: {"channel": "web", "customer_id": None,
                                                                "external_id": None}}
    assert message_metadata("not json", None)[KEY]["channel"] == "web"
    nested = "[" * 100_000 + "]" * 100_000  # a customData string Python's JSON reader cannot read (RecursionError)
    assert message_metadata(nested, "C1004") == {KEY: {"channel": "web", "customer_id": "C1004", "external_id": None}}


def test_replies_reach_wechat_only_for_wechat_conversations():
    assert openid_of("wechat:oGalaxyVipWangFang0001") == "oGalaxyVipWangFang0001"
    assert openid_of("oGalaxyVipWangFang0001") == "oGalaxyVipWangFang0001"  # from before namespacing
    for other in ("rest:tests:oGalaxyVipWangFang0001", "web:abc", ""):
        with pytest.raises(ValueError):
            openid_of(other)


def _call(app, method, path, body=None, raw=None):
    async def scenario():
        server = TestServer(app)
        await server.start_server()
        try:
            async with aiohttp.ClientSession() as http:
                async with http.request(method, server.make_url(path), json=body, data=raw) as response:
                    return response.status, await response.json(content_type=None)
        finally:
            await server.close()

    return asyncio.run(scenario())


def _app(settings):
    app = web.Application()
    app.router.add_routes(demo_sign_in.routes(settings))
    return app


def test_the_demo_store_signs_tokens_for_its_own_customers_only(tmp_settings):
    settings = tmp_settings.with_overrides(customer_token_secret=SECRET, demo=True)
    status, body = _call(_app(settings), "POST", "/api/demo/customer-token", {"customer_id": "C1004"})
    assert status == 200 and body["customer"] == {"id": "C1004", "name": "张伟", "tier": "regular"}
    assert CustomerTokens(SECRET).verify(body["token"]).customer_id == "C1004"
    assert _call(_app(settings), "POST", "/api/demo/customer-token", {"customer_id": "C9999"})[0] == 404
    assert _call(_app(settings), "POST", "/api/demo/customer-token", raw=b"nope")[0] == 400
    status, listing = _call(_app(settings), "GET", "/api/demo/customers")
    assert status == 200 and {"id": "C1001", "name": "王芳", "tier": "vip"} in listing["customers"]


def test_outside_demo_mode_there_is_no_demo_sign_in(tmp_settings):
    settings = tmp_settings.with_overrides(customer_token_secret=SECRET, demo=False)
    assert _call(_app(settings), "POST", "/api/demo/customer-token", {"customer_id": "C1004"})[0] == 404
    assert _call(_app(settings), "GET", "/api/demo/customers")[0] == 404


def test_a_rest_sender_with_another_identity_is_another_conversation(tmp_settings, monkeypatch):
    """Begun as customer C1001, the same sender with no token or with C1004's token is not C1001's conversation
    (it would otherwise go on as C1001: the customer is recognised when a conversation starts)."""
    from sanic import Sanic

    from bot.channels.rest_channel import VerifiedRestInput
    from tests.support.processes import free_port

    monkeypatch.setattr(Sanic, "test_mode", True)
    settings = tmp_settings.with_overrides(customer_token_secret=SECRET, rest_tokens="shop:" + "s" * 20)
    tokens = CustomerTokens(SECRET)
    heard = []

    async def bot(message):
        heard.append((message.sender_id, message.metadata[KEY]["customer_id"]))

    async def scenario():
        app = Sanic("rest-identity-test")
        app.blueprint(VerifiedRestInput(settings).blueprint(bot), url_prefix="/webhooks/rest")
        port = free_port()
        server = await app.create_server(host="127.0.0.1", port=port, return_asyncio_server=True)
        await server.startup()
        try:
            async with aiohttp.ClientSession(headers={"Authorization": "Bearer " + "s" * 20}) as http:
                for token in (tokens.issue("C1001"), None, tokens.issue("C1004"), tokens.issue("C1001")):
                    body = {"sender": "app-user-7", "message": "我的订单"}
                    if token:
                        body["metadata"] = {"customer_token": token}
                    async with http.post(f"http://127.0.0.1:{port}/webhooks/rest/webhook", json=body) as response:
                        assert response.status == 200
        finally:
            server.close()
            await server.wait_closed()

    asyncio.run(scenario())
    assert heard == [("rest:shop:C1001:app-user-7", "C1001"), ("rest:shop:guest:app-user-7", None),
                     ("rest:shop:C1004:app-user-7", "C1004"), ("rest:shop:C1001:app-user-7", "C1001")]
