import logging

import pytest

from bot.observability.masking import MaskingFilter, mask_id, mask_pii


def test_phone_numbers_id_numbers_and_emails_are_masked():
    text = "手机13812345678，身份证110101199003077777，邮箱 wangfang@example.com，UK +447700900123"
    masked = mask_pii(text)
    assert "13812345678" not in masked and "138****5678" in masked
    assert "110101199003077777" not in masked
    assert "wangfang@example.com" not in masked
    assert "+447700900123" not in masked


@pytest.mark.parametrize("written", [
    "138 1234 5678", "138-1234-5678", "8613812345678", "+86 138 1234 5678", "+8613812345678",
    "0086-138-1234-5678", "+86-138 1234-5678",
])
def test_phone_numbers_written_with_separators_or_a_country_code_are_masked(written):
    masked = mask_pii(f"客户电话：{written}，请回电")
    assert "1234" not in masked, masked
    assert masked.endswith("****5678，请回电"), masked


def test_order_numbers_are_not_mistaken_for_phones():
    assert mask_pii("订单 GD2611180002") == "订单 GD2611180002"
    for text in ("2026-11-30 02:42:08", "价格 1299 元 共 3 件", "工单 TK2611300001", "1381234567"):
        assert mask_pii(text) == text


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


def _write_with(handler_filter, install):
    """What a plain stream handler writes for a record with a phone number and a failure mentioning another."""
    import io

    from bot.observability.masking import install_masking

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    if handler_filter:
        handler.addFilter(MaskingFilter())
    logger = logging.getLogger("test.masking.traceback")
    logger.addHandler(handler)
    logger.propagate = False
    previous = logging.getLogRecordFactory()
    try:
        if install:
            install_masking()
        try:
            raise ValueError("customer 13923456789 not found")
        except ValueError:
            logger.exception("lookup for %s failed", "13812345678")
    finally:
        logging.setLogRecordFactory(previous)
        logger.removeHandler(handler)
    return stream.getvalue()


def test_a_record_and_its_traceback_are_written_masked_by_the_filter():
    written = _write_with(handler_filter=True, install=False)
    assert "lookup for 138****5678 failed" in written
    assert "Traceback" in written and "ValueError: customer 139****6789 not found" in written
    assert "13812345678" not in written and "13923456789" not in written


def test_installed_masking_covers_handlers_that_have_no_filter():
    written = _write_with(handler_filter=False, install=True)
    assert "138****5678" in written and "139****6789" in written
    assert "13812345678" not in written and "13923456789" not in written
