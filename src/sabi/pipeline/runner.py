"""Run generator stages one after another, or each in its own thread with bounded queues.

A stage is a function from an iterator to an iterator. Run serially (tests, debugging) the chain
is plain generator composition; threaded (production) each stage runs in a thread, so decoding
the next frames overlaps with embedding the last ones, and a bounded queue between stages keeps
memory flat when one stage is slower than another.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any

Stage = Callable[[Iterator[Any]], Iterator[Any]]

_END = object()


class _Failure:
    def __init__(self, exc: BaseException):
        self.exc = exc


def run_serial(source: Iterable[Any], stages: list[Stage]) -> Iterator[Any]:
    items: Iterator[Any] = iter(source)
    for stage in stages:
        items = stage(items)
    return items


def run_threaded(source: Iterable[Any], stages: list[Stage], maxsize: int = 4) -> Iterator[Any]:
    """The last stage's output, consumed by the caller; earlier stages run in daemon threads.

    An exception in any stage is re-raised in the caller. Closing the returned generator (or an
    exception in the caller) stops the threads at their next queue operation.
    """
    stop = threading.Event()

    def pump(items: Iterable[Any], out: queue.Queue[Any]) -> None:
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        out.put(item, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            out.put(_END)
        except BaseException as exc:  # handed to the consumer, who re-raises it
            out.put(_Failure(exc))

    def drain(q: queue.Queue[Any]) -> Iterator[Any]:
        while True:
            try:
                item = q.get(timeout=0.1)
            except queue.Empty:
                if stop.is_set():
                    return
                continue
            if item is _END:
                return
            if isinstance(item, _Failure):
                raise item.exc
            yield item

    threads = []
    upstream: Iterable[Any] | queue.Queue[Any] = source
    for stage in stages[:-1]:
        q: queue.Queue[Any] = queue.Queue(maxsize=maxsize)
        items = stage(drain_from(upstream, drain))
        t = threading.Thread(target=pump, args=(items, q), daemon=True)
        threads.append(t)
        upstream = q
    last = stages[-1](drain_from(upstream, drain)) if stages else drain_from(upstream, drain)
    for t in threads:
        t.start()
    try:
        yield from last
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=5)


def drain_from(
    upstream: Iterable[Any] | queue.Queue[Any],
    drain: Callable[[queue.Queue[Any]], Iterator[Any]],
) -> Iterator[Any]:
    if isinstance(upstream, queue.Queue):
        return drain(upstream)
    return iter(upstream)
