"""Ticket and handoff numbers from a counter row (bot/storage/numbering.py): the visible format is unchanged
(TK/HD, the day, four digits), a new day starts at 0001, numbers follow those stored before the counter existed,
and writers on their own connections never get the same number."""
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from sqlalchemy import delete

from bot.complaints.tickets import ComplaintDraft, TicketService
from bot.handoff.queue import HandoffQueue, HandoffRequest
from bot.storage.database import create_database
from bot.storage.models import NumberCounter

HOURS = {"critical": 2, "high": 4, "normal": 24}
DAY = datetime(2026, 11, 30, 9, 0)


def complaint(n: int) -> ComplaintDraft:
    return ComplaintDraft(conversation_id=f"web:c{n}", customer_id=None, category="delivery",
                          description=f"第{n}个包裹一个星期了还没到", emotion_level="upset", emotion_score=0.5,
                          language="zh")


def request(n: int) -> HandoffRequest:
    return HandoffRequest(f"web:h{n}", "socketio", None, "zh", "regular", "calm", "explicit",
                          {"summary": {"zh": "s"}})


def test_tickets_are_numbered_per_day_from_0001(database):
    tickets = TicketService(database, HOURS)
    first, second = (tickets.submit(complaint(n), now=DAY) for n in (1, 2))
    next_day = tickets.submit(complaint(3), now=datetime(2026, 12, 1, 0, 5))
    assert [first.number, second.number, next_day.number] == ["TK2611300001", "TK2611300002", "TK2612010001"]
    assert tickets.submit(complaint(1), now=DAY).number == "TK2611300001"  # the same complaint again: no number used
    assert tickets.submit(complaint(4), now=DAY).number == "TK2611300003"


def test_handoffs_are_numbered_per_day_from_0001(database):
    queue = HandoffQueue(database)
    numbers = [queue.request(request(n), available=True, now=DAY).number for n in range(3)]
    assert numbers == ["HD2611300001", "HD2611300002", "HD2611300003"]


def test_numbers_follow_those_stored_before_the_counter_existed(database):
    """A database upgraded mid-day from the release that counted with max()+1 goes on where it left off."""
    tickets = TicketService(database, HOURS)
    for n in range(3):
        tickets.submit(complaint(n), now=DAY)
    with database.session() as session, session.begin():
        session.execute(delete(NumberCounter))
    assert tickets.submit(complaint(9), now=DAY).number == "TK2611300004"


def test_writers_on_their_own_connections_get_distinct_consecutive_numbers(tmp_settings, database):
    """Four threads, each with an engine of its own (as separate processes), file 10 tickets each at once."""
    engines = [create_database(tmp_settings.database_url) for _ in range(4)]

    def file_ten(index: int):
        tickets = TicketService(engines[index], HOURS)
        return [tickets.submit(complaint(index * 100 + n), now=DAY).number for n in range(10)]

    try:
        with ThreadPoolExecutor(4) as pool:
            numbers = [number for batch in pool.map(file_ten, range(4)) for number in batch]
    finally:
        for engine in engines:
            engine.engine.dispose()
    assert sorted(numbers) == [f"TK261130{n:04d}" for n in range(1, 41)]
