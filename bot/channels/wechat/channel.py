"""WeChat Official Account as a Rasa input channel: `/webhooks/wechat/webhook`.

WeChat gives a server 5 seconds and then retries (three times in all). The assistant answers in
the HTTP response (a passive reply) when it is done within the configured 4.5 s; otherwise it says
`success` and sends the answer through the customer-service message API when it is ready. Each
message is processed once: retries are recognised by MsgId (events: sender + CreateTime) in the
database. Configured from the settings (BOT_WECHAT_*), not from credentials.yml."""
from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text

import yaml
from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidSignatureException
from wechatpy.replies import TextReply

from bot.channels.wechat.api import WeChatApi, WeChatApiError
from bot.channels.wechat.inbox import WeChatInbox
from bot.channels.wechat.protocol import (
    BadRequest,
    encrypted_part,
    check_xml,
    option_payload,
    read_message,
    signature_ok,
    split_text,
    with_numbered_options,
)
from bot.concurrency import run_blocking
from bot.observability.masking import mask_id
from bot.services import Services, get_services

logger = logging.getLogger(__name__)


def load_menu(path: Path) -> Dict[str, str]:
    if not path.exists():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {str(k): str(v) for k, v in (data.get("menu") or {}).items()}


class WeChatOutput(OutputChannel):
    """Messages outside a passive reply (an agent's reply, a slow answer) go through the customer-service API."""

    def __init__(self, api: WeChatApi, inbox: WeChatInbox) -> None:
        self._api = api
        self._inbox = inbox

    @classmethod
    def name(cls) -> Text:
        return "wechat"

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        await self._api.send_text(recipient_id, text)

    async def send_text_with_buttons(self, recipient_id: Text, text: Text, buttons: List[Dict[Text, Any]],
                                     **kwargs: Any) -> None:
        combined, payloads = with_numbered_options([{"text": text, "buttons": buttons}])
        await run_blocking(self._inbox.save_options, recipient_id, payloads)
        await self._api.send_text(recipient_id, combined)


