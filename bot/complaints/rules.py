"""Complaint categories, severity, SLA and when to bring in a person: the documented rules."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Optional

CATEGORIES = ("delivery", "quality", "after_sales", "billing", "staff", "other")
SEVERITIES = ("critical", "high", "normal")  # their names: domain.yml utter_name_severity_*

# Words that place a complaint in a category, checked in this order.
_CATEGORY_WORDS = (
    ("billing", r"扣款|扣了|扣钱|多收|收费|退款|退钱|发票|价保|差价|charged|charge|refund|billing|invoice|overcharg|price"),
    ("staff", r"态度|客服|骂人|骂我|不耐烦|说话冲|rude|attitude|agent|staff|unprofessional"),
    ("after_sales", r"维修|修了|返修|保修|售后|换货|退货|repair|warranty|after-sales|after sales|exchange|return"),
    ("delivery", r"快递|物流|配送|发货|没到|还没收到|丢|签收|包裹|送货|deliver|shipping|shipped|parcel|package|courier|tracking|arrive"),
    ("quality", r"坏|故障|质量|破|裂|划痕|坏点|杂音|没声音|不开机|死机|发热|冒烟|二手|broken|faulty|defect|quality|crack|scratch|dead pixel|doesn't work|not working|stopped working|smok"),
)
# Safety comes first whatever the category: 2-hour SLA and a person at once.
_SAFETY = re.compile(r"冒烟|起火|着火|爆炸|鼓包|漏电|电到|烫伤|烧焦|smok|fire|explod|burn|swollen|electric shock|shocked me", re.I)


def infer_category(text: str) -> Optional[str]:
    """The category a description points to, or None when it names none."""
    for category, pattern in _CATEGORY_WORDS:
        if re.search(pattern, text or "", re.IGNORECASE):
            return category
    return None


@dataclass(frozen=True)
class Assessment:
    severity: str  # critical | high | normal
    escalate: bool
    reason: Optional[str]  # safety | angry | repeat | vip


def assess(description: str, emotion_level: str, is_vip: bool, repeat_on_order: bool) -> Assessment:
    """Severity and escalation. Rule: safety → critical; angry, a repeat complaint on the same
    order, or a VIP customer → high; all four hand the customer to a person right away."""
    if _SAFETY.search(description or ""):
        return Assessment("critical", True, "safety")
    if repeat_on_order:
        return Assessment("high", True, "repeat")
    if emotion_level == "angry":
        return Assessment("high", True, "angry")
    if is_vip:
        return Assessment("high", True, "vip")
    return Assessment("normal", False, None)


def sla_deadline(severity: str, created_at: datetime, hours: dict) -> datetime:
    return created_at + timedelta(hours=hours[severity])
