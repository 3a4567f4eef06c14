"""An agent's reply made safe for the chat widget, which renders markdown (rasa-webchat turns off
react-markdown's own link filter, and its parser is the permissive kind that takes `[x] (url)` for a
link too): links and images only to http(s) addresses, and no raw HTML.

Everything else passes as typed, so a plain reply reaches the customer unchanged. What is defused
shows as the agent typed it: the `]` that would close a link to another scheme is escaped
(`[x\\](javascript:…)` reads "[x](javascript:…)"), and a tag's or autolink's `<` becomes `&lt;`
(read "<"). A channel without markdown (WeChat) shows those rare escapes as they are.
The stored reply is never changed; this runs on the way out (`bot.handoff.outbox`)."""
from __future__ import annotations

import html
import re
from typing import Optional

# What a link may point to: an absolute http(s) address and nothing else (no javascript:, data:,
# vbscript:, file:, relative paths or protocol-relative //host).
_SAFE_DESTINATION = re.compile(r"^https?://[^\s]", re.IGNORECASE)
# Characters a browser drops from a URL before reading its scheme ("java\tscript:").
_IGNORED_IN_URLS = re.compile(r"[\x00-\x20\x7f]+")
# `<` that opens an HTML tag, comment, declaration or processing instruction, or an autolink
# (`<javascript:…>`, `<https://…>`, `<a@b.c>`): each begins with a letter, `/`, `!` or `?`.
_TAG_START = re.compile(r"<(?=[A-Za-z/!?])")
# Whitespace as the widget's parser (JavaScript's `\s`) reads it: any Unicode space or line break, the
# full-width space U+3000, no-break spaces, \f, \v, \r and the byte-order mark.
_BLANKS = "[\\s\\ufeff]*"
# `]` before `(` (an inline link or image; permissive parsers allow any whitespace, even line breaks,
# between) or right before `:` (a reference definition, which reference links `[x][id]` and `[id]` use).
_LINK_JOINT = re.compile(r"\](?:" + _BLANKS + r"(\()|(:))")


def safe_markdown(text: str) -> str:
    """The reply as the widget should receive it: see the module's docstring."""
    text = _TAG_START.sub("&lt;", text)
    pieces = []
    position = 0
    for match in _LINK_JOINT.finditer(text):
        if _escaped(text, match.start()):
            continue  # `\]` is a bracket, not a link's end
        destination = (_inline_destination(text, match.end()) if match.group(1)
                       else _definition_destination(text, match.end()))
        if destination is not None and _is_safe(destination):
            continue
        pieces.append(text[position:match.start()])
        pieces.append("\\")  # `\]` ends no link and no definition, in any markdown
        position = match.start()
    pieces.append(text[position:])
    return "".join(pieces)


def _escaped(text: str, index: int) -> bool:
    """Whether the character at `index` is escaped: an odd number of backslashes right before it."""
    backslashes = 0
    while index - backslashes - 1 >= 0 and text[index - backslashes - 1] == "\\":
        backslashes += 1
    return backslashes % 2 == 1


def _is_safe(destination: str) -> bool:
    # Markdown decodes entities and backslash escapes in a destination before the browser sees it.
    decoded = html.unescape(re.sub(r"\\(.)", r"\1", destination))
    return bool(_SAFE_DESTINATION.match(_IGNORED_IN_URLS.sub("", decoded)))


def _inline_destination(text: str, start: int) -> Optional[str]:
    """The destination of an inline link whose `(` ends just before `start`: `<…>`, or up to
    whitespace or the `)` that balances; None when there is none to read."""
    rest = re.sub("^" + _BLANKS, "", text[start:])
    if rest.startswith("<"):
        end = rest.find(">")
        return rest[1:end] if end > 0 else None
    depth = 0
    for index, char in enumerate(rest):
        if char.isspace() or (char == ")" and depth == 0):
            return rest[:index]
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
    return rest


def _definition_destination(text: str, start: int) -> Optional[str]:
    """The destination of a reference definition `[label]: destination` (it may begin on the next line)."""
    match = re.match(_BLANKS + r"(<[^>\n]*>|\S+)", text[start:])
    if match is None:
        return None
    destination = match.group(1)
    return destination[1:-1] if destination.startswith("<") else destination
