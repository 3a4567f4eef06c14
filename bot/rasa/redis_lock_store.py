"""Rasa's Redis lock store with each change of a conversation's lock made atomically, so that two Rasa
servers never process one conversation at once (issue #13).

Rasa 3.6's RedisLockStore reads a conversation's ticket lock, changes it in Python and writes it back: two
servers taking a message of the same conversation at the same moment both find no lock, both create one
holding ticket 0, and both go ahead (the tests in tests/cluster/ caught a message's events lost that way).
Here every read-change-write runs in a Redis transaction on that key (WATCH/MULTI/EXEC, retried when another
server changed the key meanwhile); the ticket algorithm and the key layout stay Rasa's.

endpoints.yml: `lock_store: {type: bot.rasa.redis_lock_store.AtomicRedisLockStore, url: <host>, port, db,
password, key_prefix}`, the same settings as Rasa's `type: redis` (bot/runtime/endpoints.py writes it)."""
from __future__ import annotations

import json
import logging
from typing import Any, Callable, Optional, Tuple

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

logger = logging.getLogger(__name__)

# A change returns (its result, the lock to store; None deletes the key).
Change = Callable[[Optional[TicketLock]], Tuple[Any, Optional[TicketLock]]]


class AtomicRedisLockStore(RedisLockStore):
    """RedisLockStore whose ticket issuing, serving and clean-up are atomic across processes."""

    def __init__(self, endpoint_config: EndpointConfig) -> None:
        super().__init__(host=endpoint_config.url or "localhost", **endpoint_config.kwargs)

    def _change(self, conversation_id: str, change: Change) -> Any:
        key = self.key_prefix + conversation_id

        def apply(pipe: Any) -> Any:
            raw = pipe.get(key)
            lock = TicketLock.from_dict(json.loads(raw)) if raw else None
            result, changed = change(lock)
            pipe.multi()
            if changed is None:
                pipe.delete(key)
            else:
                pipe.set(key, changed.dumps())
            return result

        return self.red.transaction(apply, key, value_from_callable=True)

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        def issue(lock: Optional[TicketLock]) -> Tuple[int, TicketLock]:
            lock = lock or TicketLock(conversation_id)
            return lock.issue_ticket(lock_lifetime), lock

        try:
            return self._change(conversation_id, issue)
        except Exception as error:  # as Rasa's: the message fails with a LockError, the conversation goes on
            raise LockError(f"Error while acquiring lock. Error:\n{error}") from error

    def update_lock(self, conversation_id: str) -> None:
        def drop_expired(lock: Optional[TicketLock]) -> Tuple[None, Optional[TicketLock]]:
            if lock is not None:
                lock.remove_expired_tickets()
            return None, lock

        self._change(conversation_id, drop_expired)

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        def finish(lock: Optional[TicketLock]) -> Tuple[None, Optional[TicketLock]]:
            if lock is not None:
                lock.remove_ticket_for(ticket_number)
            return None, lock

        self._change(conversation_id, finish)

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        """Gives the ticket back and removes the lock when nobody else waits, in one step (Rasa does these in
        three, and could delete a lock another server has just taken a ticket from)."""

        def give_back(lock: Optional[TicketLock]) -> Tuple[None, Optional[TicketLock]]:
            if lock is None:
                return None, None
            lock.remove_ticket_for(ticket_number)
            return None, lock if lock.is_someone_waiting() else None

        self._change(conversation_id, give_back)
