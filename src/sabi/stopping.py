"""Stopping a long-running command by signal: once to finish the step at hand, twice at once.

A worker, a watch of airing seasons and any other loop that runs until told share the same
promise to the person at the terminal (or to the service manager sending SIGTERM): the first
SIGINT/SIGTERM asks for a clean stop after the current step, a second one stops now."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType


@contextmanager
def two_stage_stop(stop: threading.Event, first: Callable[[int], None]) -> Iterator[None]:
    """While inside: the first SIGINT/SIGTERM sets ``stop`` and calls ``first`` with the signal
    number (to say what happens next, or to cancel a wait); the second raises
    KeyboardInterrupt. The previous handlers come back on leaving. Only the main thread can
    set handlers; elsewhere this does nothing and the caller sets ``stop`` itself."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, _frame: FrameType | None) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()
        first(signum)

    old = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h)