class WeChatInput(InputChannel):
    @classmethod
    def name(cls) -> Text:
        return "wechat"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "WeChatInput":
        return cls(get_services())

    def __init__(self, services: Services) -> None:
        # Rasa builds the channel once per process; its WeChat parts (crypto, API client with its
        # access_token, inbox) are its own, on the process's settings and database.
        settings = services.settings
        self._settings = settings
        self._crypto = WeChatCrypto(settings.wechat_token, settings.wechat_aes_key, settings.wechat_app_id)
        self._api = WeChatApi(settings.wechat_api_base, settings.wechat_app_id, settings.wechat_app_secret)
        self._inbox = WeChatInbox(services.database)
        self._menu = load_menu(settings.kb_dir / "wechat_menu.yml")
        self._background: set = set()

    def get_output_channel(self) -> Optional[OutputChannel]:
        return WeChatOutput(self._api, self._inbox)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        hook = Blueprint("wechat_webhook", __name__)

        @hook.route("/", methods=["GET"])
        async def health(_request: Request) -> HTTPResponse:
            return response.json({"status": "ok", "mode": self._settings.wechat_mode})

        @hook.route("/webhook", methods=["GET"])
        async def verify(request: Request) -> HTTPResponse:
            """WeChat's URL verification: echo `echostr` when the signature is right."""
            args = request.args
            if not signature_ok(self._settings.wechat_token, args.get("signature", ""), args.get("timestamp", ""),
                                args.get("nonce", "")):
                return response.text("invalid signature", status=403)
            return response.text(args.get("echostr", ""))

        @hook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            args = request.args
            timestamp, nonce = args.get("timestamp", ""), args.get("nonce", "")
            if not signature_ok(self._settings.wechat_token, args.get("signature", ""), timestamp, nonce):
                return response.text("invalid signature", status=403)
            encrypted = args.get("encrypt_type", "raw") == "aes"
            try:
                body = request.body or b""
                check_xml(body)
                if encrypted:
                    xml = self._crypto.decrypt_message(
                        {"Encrypt": encrypted_part(body)}, args.get("msg_signature", ""), timestamp, nonce)
                elif self._settings.wechat_mode == "safe":
                    raise BadRequest("this account runs in safe mode: messages must be encrypted")
                else:
                    xml = body.decode("utf-8")
                inbound = read_message(xml, self._menu)
            except InvalidSignatureException:
                return response.text("invalid message signature", status=403)
            except (BadRequest, UnicodeDecodeError, ValueError) as error:
                logger.warning("WeChat request refused: %s", error)
                return response.text(f"bad request: {error}", status=400)

            if inbound.text is None or not await run_blocking(self._inbox.first_time, inbound.dedupe_key,
                                                              inbound.openid, inbound.msg_type):
                return response.text("success")  # nothing to answer, or a retry of a message in hand

            text = inbound.text
            if text and not text.startswith("/"):
                chosen = option_payload(text, await run_blocking(self._inbox.options, inbound.openid))
                text = chosen or text
            task = asyncio.ensure_future(self._converse(on_new_message, inbound.openid, text))
            try:
                messages = await asyncio.wait_for(asyncio.shield(task), self._settings.wechat_passive_timeout_s)
            except asyncio.TimeoutError:
                self._background.add(task)
                task.add_done_callback(lambda t: self._deliver_later(t, inbound.openid, inbound.dedupe_key))
                return response.text("success")
            reply, rest = await self._compose(inbound.openid, messages)
            if rest:
                self._spawn(self._send_rest(inbound.openid, rest))
            await run_blocking(self._inbox.mark, inbound.dedupe_key, "passive")
            if not reply:
                return response.text("success")
            xml_reply = TextReply(message=inbound.raw, content=reply).render()
            if encrypted:
                xml_reply = self._crypto.encrypt_message(xml_reply, nonce, timestamp)
            return response.text(xml_reply, content_type="application/xml")

        return hook

    async def _converse(self, on_new_message: Callable[[UserMessage], Awaitable[Any]], openid: str,
                        text: str) -> List[Dict[str, Any]]:
        collector = CollectingOutputChannel()
        await on_new_message(UserMessage(text, collector, openid, input_channel=self.name(),
                                         metadata={"channel": "wechat"}))
        return collector.messages

    async def _compose(self, openid: str, messages: List[Dict[str, Any]]) -> tuple:
        """The passive reply (one message, within WeChat's limit) and whatever must follow through the API."""
        text, payloads = with_numbered_options(messages)
        if payloads:
            await run_blocking(self._inbox.save_options, openid, payloads)
        parts = split_text(text) if text else []
        return (parts[0] if parts else ""), parts[1:]

    def _spawn(self, coroutine: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(coroutine)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _send_rest(self, openid: str, parts: List[str]) -> None:
        for part in parts:
            try:
                await self._api.send_text(openid, part)
            except (WeChatApiError, OSError) as error:
                logger.error("WeChat message to %s not sent: %s", mask_id(openid), error)
                return

    def _deliver_later(self, task: "asyncio.Future", openid: str, dedupe_key: str) -> None:
        self._background.discard(task)
        if task.cancelled() or task.exception() is not None:
            logger.error("WeChat message from %s failed: %s", mask_id(openid),
                         None if task.cancelled() else task.exception())
            self._spawn(run_blocking(self._inbox.mark, dedupe_key, "failed"))
            return
        self._spawn(self._deliver(openid, dedupe_key, task.result()))

    async def _deliver(self, openid: str, dedupe_key: str, messages: List[Dict[str, Any]]) -> None:
        first, rest = await self._compose(openid, messages)
        parts = [p for p in [first, *rest] if p]
        try:
            for part in parts:
                await self._api.send_text(openid, part)
            await run_blocking(self._inbox.mark, dedupe_key, "api")
        except (WeChatApiError, OSError) as error:
            logger.error("WeChat answer to %s not delivered: %s", mask_id(openid), error)
            await run_blocking(self._inbox.mark, dedupe_key, "failed")
