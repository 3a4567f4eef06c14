"""Simulated customers holding multi-turn conversations, run as its own process:

    python -m benchmarks.loadgen --url http://127.0.0.1:5005 --channel rest --rest-token T --users 10 \
        --duration 120 --out f.json

The REST channel needs the token of one of its integrations (BOT_REST_TOKENS), sent as a bearer token.

Each customer repeats a realistic conversation (small talk, FAQ questions in both languages,
complaint-form steps) with a think time between messages, under a fresh sender id each round.
Latency is measured per message: REST until the full reply; socket.io until the first reply.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import random
import time
import uuid
from typing import Dict, List, Optional, Tuple

import aiohttp

SCRIPT: List[Tuple[str, str]] = [
    ("small_talk", "你好"),
    ("faq", "退货运费谁出"),
    ("faq", "how long does a refund take"),
    ("complaint", "我要投诉"),
    ("complaint", '/inform{"complaint_category":"delivery"}'),
    ("complaint", "算了，不投诉了"),
    ("small_talk", "你今天心情怎么样"),
    ("faq", "积分怎么用"),
    ("small_talk", "谢谢"),
]


async def _rest_customer(session: aiohttp.ClientSession, url: str, deadline: float, think: float,
                         samples: List[Dict], rng: random.Random, rest_token: str = "",
                         empty_replies_ok: bool = False) -> None:
    headers = {"Authorization": f"Bearer {rest_token}"} if rest_token else {}
    while time.monotonic() < deadline:
        sender = f"load-{uuid.uuid4().hex[:12]}"
        for step, (kind, message) in enumerate(SCRIPT):
            if time.monotonic() >= deadline:
                return
            started = time.perf_counter()
            ok = True
            try:
                async with session.post(f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": message},
                                        headers=headers,
                                        timeout=aiohttp.ClientTimeout(total=30)) as response:
                    body = await response.json(content_type=None)
                    ok = response.status == 200 and isinstance(body, list) and (len(body) > 0 or empty_replies_ok)
            except Exception:
                ok = False
            samples.append({"kind": kind, "step": step, "ms": (time.perf_counter() - started) * 1000, "ok": ok,
                            "at": time.monotonic()})
            await asyncio.sleep(think * rng.uniform(0.5, 1.5))


class _SocketIO:
    """Just enough of the Socket.IO v5 / Engine.IO v4 websocket protocol for a chat widget.

    (python-socketio's client needs a newer aiohttp than Rasa 3.6 allows.) `auth` is what socket.io's
    client sends when joining the namespace (e.g. {"token": <customer token>})."""

    def __init__(self, url: str, auth: Optional[Dict] = None) -> None:
        self.url = url.replace("http://", "ws://").replace("https://", "wss://") + "/socket.io/?EIO=4&transport=websocket"
        self.auth = auth
        self.events: asyncio.Queue = asyncio.Queue()
        self._ws = None
        self._reader = None

    async def connect(self) -> None:
        import websockets

        self._ws = await websockets.connect(self.url, open_timeout=10, max_size=None)
        opened = await asyncio.wait_for(self._ws.recv(), 10)
        if not str(opened).startswith("0"):
            raise ConnectionError(f"unexpected Engine.IO open packet {opened!r}")
        await self._ws.send("40" + (json.dumps(self.auth) if self.auth else ""))
        while True:  # events sent before the namespace is joined are dropped by the server
            packet = str(await asyncio.wait_for(self._ws.recv(), 10))
            if packet.startswith("40"):
                break
            if packet.startswith("44"):
                raise ConnectionError(f"namespace refused: {packet}")
        self._reader = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        async for packet in self._ws:
            packet = str(packet)
            if packet == "2":  # ping
                await self._ws.send("3")
            elif packet.startswith("42"):
                name, *args = json.loads(packet[2:])
                self.events.put_nowait((name, args[0] if args else None, time.perf_counter()))

    async def emit(self, name: str, data: Dict) -> None:
        await self._ws.send("42" + json.dumps([name, data], ensure_ascii=False))

    async def wait_for(self, name: str, timeout: float) -> float:
        return (await self.wait_for_event(name, timeout))[1]

    async def wait_for_event(self, name: str, timeout: float) -> Tuple[object, float]:
        """The data of the next `name` event and when it arrived (earlier events of other names are dropped)."""
        deadline = time.perf_counter() + timeout
        while True:
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                raise asyncio.TimeoutError(name)
            event, data, at = await asyncio.wait_for(self.events.get(), remaining)
            if event == name:
                return data, at

    async def close(self) -> None:
        if self._reader:
            self._reader.cancel()
        if self._ws:
            await self._ws.close()


async def _socketio_customer(url: str, deadline: float, think: float, samples: List[Dict],
                             rng: random.Random) -> None:
    while time.monotonic() < deadline:
        client = _SocketIO(url)
        try:
            await client.connect()
            # A new visitor: the server issues (and signs) the session id; a made-up one would be refused.
            await client.emit("session_request", {"session_id": None})
            session_id, _at = await client.wait_for_event("session_confirm", 10)
        except Exception:
            samples.append({"kind": "connect", "ms": 0.0, "ok": False, "at": time.monotonic()})
            await client.close()
            await asyncio.sleep(1)
            continue
        try:
            for step, (kind, message) in enumerate(SCRIPT):
                if time.monotonic() >= deadline:
                    break
                while not client.events.empty():
                    client.events.get_nowait()
                started = time.perf_counter()
                await client.emit("user_uttered", {"message": message, "session_id": session_id})
                try:
                    first = await client.wait_for("bot_uttered", 30)
                    samples.append({"kind": kind, "step": step, "ms": (first - started) * 1000, "ok": True,
                                    "at": time.monotonic()})
                except asyncio.TimeoutError:
                    samples.append({"kind": kind, "step": step, "ms": 30000.0, "ok": False, "at": time.monotonic()})
                await asyncio.sleep(think * rng.uniform(0.5, 1.5))
        finally:
            await client.close()


async def run(url: str, channel: str, users: int, duration: float, think: float, seed: int,
              rest_token: str = "", empty_replies_ok: bool = False) -> List[Dict]:
    samples: List[Dict] = []
    deadline = time.monotonic() + duration
    rngs = [random.Random(seed + i) for i in range(users)]
    if channel == "rest":
        connector = aiohttp.TCPConnector(limit=users * 2)
        async with aiohttp.ClientSession(connector=connector) as session:
            await asyncio.gather(*[_rest_customer(session, url, deadline, think, samples, rng, rest_token,
                                                  empty_replies_ok) for rng in rngs])
    else:
        await asyncio.gather(*[_socketio_customer(url, deadline, think, samples, rng) for rng in rngs])
    return samples


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", required=True)
    parser.add_argument("--channel", choices=("rest", "socketio"), default="rest")
    parser.add_argument("--rest-token", default="", help="an integration's token for the REST channel")
    parser.add_argument("--empty-replies-ok", action="store_true",
                        help="count an empty REST reply as answered (a plain `rasa init` says nothing to what its "
                             "stories do not cover; our assistant always answers)")
    parser.add_argument("--users", type=int, default=1)
    parser.add_argument("--duration", type=float, default=120)
    parser.add_argument("--think", type=float, default=1.0, help="mean seconds between a customer's messages")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    started = time.monotonic()
    samples = asyncio.run(run(args.url, args.channel, args.users, args.duration, args.think, args.seed,
                              args.rest_token, args.empty_replies_ok))
    with open(args.out, "w", encoding="utf-8") as handle:
        json.dump({"samples": samples, "wall_seconds": time.monotonic() - started}, handle)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
