"""`python -m tools.wechat send "你好"`: try the WeChat channel without a WeChat account."""
from __future__ import annotations

import argparse
import sys

from tools.wechat.simulator import WeChatSimulator, message_xml
from bot.settings import get_settings


def _simulator(args: argparse.Namespace) -> WeChatSimulator:
    settings = get_settings()
    url = args.url or f"{settings.rasa_url}/webhooks/wechat/webhook"
    return WeChatSimulator(settings, url, args.mode)


def _send(args: argparse.Namespace) -> int:
    simulator = _simulator(args)
    if args.subscribe:
        xml = message_xml(args.openid, "event", event="subscribe")
    elif args.click:
        xml = message_xml(args.openid, "event", event="CLICK", event_key=args.click)
    elif args.image:
        xml = message_xml(args.openid, "image", msg_id=args.msg_id)
    else:
        if not args.text:
            print("Give the message text (or --subscribe, --click KEY, --image).", file=sys.stderr)
            return 2
        xml = message_xml(args.openid, "voice" if args.voice else "text", args.text, msg_id=args.msg_id)
    try:
        delivery = simulator.post(xml)
    except OSError as error:
        print(f"Could not reach {simulator.webhook_url}: {error}. Is the assistant running (make run)?",
              file=sys.stderr)
        return 1
    if delivery.status != 200:
        print(f"HTTP {delivery.status}: {delivery.body}", file=sys.stderr)
        return 1
    if delivery.reply is None:
        print(f"(answered 'success' in {delivery.seconds:.2f} s: the reply goes through the customer-service API)")
    else:
        print(delivery.reply)
        print(f"(passive reply in {delivery.seconds:.2f} s, {simulator.mode} mode)", file=sys.stderr)
    return 0


def _verify(args: argparse.Namespace) -> int:
    status, body = _simulator(args).verify_url()
    print(f"HTTP {status}: {body}")
    return 0 if status == 200 and body == "echo-check" else 1


def build_parser() -> argparse.ArgumentParser:
    wechat = argparse.ArgumentParser(prog="python -m tools.wechat", description="simulate WeChat's server against the running assistant")
    sub = wechat.add_subparsers(dest="wechat_command", required=True)
    for name, func, text in (("send", _send, "send a message as WeChat does and print the reply"),
                             ("verify", _verify, "check the webhook's URL verification")):
        command = sub.add_parser(name, help=text)
        command.add_argument("--url", help="webhook URL (default: the running assistant's)")
        command.add_argument("--mode", choices=("plaintext", "compatible", "safe"),
                             help="message mode (default: BOT_WECHAT_MODE)")
        command.set_defaults(func=func)
        if name == "send":
            command.add_argument("text", nargs="?", help="the customer's message")
            command.add_argument("--openid", default="o-simulated-customer", help="the customer's openid")
            command.add_argument("--voice", action="store_true", help="send it as a voice message's Recognition")
            command.add_argument("--image", action="store_true", help="send an image message")
            command.add_argument("--subscribe", action="store_true", help="send a subscribe event")
            command.add_argument("--click", metavar="KEY", help="send a menu click with this EventKey")
            command.add_argument("--msg-id", type=int, help="MsgId (repeat one to simulate WeChat's retry)")
    return wechat


if __name__ == "__main__":
    parsed = build_parser().parse_args()
    sys.exit(parsed.func(parsed))
