"""WeChat Official Account as a Rasa input channel: `/webhooks/wechat/webhook`.

WeChat gives a server 5 seconds and then retries (three times in all). The assistant answers in
the HTTP response (a passive reply) when it is done within the configured 4.5 s; otherwise it says
`success` and sends the answer through the customer-service message API when it is ready. Each
message is processed once: retries are recognised by MsgId (events: sender + CreateTime) in the
database. Configured from the settings (BOT_WECHAT_*), not from credentials.yml.

Every request must carry WeChat's signature (checked in constant time) and a timestamp within
BOT_WECHAT_MAX_AGE seconds of ours: an older one is a replay and gets 403 before anything is read.
A message a crash cut off (still "processing" in the inbox) is answered through the API once the
restarted channel is up, exactly once (`bot.channels.wechat.inbox`)."""
from __future__ import annotations

import asyncio
import logging
import time
from datetime import timedelta
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

from bot.channels.wechat.api import CUSTOMER_SERVICE_WINDOW_S, WeChatApi
from bot.channels.wechat.inbox import WeChatInbox
from bot.channels.wechat.protocol import (
    BadRequest,
    encrypted_part,
    check_xml,
    message_signature_ok,
    option_payload,
    read_message,
    signature_ok,
    timestamp_fresh,
    split_text,
    with_numbered_options,
)
from bot.concurrency import run_blocking
from bot.identity.conversation_ids import channel_of, conversation_id, local_id_of
from bot.identity.verified import VerifiedIdentity, stamp
from bot.observability.masking import mask_id
from bot.services import Services, get_services
from bot.storage.models import utcnow

logger = logging.getLogger(__name__)


def load_menu(path: Path) -> Dict[str, str]:
    if not path.exists():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {str(k): str(v) for k, v in (data.get("menu") or {}).items()}


def openid_of(recipient_id: str) -> str:
    """The WeChat openid behind a conversation id ("wechat:<openid>"); a conversation of another channel
    is never sent to WeChat. An id without a channel is one from before ids were namespaced: the openid."""
    openid = local_id_of(recipient_id, "wechat")
    if openid:
        return openid
    if channel_of(recipient_id) is None and recipient_id:
        return recipient_id
    raise ValueError(f"conversation {mask_id(recipient_id)} is not a WeChat conversation")


