"""The complaint draft gathered from the form's slots and the customer's mood."""
from bot.complaints.draft import build_draft
from bot.complaints.validation import SKIPPED


def said(level, score):
    """A customer message as Rasa records it, with the emotion entities our NLU component adds."""
    return {"event": "user", "text": "…", "parse_data": {"entities": [
        {"entity": "emotion", "value": level}, {"entity": "emotion_score", "value": score}]}}


SLOTS = {
    "customer_id": "C1002", "customer_tier": "vip", "emotion": "calm", "complaint_category": "quality",
    "complaint_description": "收到的杯子是裂的", "complaint_order_number": "GD2611200003",
    "complaint_phone": "13923456789", "complaint_callback_time": SKIPPED,
}


def test_the_draft_carries_what_the_form_collected():
    draft = build_draft("conv-9", SLOTS, [said("calm", 0.0)], "zh", emotion_window=6)
    assert (draft.conversation_id, draft.customer_id, draft.language) == ("conv-9", "C1002", "zh")
    assert (draft.category, draft.description) == ("quality", "收到的杯子是裂的")
    assert (draft.order_number, draft.phone) == ("GD2611200003", "13923456789")
    assert draft.callback_time is None  # skipped is no answer
    assert draft.is_vip


def test_a_missing_category_is_inferred_from_the_description_or_is_other():
    slots = dict(SLOTS, complaint_category=None, complaint_description="快递一个星期了还没到")
    assert build_draft("c", slots, [], "zh", 6).category == "delivery"
    slots = dict(SLOTS, complaint_category=None, complaint_description="说不清楚", customer_tier="regular")
    draft = build_draft("c", slots, [], "zh", 6)
    assert draft.category == "other" and not draft.is_vip


def test_the_mood_is_the_peak_over_the_window():
    events = [said("angry", 0.9)] + [said("calm", 0.1)] * 3
    draft = build_draft("c", SLOTS, events, "zh", emotion_window=6)
    assert (draft.emotion_level, draft.emotion_score) == ("angry", 0.9)
    draft = build_draft("c", SLOTS, events, "zh", emotion_window=3)  # the outburst is older than the window
    assert (draft.emotion_level, draft.emotion_score) == ("calm", 0.1)
    draft = build_draft("c", dict(SLOTS, emotion="upset"), [], "en", emotion_window=3)
    assert (draft.emotion_level, draft.emotion_score, draft.language) == ("upset", 0.0, "en")
