"""A website-chat customer on the assistant's socket.io channel, kept connected in a background thread so a
test can act as the agent meanwhile and check what reaches the customer live.

Like the widget, it asks for a session and gets one the server issued and signed (`session_id`, bound to
the guest or to the customer its token names); the conversation is "web:<session>" (`conversation_id`).
`resume` asks for an earlier session id instead (the server may refuse it and issue another)."""
from __future__ import annotations

import asyncio
import threading
import time
from typing import Callable, List, Optional

from benchmarks.loadgen import _SocketIO


class SocketCustomer:
    def __init__(self, rasa_url: str, language: str = "zh", token: Optional[str] = None,
                 resume: Optional[str] = None) -> None:
        self.session_id: Optional[str] = None
        self.received: List[dict] = []
        self._url = rasa_url
        self._language = language
        self._auth = {"token": token} if token else None
        self._resume = resume
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._client: Optional[_SocketIO] = None
        self._lock = threading.Lock()
        self._collector: Optional[asyncio.Future] = None

    @property
    def conversation_id(self) -> str:
        """The conversation (Rasa's sender id, the socket.io room) this connection is bound to."""
        assert self.session_id, "not connected"
        return "web:" + self.session_id.split(".")[0]

    def __enter__(self) -> "SocketCustomer":
        self._thread.start()
        self._call(self._connect(), 20)
        return self

    def __exit__(self, *_exc: object) -> None:
        try:
            self._call(self._close(), 10)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(5)

    def _call(self, coroutine, timeout: float):
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout)

    async def _connect(self) -> None:
        self._client = _SocketIO(self._url, auth=self._auth)
        await self._client.connect()
        await self._client.emit("session_request", {"session_id": self._resume})
        confirmed, _at = await self._client.wait_for_event("session_confirm", 10)
        self.session_id = confirmed["session_id"] if isinstance(confirmed, dict) else confirmed
        self._collector = asyncio.ensure_future(self._collect())

    async def _close(self) -> None:
        if self._collector:
            self._collector.cancel()
        await self._client.close()

    async def _collect(self) -> None:
        while True:
            name, data, _at = await self._client.events.get()
            if name == "bot_uttered":
                with self._lock:
                    self.received.append(data)

    def say(self, text: str, session_id: Optional[str] = None) -> None:
        """Sends a message as the widget does, with this connection's session id in the payload (or, to
        show that the server ignores it, another one)."""
        payload = {"message": text, "session_id": session_id or self.session_id,
                   "customData": {"language": self._language}}
        self._call(self._client.emit("user_uttered", payload), 10)

    def wait_for(self, predicate: Callable[[dict], bool], timeout: float = 30, since: int = 0) -> dict:
        """The first message from index `since` on that satisfies `predicate`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                for message in self.received[since:]:
                    if predicate(message):
                        return message
            time.sleep(0.1)
        raise AssertionError(f"no such message within {timeout} s; received: {self.received[since:]}")

    def count(self) -> int:
        with self._lock:
            return len(self.received)

    def messages(self) -> List[dict]:
        with self._lock:
            return list(self.received)
