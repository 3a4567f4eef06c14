"""Plays WeChat's server for developers and operators: builds a message as WeChat does, signs it
(and in safe mode encrypts it), posts it to the webhook and reads the reply. `python -m bot wechat`."""
from __future__ import annotations

import hashlib
import random
import string
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Dict, Optional, Tuple
from urllib.parse import urlencode

from defusedxml.ElementTree import fromstring
from wechatpy.crypto import WeChatCrypto

from bot.settings import Settings

ACCOUNT = "gh_galaxy_demo"


def _cdata(value: str) -> str:
    return "<![CDATA[" + value.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def message_xml(openid: str, kind: str = "text", content: str = "", msg_id: Optional[int] = None,
                event: str = "", event_key: str = "", create_time: Optional[int] = None) -> str:
    """The XML WeChat posts for a text, voice (with Recognition), image or event message."""
    created = create_time or int(time.time())
    fields = [f"<ToUserName>{_cdata(ACCOUNT)}</ToUserName>", f"<FromUserName>{_cdata(openid)}</FromUserName>",
              f"<CreateTime>{created}</CreateTime>", f"<MsgType>{_cdata(kind)}</MsgType>"]
    if kind == "text":
        fields.append(f"<Content>{_cdata(content)}</Content>")
    elif kind == "voice":
        fields += [f"<MediaId>{_cdata('media-demo')}</MediaId>", f"<Format>{_cdata('amr')}</Format>",
                   f"<Recognition>{_cdata(content)}</Recognition>"]
    elif kind == "image":
        fields += [f"<PicUrl>{_cdata('http://example.invalid/p.jpg')}</PicUrl>", f"<MediaId>{_cdata('m1')}</MediaId>"]
    elif kind == "event":
        fields.append(f"<Event>{_cdata(event)}</Event>")
        if event_key:
            fields.append(f"<EventKey>{_cdata(event_key)}</EventKey>")
    if kind != "event":
        fields.append(f"<MsgId>{msg_id or random.randint(10 ** 15, 10 ** 16)}</MsgId>")
    return "<xml>" + "".join(fields) + "</xml>"


def _nonce() -> str:
    return "".join(random.choice(string.ascii_letters + string.digits) for _ in range(10))


def sign(token: str, timestamp: str, nonce: str) -> str:
    return hashlib.sha1("".join(sorted([token, timestamp, nonce])).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Delivery:
    status: int
    body: str
    reply: Optional[str]  # the text of a passive reply, decrypted; None for "success" or an error
    seconds: float


class WeChatSimulator:
    def __init__(self, settings: Settings, webhook_url: str, mode: Optional[str] = None) -> None:
        self.settings = settings
        self.webhook_url = webhook_url
        self.mode = mode or settings.wechat_mode
        self._crypto = WeChatCrypto(settings.wechat_token, settings.wechat_aes_key, settings.wechat_app_id)

    def request_for(self, xml: str, timestamp: Optional[str] = None, nonce: Optional[str] = None,
                    forge: bool = False) -> Tuple[Dict[str, str], bytes]:
        """The query string and body WeChat would send for `xml` in this account's mode."""
        timestamp = timestamp or str(int(time.time()))
        nonce = nonce or _nonce()
        query = {"timestamp": timestamp, "nonce": nonce, "openid": "simulated",
                 "signature": sign(self.settings.wechat_token + ("x" if forge else ""), timestamp, nonce)}
        if self.mode == "plaintext":
            return query, xml.encode("utf-8")
        envelope = fromstring(self._crypto.encrypt_message(xml, nonce, timestamp).encode("utf-8"))
        encrypt, msg_signature = envelope.findtext("Encrypt"), envelope.findtext("MsgSignature")
        query.update(encrypt_type="aes", msg_signature=msg_signature)
        if self.mode == "compatible":  # plaintext fields and the ciphertext side by side
            body = xml.replace("</xml>", f"<Encrypt>{_cdata(encrypt)}</Encrypt></xml>")
        else:
            body = f"<xml><ToUserName>{_cdata(ACCOUNT)}</ToUserName><Encrypt>{_cdata(encrypt)}</Encrypt></xml>"
        return query, body.encode("utf-8")

    def post(self, xml: str, timeout_s: float = 20.0, **kwargs: object) -> Delivery:
        query, body = self.request_for(xml, **kwargs)  # type: ignore[arg-type]
        return self.post_raw(query, body, timeout_s)

    def post_raw(self, query: Dict[str, str], body: bytes, timeout_s: float = 20.0) -> Delivery:
        request = urllib.request.Request(f"{self.webhook_url}?{urlencode(query)}", data=body, method="POST",
                                         headers={"Content-Type": "text/xml"})
        started = time.monotonic()
        try:
            with urllib.request.urlopen(request, timeout=timeout_s) as response:
                status, text = response.status, response.read().decode("utf-8")
        except urllib.error.HTTPError as error:
            status, text = error.code, error.read().decode("utf-8", "replace")
        seconds = time.monotonic() - started
        return Delivery(status, text, self.read_reply(text) if status == 200 else None, seconds)

    def read_reply(self, body: str) -> Optional[str]:
        if not body or body == "success":
            return None
        root = fromstring(body.encode("utf-8"))
        if root.findtext("Encrypt"):
            inner = self._crypto.decrypt_message(body, root.findtext("MsgSignature"), root.findtext("TimeStamp"),
                                                 root.findtext("Nonce"))
            root = fromstring(inner.encode("utf-8") if isinstance(inner, str) else inner)
        return root.findtext("Content")

    def verify_url(self, echostr: str = "echo-check") -> Tuple[int, str]:
        timestamp, nonce = str(int(time.time())), _nonce()
        query = {"signature": sign(self.settings.wechat_token, timestamp, nonce), "timestamp": timestamp,
                 "nonce": nonce, "echostr": echostr}
        try:
            with urllib.request.urlopen(f"{self.webhook_url}?{urlencode(query)}", timeout=10) as response:
                return response.status, response.read().decode("utf-8")
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode("utf-8", "replace")
