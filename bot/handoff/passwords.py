"""Password hashing for agents: scrypt from the standard library, a random salt per password.

scrypt is slow on purpose, so it runs on an executor of its own (`password_executor`): a flood of
sign-in attempts queues there and never starves the other console calls of the shared executor."""
from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import threading
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import Optional

_N, _R, _P = 2 ** 14, 8, 1
MIN_LENGTH = 8
HASHING_WORKERS = 2  # scrypt at n=2**14 takes 16 MiB and tens of milliseconds a call

_executor: Optional[Executor] = None
_executor_lock = threading.Lock()
_dummy: Optional[str] = None


class WeakPasswordError(ValueError):
    """The password is too short; the message says how long it must be."""


def hash_password(password: str) -> str:
    if len(password) < MIN_LENGTH:
        raise WeakPasswordError(f"a password needs at least {MIN_LENGTH} characters")
    salt = os.urandom(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return "$".join(["scrypt", str(_N), str(_R), str(_P), _b64(salt), _b64(digest)])


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    actual = hashlib.scrypt(password.encode("utf-8"), salt=_unb64(salt), n=int(n), r=int(r), p=int(p),
                            dklen=len(_unb64(digest)))
    return hmac.compare_digest(actual, _unb64(digest))


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"))


def password_executor() -> Executor:
    """The process's executor for password hashing (created on first use, then shared)."""
    global _executor
    with _executor_lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=HASHING_WORKERS, thread_name_prefix="password-hash")
        return _executor


def dummy_hash() -> str:
    """A hash of a random password, made once per process: an unknown username is checked against it,
    so it costs the same one scrypt as a known one (and never matches)."""
    global _dummy
    if _dummy is None:
        _dummy = hash_password(secrets.token_urlsafe(24))
    return _dummy
