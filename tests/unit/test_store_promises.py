"""What the store page promises (free shipping from N yuan, N-day no-reason returns) must be what the knowledge
base answers; the page once said 88 yuan while the knowledge base said 99. The page is read as a customer
sees it, in both languages; the knowledge base from its entry files."""
from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Dict, List, Optional

import yaml

ROOT = Path(__file__).resolve().parents[2]
STORE_PAGE = ROOT / "bot" / "web" / "static" / "store.html"
ENTRIES = ROOT / "knowledge_base" / "entries"


class _Texts(HTMLParser):
    """Every visible text and every data-zh / data-en translation on the page."""

    def __init__(self) -> None:
        super().__init__()
        self.texts: Dict[str, List[str]] = {"zh": [], "en": []}

    def handle_starttag(self, tag: str, attrs: list) -> None:
        for name, value in attrs:
            if name in ("data-zh", "data-en") and value:
                self.texts[name[-2:]].append(value)

    def handle_data(self, data: str) -> None:
        if data.strip():
            self.texts["zh"].append(data)


def page_texts() -> Dict[str, str]:
    parser = _Texts()
    parser.feed(STORE_PAGE.read_text(encoding="utf-8"))
    return {language: "\n".join(texts) for language, texts in parser.texts.items()}


def entry(entry_id: str) -> dict:
    for path in sorted(ENTRIES.glob("*.yml")):
        for item in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("entries") or []:
            if item.get("id") == entry_id:
                return item
    raise AssertionError(f"knowledge_base/entries has no entry {entry_id!r}")


def _numbers(pattern: str, text: str) -> List[int]:
    return [int(n) for n in re.findall(pattern, text, flags=re.IGNORECASE)]


def _one(values: List[int], what: str) -> Optional[int]:
    assert len(set(values)) <= 1, f"{what}: the page states different values {values}"
    return values[0] if values else None


def test_free_shipping_threshold_on_the_page_is_the_knowledge_base_s():
    answer = entry("delivery-fee")["answer"]
    kb_zh = _numbers(r"满\s*(\d+)\s*元包邮", answer["zh"])[0]  # the first is the ordinary threshold
    kb_en = _numbers(r"(\d+) yuan or more ship free", answer["en"])[0]
    assert kb_zh == kb_en, "the knowledge base's two languages disagree"
    texts = page_texts()
    page_zh = _one(_numbers(r"满\s*(\d+)\s*元包邮", texts["zh"]), "free shipping (zh)")
    page_en = _one(_numbers(r"free shipping on orders of\s*[¥￥]?\s*(\d+)", texts["en"]), "free shipping (en)")
    assert page_zh is not None and page_en is not None, "the store page no longer states its free-shipping threshold"
    assert page_zh == kb_zh, f"store page: free shipping from {page_zh} yuan; knowledge base: {kb_zh}"
    assert page_en == kb_zh, f"store page (English): free shipping from {page_en} yuan; knowledge base: {kb_zh}"


def test_return_window_on_the_page_is_the_knowledge_base_s():
    answer = entry("return-policy")["answer"]
    kb_zh = _numbers(r"签收后\s*(\d+)\s*天内", answer["zh"])[0]
    kb_en = _numbers(r"within (\d+) days", answer["en"])[0]
    assert kb_zh == kb_en, "the knowledge base's two languages disagree"
    texts = page_texts()
    page_zh = _one(_numbers(r"(\d+)\s*天无理由退货", texts["zh"]), "return window (zh)")
    page_en = _one(_numbers(r"(\d+)-day no-reason returns", texts["en"]), "return window (en)")
    assert page_zh is not None and page_en is not None, "the store page no longer states its return window"
    assert page_zh == kb_zh, f"store page: {page_zh}-day returns; knowledge base: {kb_zh} days"
    assert page_en == kb_zh, f"store page (English): {page_en}-day returns; knowledge base: {kb_zh} days"
