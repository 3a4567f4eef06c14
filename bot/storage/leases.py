"""Leases on rows that several processes (two web servers) may want to work on: a row is taken by a conditional
UPDATE that matches only while nobody else's lease runs, so exactly one process gets it; a lease left by a
process that died runs out and another takes over."""
from __future__ import annotations

import os
import socket
import uuid
from typing import Any

from sqlalchemy import or_


def new_holder_name() -> str:
    """Names one holder (a process's relay, its claims) in the lease columns: host, process and a random tag."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"[:64]


def lease_is_free(holder_column: Any, until_column: Any, holder: str, now: Any) -> Any:
    """As a WHERE clause: nobody holds the row, the lease ran out, or it is `holder`'s own."""
    return or_(until_column.is_(None), until_column <= now, holder_column == holder)
