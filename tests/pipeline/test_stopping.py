"""The two-stage stop shared by `sabi worker` and `sabi download bilibili --watch`."""

from __future__ import annotations

import os
import signal
import threading

import pytest

from sabi.stopping import two_stage_stop


def test_once_asks_for_a_clean_stop_twice_stops_now_and_handlers_come_back():
    before = signal.getsignal(signal.SIGTERM)
    stop, seen = threading.Event(), []
    with two_stage_stop(stop, seen.append):
        os.kill(os.getpid(), signal.SIGTERM)
        assert stop.is_set() and seen == [signal.SIGTERM]
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGINT)
    assert seen == [signal.SIGTERM]
    assert signal.getsignal(signal.SIGTERM) is before


def test_off_the_main_thread_it_leaves_the_handlers_alone():
    before = signal.getsignal(signal.SIGINT)
    inside = []

    def run() -> None:
        with two_stage_stop(threading.Event(), lambda _signum: None):
            inside.append(signal.getsignal(signal.SIGINT))

    t = threading.Thread(target=run)
    t.start()
    t.join()
    assert inside == [before]
