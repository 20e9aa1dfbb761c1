"""A bounded thread pool: work beyond ``workers + queue`` is refused at once, not queued."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from sabi.errors import Overloaded


class BoundedPool:
    def __init__(self, workers: int, queue: int, name: str = "sabi"):
        self.workers = workers
        self.capacity = workers + queue
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=name)
        self._slots = threading.BoundedSemaphore(self.capacity)
        self._busy = 0
        self._lock = threading.Lock()

    @property
    def busy(self) -> int:
        """Tasks running or waiting."""
        return self._busy

    def check_room(self) -> None:
        """Overloaded (503) now if every slot is taken: lets a caller refuse before it reads
        an upload it could not search anyway. (``run`` still decides: a slot may go between.)"""
        if self._busy >= self.capacity:
            raise Overloaded("the server is busy; try again in a moment")

    async def run[**P, T](self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run ``fn`` on a worker thread; raise Overloaded (503) if every slot is taken."""
        if not self._slots.acquire(blocking=False):
            raise Overloaded("the server is busy; try again in a moment")
        with self._lock:
            self._busy += 1
        try:
            future = self._executor.submit(fn, *args, **kwargs)
        except BaseException:
            self._release()
            raise
        future.add_done_callback(lambda _f: self._release())
        return await asyncio.wrap_future(future)

    def _release(self) -> None:
        with self._lock:
            self._busy -= 1
        self._slots.release()

    def shutdown(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
