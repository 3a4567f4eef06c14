"""What a figure and a table of the service metrics are: a key, a unit, a name and a definition in both
languages (written next to the code that computes it, and shown on the page's legend and in `report`), and
the two bits of arithmetic they share (shares and percentiles)."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple

UNITS = ("count", "share", "seconds", "score", "text", "day", "time")


@dataclass(frozen=True)
class Column:
    key: str
    en: str
    zh: str
    unit: str = "count"


@dataclass(frozen=True)
class Definition:
    """A figure (one value) or a table (rows of columns)."""

    key: str
    unit: str  # a figure's unit; "table" for a table
    en: str  # the name
    zh: str
    en_means: str  # the definition
    zh_means: str
    columns: Tuple[Column, ...] = ()

    def as_json(self) -> Dict[str, Any]:
        data: Dict[str, Any] = {"unit": self.unit, "name": {"en": self.en, "zh": self.zh},
                                "means": {"en": self.en_means, "zh": self.zh_means}}
        if self.columns:
            data["columns"] = [{"key": c.key, "unit": c.unit, "name": {"en": c.en, "zh": c.zh}} for c in self.columns]
        return data


DEFINITIONS: Dict[str, Definition] = {}


def figure(key: str, unit: str, en: str, zh: str, en_means: str, zh_means: str) -> str:
    """Registers a figure's definition; returns its key (the name the computing code uses)."""
    assert unit in UNITS and key not in DEFINITIONS, key
    DEFINITIONS[key] = Definition(key, unit, en, zh, en_means, zh_means)
    return key


def table(key: str, en: str, zh: str, en_means: str, zh_means: str, columns: Sequence[Column]) -> str:
    assert key not in DEFINITIONS and all(c.unit in UNITS for c in columns), key
    DEFINITIONS[key] = Definition(key, "table", en, zh, en_means, zh_means, tuple(columns))
    return key


@dataclass
class Section:
    """One group of figures as computed: values by figure key, rows by table key."""

    key: str
    figures: Dict[str, Any] = field(default_factory=dict)
    tables: Dict[str, List[List[Any]]] = field(default_factory=dict)

    def as_json(self) -> Dict[str, Any]:
        return {"key": self.key,
                "figures": [{"key": k, "value": v} for k, v in self.figures.items()],
                "tables": [{"key": k, "columns": [c.key for c in DEFINITIONS[k].columns], "rows": rows}
                           for k, rows in self.tables.items()]}


def share(part: float, whole: float) -> Optional[float]:
    """part / whole rounded to 4 places; None (shown "—") when there is nothing to divide by."""
    return round(part / whole, 4) if whole else None


def percentile(values: Sequence[float], q: float) -> Optional[float]:
    """The nearest-rank percentile: the smallest value with at least q of all values at or below it
    (p50 of 1, 2, 3, 4 is 2; p90 is 4); None without values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q * len(ordered)))
    return round(float(ordered[rank - 1]), 1)


def mean(values: Sequence[float]) -> Optional[float]:
    return round(sum(values) / len(values), 2) if values else None


LABELS: Dict[str, Dict[str, str]] = {}


def label(kind: str, key: str, en: str, zh: str) -> None:
    """The name of a value that appears in a table (a reason, a status, a channel), in both languages."""
    LABELS[f"{kind}:{key}"] = {"en": en, "zh": zh}


for _key, _en, _zh in (("web", "website", "网站"), ("wechat", "WeChat", "微信"), ("rest", "REST (apps)", "REST 接口"),
                       ("other", "other", "其他")):
    label("channel", _key, _en, _zh)
for _key, _en, _zh in (("zh", "Chinese", "中文"), ("en", "English", "英文")):
    label("language", _key, _en, _zh)
