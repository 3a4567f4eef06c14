"""WeChat under load: concurrent customers who behave like WeChat's server (5-second timeout, then the
same MsgId again, three retries at most). Reports the share of passive replies within 4.5 s and how
many messages were processed more than once (from the conversations Rasa recorded)."""
from __future__ import annotations

import json
import random
import threading
import time
import urllib.parse
import urllib.request
import uuid
from typing import Dict, List

from tools.wechat.simulator import WeChatSimulator, message_xml
from bot.identity.conversation_ids import conversation_id
from bot.settings import Settings

QUESTIONS = ["运费怎么算？包邮吗？", "怎么申请退货？", "保修期是多久？", "退款多久到账？", "可以开发票吗？",
             "你好", "谢谢", "how long does a refund take?", "积分怎么用？", "怎么修改收货地址？"]
WECHAT_TIMEOUT_S = 5.0
RETRIES = 3


def _customer(simulator: WeChatSimulator, openid: str, deadline: float, rng: random.Random,
              results: List[Dict], lock: threading.Lock) -> None:
    while time.monotonic() < deadline:
        xml = message_xml(openid, "text", rng.choice(QUESTIONS), msg_id=rng.randint(10 ** 15, 10 ** 16))
        started, outcome, attempts = time.monotonic(), "error", 0
        for attempt in range(1 + RETRIES):
            attempts = attempt + 1
            try:
                delivery = simulator.post(xml, timeout_s=WECHAT_TIMEOUT_S)
            except OSError:  # WeChat gives up on this attempt after 5 s and retries
                outcome = "timeout"
                continue
            if delivery.status != 200:
                outcome = f"http {delivery.status}"
                break
            outcome = "passive" if delivery.reply else "success"
            break
        with lock:
            results.append({"openid": openid, "outcome": outcome, "attempts": attempts,
                            "seconds": time.monotonic() - started})
        time.sleep(rng.uniform(0.5, 1.5))


def _user_turns(settings: Settings, openid: str) -> int:
    """The customer's messages Rasa recorded in the WeChat conversation ("wechat:<openid>"), read through
    Rasa's HTTP API with its token."""
    conversation = urllib.parse.quote(conversation_id("wechat", openid), safe=":@")
    url = f"{settings.rasa_url}/conversations/{conversation}/tracker?token={urllib.parse.quote(settings.rasa_token)}"
    with urllib.request.urlopen(url, timeout=30) as response:
        events = json.loads(response.read())["events"]
    return sum(1 for e in events if e.get("event") == "user")


def run(settings: Settings, webhook_url: str, users: int = 10, duration: float = 60, seed: int = 7) -> Dict:
    simulator = WeChatSimulator(settings, webhook_url)
    rng = random.Random(seed)
    results: List[Dict] = []
    lock = threading.Lock()
    openids = [f"o-bench-{uuid.uuid4().hex[:10]}" for _ in range(users)]
    deadline = time.monotonic() + duration
    threads = [threading.Thread(target=_customer, args=(simulator, o, deadline, random.Random(rng.random()),
                                                         results, lock)) for o in openids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    sent = {o: sum(1 for r in results if r["openid"] == o) for o in openids}
    processed = {o: _user_turns(settings, o) for o in openids}
    passive = [r for r in results if r["outcome"] == "passive" and r["seconds"] <= 4.5]
    return {
        "users": users, "duration": duration, "messages": len(results),
        "passive_within_4_5s": len(passive) / len(results) if results else 0.0,
        "answered_later_by_api": sum(1 for r in results if r["outcome"] == "success"),
        "retried": sum(1 for r in results if r["attempts"] > 1),
        "errors": sum(1 for r in results if r["outcome"] not in ("passive", "success")),
        "duplicate_processings": sum(max(0, processed[o] - sent[o]) for o in openids),
        "p95_s": sorted(r["seconds"] for r in results)[int(0.95 * (len(results) - 1))] if results else 0.0,
    }


def markdown(figures: Dict) -> str:
    return "\n".join([
        "## WeChat under load", "",
        f"{figures['users']} concurrent WeChat customers for {figures['duration']:.0f} s, each behaving like WeChat's "
        "server (safe mode, AES; a 5-second timeout, then the same MsgId again, at most three retries).", "",
        "| messages | passive reply within 4.5 s | answered later via the API | retried | duplicate processings | errors | p95 |",
        "|---|---|---|---|---|---|---|",
        f"| {figures['messages']} | {figures['passive_within_4_5s']:.1%} | {figures['answered_later_by_api']} | "
        f"{figures['retried']} | {figures['duplicate_processings']} | {figures['errors']} | {figures['p95_s'] * 1000:.0f} ms |",
        "",
    ])
