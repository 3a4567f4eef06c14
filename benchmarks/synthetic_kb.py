"""A large synthetic knowledge base made from the demo one, for latency at scale."""
from __future__ import annotations

import random
from typing import Dict

from bot.kb.model import Entry, KnowledgeBase

_PRODUCTS_ZH = "手机 平板 笔记本 耳机 手表 手环 音箱 相机 显示器 键盘 鼠标 路由器 充电宝 投影仪 吸尘器 电视 游戏机 打印机 硬盘 麦克风".split()
_PRODUCTS_EN = "phone tablet laptop earbuds watch band speaker camera monitor keyboard mouse router powerbank projector vacuum tv console printer drive microphone".split()
_BRANDS = "Nova Orion Vega Lyra Atlas Helix Zenith Apex Nimbus Quasar Pulsar Titan Aurora Cobalt Ember Flux Ion Kepler Lumen Mira".split()


def synthetic_knowledge_base(base: KnowledgeBase, size: int, seed: int = 7) -> KnowledgeBase:
    """`size` entries: each is a demo entry about a made-up product model, so texts differ."""
    rng = random.Random(seed)
    originals = list(base.entries.values())
    entries: Dict[str, Entry] = {}
    for number in range(size):
        source = originals[number % len(originals)]
        brand = rng.choice(_BRANDS)
        k = rng.randrange(len(_PRODUCTS_ZH))
        model_zh = f"{brand}{_PRODUCTS_ZH[k]}{number % 997}"
        model_en = f"{brand} {_PRODUCTS_EN[k]} {number % 997}"
        entry_id = f"{source.id}-s{number}"
        entries[entry_id] = Entry(
            id=entry_id,
            category=source.category,
            question={lang: f"{model_zh}：{text}" if lang == "zh" else f"{model_en}: {text}"
                      for lang, text in source.question.items()},
            alternatives={
                "zh": tuple(f"{model_zh} {a}" for a in source.alternatives.get("zh", ())),
                "en": tuple(f"{model_en} {a}" for a in source.alternatives.get("en", ())),
            },
            answer=source.answer,
            tags=source.tags,
        )
    return KnowledgeBase(entries=entries, synonyms=base.synonyms)
