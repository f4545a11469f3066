"""Credentials, sessions and rate limits for the live server.

* Passwords: argon2id (argon2-cffi defaults, RFC 9106 low-memory profile).
* Machine accounts (role ``ingest``: the pipeline, the vehicle link) use a
  random 256-bit bearer token; only its SHA-256 is stored (a token this long
  needs no slow hash).
* Session cookies are random 256-bit tokens, stored hashed, expiring after
  ``session_ttl_s``; each session has its own CSRF token.
* Rate limits: token buckets keyed by client and route class.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from geo.errors import InputError

__all__ = ["hash_password", "verify_password", "new_token", "token_hash", "same_token", "RateLimiter",
           "MIN_PASSWORD_LEN"]

MIN_PASSWORD_LEN = 10
_PH = PasswordHasher()


def hash_password(password: str) -> str:
    """argon2id hash of a password (at least :data:`MIN_PASSWORD_LEN` characters)."""
    if len(password) < MIN_PASSWORD_LEN:
        raise InputError(f"the password is {len(password)} characters long: allowed >= {MIN_PASSWORD_LEN}. "
                         "Hint: a few random words make a strong password that is easy to type on a cold hillside.")
    return _PH.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; False for a wrong password or an unusable hash."""
    if not password_hash:
        # Spend the same time as a real check so that user names cannot be probed by timing.
        _PH.verify(_DUMMY_HASH, "x" * MIN_PASSWORD_LEN)
        return False
    try:
        return _PH.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


_DUMMY_HASH = _PH.hash("x" * MIN_PASSWORD_LEN)


def new_token() -> str:
    """A random URL-safe token with 256 bits of entropy."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """SHA-256 hex digest under which a token is stored."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def same_token(a: str | None, b: str | None) -> bool:
    """Constant-time comparison of two tokens (False when either is missing)."""
    return bool(a) and bool(b) and hmac.compare_digest(str(a), str(b))


@dataclass
class _Bucket:
    tokens: float
    t_s: float


class RateLimiter:
    """Token buckets: ``rate_per_s`` sustained, ``burst`` at once, per key. Thread-safe.

    The clock is injectable (``clock``) so tests need not sleep.
    """

    def __init__(self, rate_per_s: float, burst: float, *, clock=time.monotonic, max_keys: int = 10_000) -> None:
        if rate_per_s <= 0 or burst < 1:
            raise InputError(f"rate_per_s={rate_per_s}, burst={burst}: allowed rate_per_s > 0 and burst >= 1.")
        self.rate_per_s = rate_per_s
        self.burst = burst
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()
        self._max_keys = max_keys

    def allow(self, key: str) -> tuple[bool, float]:
        """``(allowed, retry_after_s)`` for one request under ``key``."""
        now = self._clock()
        with self._lock:
            b = self._buckets.get(key)
            if b is None:
                if len(self._buckets) >= self._max_keys:
                    # Forget full buckets first: they carry no state worth keeping.
                    for k in [k for k, v in self._buckets.items()
                              if v.tokens + (now - v.t_s) * self.rate_per_s >= self.burst][: self._max_keys // 2]:
                        del self._buckets[k]
                b = self._buckets[key] = _Bucket(self.burst, now)
            b.tokens = min(self.burst, b.tokens + (now - b.t_s) * self.rate_per_s)
            b.t_s = now
            if b.tokens >= 1.0:
                b.tokens -= 1.0
                return True, 0.0
            return False, (1.0 - b.tokens) / self.rate_per_s