class WeChatOutput(OutputChannel):
    """Messages outside a passive reply (an agent's reply, a slow answer) go through the customer-service API.
    Rasa names the recipient by conversation id ("wechat:<openid>"); WeChat wants the openid."""

    def __init__(self, api: WeChatApi, inbox: WeChatInbox) -> None:
        self._api = api
        self._inbox = inbox

    @classmethod
    def name(cls) -> Text:
        return "wechat"

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        await self._api.send_text(openid_of(recipient_id), text)

    async def send_text_with_buttons(self, recipient_id: Text, text: Text, buttons: List[Dict[Text, Any]],
                                     **kwargs: Any) -> None:
        openid = openid_of(recipient_id)
        combined, payloads = with_numbered_options([{"text": text, "buttons": buttons}])
        await run_blocking(self._inbox.save_options, openid, payloads)
        await self._api.send_text(openid, combined)


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
        self._api = WeChatApi.from_settings(settings)
        self._inbox = WeChatInbox(services.database)
        self._menu = load_menu(settings.kb_dir / "wechat_menu.yml")
        self._background: set = set()
        self._started_at = utcnow()
        self._recovery: Optional["asyncio.Future[None]"] = None

    def get_output_channel(self) -> Optional[OutputChannel]:
        return WeChatOutput(self._api, self._inbox)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        hook = Blueprint("wechat_webhook", __name__)

        @hook.listener("after_server_start")
        async def finish_cut_off_messages(_app: Any, _loop: Any) -> None:
            self._start_recovery(on_new_message)

        def refusal(args: Any) -> Optional[HTTPResponse]:
            """403 unless WeChat signed the request for our token, and lately."""
            timestamp = args.get("timestamp", "")
            if not signature_ok(self._settings.wechat_token, args.get("signature", ""), timestamp,
                                args.get("nonce", "")):
                return response.text("invalid signature", status=403)
            if not timestamp_fresh(timestamp, time.time(), self._settings.wechat_max_age_s):
                return response.text("timestamp outside the accepted window", status=403)
            return None

        @hook.route("/", methods=["GET"])
        async def health(_request: Request) -> HTTPResponse:
            return response.json({"status": "ok", "mode": self._settings.wechat_mode})

        @hook.route("/webhook", methods=["GET"])
        async def verify(request: Request) -> HTTPResponse:
            """WeChat's URL verification: echo `echostr` when the signature is right."""
            args = request.args
            return refusal(args) or response.text(args.get("echostr", ""))

        @hook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            args = request.args
            refused = refusal(args)
            if refused is not None:
                return refused
            self._start_recovery(on_new_message)  # if the start-up listener did not run
            timestamp, nonce = args.get("timestamp", ""), args.get("nonce", "")
            encrypted = args.get("encrypt_type", "raw") == "aes"
            try:
                body = request.body or b""
                check_xml(body)
                if encrypted:
                    encrypt = encrypted_part(body)
                    if not message_signature_ok(self._settings.wechat_token, args.get("msg_signature", ""),
                                                timestamp, nonce, encrypt):
                        raise InvalidSignatureException()
                    xml = self._crypto.decrypt_message({"Encrypt": encrypt}, args.get("msg_signature", ""),
                                                       timestamp, nonce)
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

            if inbound.text is None:
                return response.text("success")  # nothing to answer
            text = inbound.text
            if not text.startswith("/"):
                chosen = option_payload(text, await run_blocking(self._inbox.options, inbound.openid))
                text = chosen or text
            if not await run_blocking(self._inbox.first_time, inbound.dedupe_key, inbound.openid, inbound.msg_type,
                                      text):
                return response.text("success")  # a retry of a message in hand
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
        """One message through Rasa; WeChat's signed request vouches for the openid, which names the
        conversation ("wechat:<openid>") and, through the store's channel identities, the customer."""
        collector = CollectingOutputChannel()
        identity = VerifiedIdentity("wechat", external_id=openid)
        await on_new_message(UserMessage(text, collector, conversation_id("wechat", openid), input_channel=self.name(),
                                         metadata=stamp({"channel": "wechat"}, identity)))
        return collector.messages

    def _start_recovery(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:
        """Once per process: finish the messages a crash cut off."""
        if self._recovery is None:
            self._recovery = asyncio.ensure_future(self._recover(on_new_message))

    async def _recover(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:
        """Waits out the passive deadline (what arrived before the start is then surely cut off), takes the
        messages still "processing" from before, and answers each through the customer-service API."""
        passive = self._settings.wechat_passive_timeout_s
        await asyncio.sleep(passive)
        now = utcnow()
        try:
            stuck = await run_blocking(self._inbox.take_stuck, min(self._started_at, now - timedelta(seconds=passive)),
                                       now - timedelta(seconds=CUSTOMER_SERVICE_WINDOW_S))
        except Exception:
            logger.exception("WeChat messages cut off by a restart could not be read")
            return
        for message in stuck:
            logger.info("answering a WeChat message from %s that a restart cut off", mask_id(message.openid))
            try:
                messages = await self._converse(on_new_message, message.openid, message.text)
            except Exception:
                logger.exception("WeChat message from %s failed again after a restart", mask_id(message.openid))
                await self._mark(message.dedupe_key, "failed")
                continue
            await self._deliver(message.openid, message.dedupe_key, messages)

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
            except Exception as error:  # WeChat's refusal, the network, a timeout, a bug: log, stop here
                logger.error("WeChat message to %s not sent: %s", mask_id(openid), _described(error))
                return

    def _deliver_later(self, task: "asyncio.Future", openid: str, dedupe_key: str) -> None:
        self._background.discard(task)
        if task.cancelled() or task.exception() is not None:
            logger.error("WeChat message from %s failed: %s", mask_id(openid),
                         None if task.cancelled() else task.exception())
            self._spawn(self._mark(dedupe_key, "failed"))
            return
        self._spawn(self._deliver(openid, dedupe_key, task.result()))

    async def _deliver(self, openid: str, dedupe_key: str, messages: List[Dict[str, Any]]) -> None:
        """Sends the answer through the customer-service API and marks the message ``api``; on any failure
        (WeChat's refusal, the network, a timeout, our own bug) ``failed``, never left ``processing``, which
        a restart would answer a second time."""
        try:
            first, rest = await self._compose(openid, messages)
            for part in [p for p in [first, *rest] if p]:
                await self._api.send_text(openid, part)
        except Exception as error:
            logger.error("WeChat answer to %s not delivered: %s", mask_id(openid), _described(error))
            await self._mark(dedupe_key, "failed")
            return
        await self._mark(dedupe_key, "api")

    async def _mark(self, dedupe_key: str, state: str) -> None:
        try:
            await run_blocking(self._inbox.mark, dedupe_key, state)
        except Exception as error:  # the database is away: the message stays as it was, said in the log
            logger.error("WeChat message %s could not be marked %s: %s", mask_id(dedupe_key), state,
                         _described(error))


def _described(error: BaseException) -> str:
    """An error for the log: its type, and its message (personal data masked by the log filter)."""
    text = str(error)
    return f"{type(error).__name__}: {text}" if text else type(error).__name__
