"""Bounded waiting. Tests never sleep for a fixed time to let the server "catch up": they poll a
condition against a deadline. The one exception is a protocol timer (session expiry, will delay,
message expiry) whose passing cannot be observed without disturbing it; `wait_past` waits for it
explicitly, measured from the moment the timer started.
"""

from __future__ import annotations

import time


def wait_until(predicate, timeout: float, interval: float = 0.02, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"{what} not reached within {timeout:.1f}s")
        time.sleep(interval)


def wait_past(start: float, seconds: float) -> None:
    """Returns once `seconds` have elapsed since `start` (a time.monotonic() value)."""
    remaining = start + seconds - time.monotonic()
    if remaining > 0:
        time.sleep(remaining)
