import logging

from bot.observability.masking import MaskingFilter, mask_id, mask_pii


def test_phone_numbers_id_numbers_and_emails_are_masked():
    text = "手机13812345678，身份证110101199003077777，邮箱 wangfang@example.com，UK +447700900123"
    masked = mask_pii(text)
    assert "13812345678" not in masked and "138****5678" in masked
    assert "110101199003077777" not in masked
    assert "wangfang@example.com" not in masked
    assert "+447700900123" not in masked


def test_order_numbers_are_not_mistaken_for_phones():
    assert mask_pii("订单 GD2611180002") == "订单 GD2611180002"


def test_ids_are_shortened():
    assert mask_id("oGalaxyVipWangFang0001") == "oGa***001"
    assert mask_id("abc") == "a***"


def test_log_records_are_masked(caplog):
    logger = logging.getLogger("test.masking")
    handler = logging.Handler()
    handler.addFilter(MaskingFilter())
    records = []
    handler.emit = records.append
    logger.addHandler(handler)
    try:
        logger.warning("customer phone %s", "13923456789")
    finally:
        logger.removeHandler(handler)
    assert records[0].getMessage() == "customer phone 139****6789"
