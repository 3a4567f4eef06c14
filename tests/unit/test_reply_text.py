"""An agent's reply on its way to the chat widget (rasa-webchat renders markdown, permissively, and lets any
link through): http(s) links stay links, every other scheme and raw HTML end up as text, plain replies pass
unchanged. A markdown renderer (Python-Markdown, as a second opinion beside the browser test) checks it."""
import re
from html.parser import HTMLParser

import markdown
import pytest

from bot.handoff.reply_text import safe_markdown


class Elements(HTMLParser):
    """The elements and attributes a renderer made of the text."""

    def __init__(self, html):
        super().__init__()
        self.found = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, dict(attrs)))


def rendered(text):
    return Elements(markdown.markdown(text)).found


@pytest.mark.parametrize("text", [
    "您好，您的订单已发出，预计明天送达。",
    "Your refund of ¥199 is on its way (3-5 working days).",
    "退货说明见 [这里](https://shop.example/returns) 或 [FAQ](http://shop.example/faq \"常见问题\")",
    "a < b, 3<4, <= and -> are fine; so are [brackets] and (parentheses)",
    "**重要**：请保留发票 `GD2610150001`",
    "![商品图](https://shop.example/p.png)",
])
def test_plain_replies_and_http_links_pass_as_typed(text):
    assert safe_markdown(text) == text


@pytest.mark.parametrize("text, gone", [
    ("[领取优惠](javascript:alert(1))", "](javascript:"),
    ("[x](JavaScript:alert(1))", "](JavaScript:"),
    ("[x]( javascript:alert(1) )", "]( javascript:"),
    ("[x](&#106;avascript:alert(1))", "](&#106;"),  # an entity the browser would decode
    ("[x](java\\script:alert(1))", "](java"),
    ("[x](data:text/html;base64,PHNjcmlwdD4=)", "](data:"),
    ("[x](vbscript:msgbox(1))", "](vbscript:"),
    ("[x](//evil.example/steal)", "](//"),
    ("[x](/relative/path)", "](/"),
    ("![x](javascript:alert(1))", "](javascript:"),
    ("[x][ref]\n\n[ref]: javascript:alert(1)", "]: javascript:"),
    ("[x]\n\n[x]:\n  javascript:alert(1)", "]:\n"),
    ("<javascript:alert(1)>", "<javascript:"),
    ("<img src=x onerror=alert(1)>", "<img"),
    ("<a href=\"javascript:alert(1)\">x</a>", "<a "),
    ("<!-- hidden --><script>alert(1)</script>", "<script"),
    ("\\<b>bold</b>", "<b>"),
    # Any whitespace the widget's parser skips between `]` and `(`: the full-width space, no-break spaces,
    # form feed, vertical tab, carriage return, line separators, the byte-order mark.
    ("[x]\u3000(javascript:alert(1))", "](javascript:"),
    ("[x]\u00a0(javascript:alert(1))", "](javascript:"),
    ("[x]\f(javascript:alert(1))", "](javascript:"),
    ("[x]\v(javascript:alert(1))", "](javascript:"),
    ("[x]\r(javascript:alert(1))", "](javascript:"),
    ("[x]\r\n\u3000(javascript:alert(1))", "](javascript:"),
    ("[x]\u2028(javascript:alert(1))", "](javascript:"),
    ("[x]\ufeff(javascript:alert(1))", "](javascript:"),
    ("[x](\u3000javascript:alert(1))", "](javascript:"),
])
def test_other_schemes_and_raw_html_become_text(text, gone):
    safe = safe_markdown(text)
    assert safe.replace("&lt;", "<").replace("\\]", "]") == text  # reads as typed
    for tag, attributes in rendered(safe):
        assert tag in ("p", "a", "img", "br"), tag
        for name in ("href", "src"):
            assert attributes.get(name) is None or attributes[name].startswith(("http://", "https://")), attributes
        assert not [name for name in attributes if name.startswith("on")]
    if gone.startswith("<"):
        assert gone not in safe
    else:  # not even a permissive parser (one that takes "[x] (url)" for a link) finds a link's end
        assert not re.search(r"(?<!\\)\][\s\ufeff]*\(|(?<!\\)\]:", safe), safe


def test_http_links_still_render_as_links():
    assert rendered(safe_markdown("见 [说明](https://shop.example/help)")) == [
        ("p", {}), ("a", {"href": "https://shop.example/help"})]


def test_a_nested_bad_link_inside_a_good_one_is_defused_and_the_good_one_kept():
    assert safe_markdown("[[a](javascript:1)](https://shop.example)") == "[[a\\](javascript:1)](https://shop.example)"


def test_an_escape_the_agent_typed_cannot_undo_ours():
    assert safe_markdown("[x]\\](javascript:1)") == "[x]\\](javascript:1)"  # already a bracket: untouched
    assert safe_markdown("[x\\\\](javascript:1)") == "[x\\\\\\](javascript:1)"  # `\\]` is a backslash, then a `]`
    assert safe_markdown("[x] \n (javascript:1)") == "[x\\] \n (javascript:1)"  # blanks between: still a link there


def test_http_links_with_unicode_blanks_stay_links():
    assert safe_markdown("[说明]\u3000(https://shop.example/help)") == "[说明]\u3000(https://shop.example/help)"
    assert safe_markdown("[说明](\u3000https://shop.example/help)") == "[说明](\u3000https://shop.example/help)"
