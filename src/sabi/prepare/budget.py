"""How much decoding one query may cost, checked before decoding and between frames.

An 88 KB GIF can declare a 5000x5000 canvas and 3000 frames: every frame is composited at full
size, minutes of work and a gigabyte of memory. So a query has a budget of decoded pixels
(frames x pixels a frame, counted before decoding where the file says how many frames it has,
and again as frames come), a deadline, and a cancel hook the server sets when the client is
gone. Running out raises OverBudget (413); cancelling raises QueryCancelled.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from sabi.errors import BadInput, OverBudget, QueryCancelled

Cancel = Callable[[], bool]  # true once the work is no longer wanted (e.g. Event.is_set)


@dataclass
class DecodeBudget:
    pixels: int  # decoded pixels still allowed
    deadline: float  # time.monotonic() by which decoding must end
    seconds: float  # the time allowed, for the message
    cancel: Cancel | None = None

    @classmethod
    def start(
        cls,
        pixels: int,
        seconds: float,
        cancel: Cancel | None = None,
        deadline: float | None = None,
    ) -> DecodeBudget:
        """A budget from now; ``deadline`` (monotonic) shortens it, never lengthens it."""
        end = time.monotonic() + seconds
        if deadline is not None:
            end = min(end, deadline)
        return cls(pixels, end, seconds, cancel)

    def check(self) -> None:
        """Raise if the work was called off or its time is up."""
        if self.cancel is not None and self.cancel():
            raise QueryCancelled("the search was cancelled")
        if time.monotonic() > self.deadline:
            raise OverBudget(
                f"the query takes too long to decode (over {self.seconds:g} s); "
                "send a still image or a shorter, smaller clip"
            )

    def reserve(self, frames: int, width: int, height: int) -> None:
        """Refuse up front what the file declares to be more than the budget."""
        if frames * width * height > self.pixels:
            raise OverBudget(
                f"the query is {frames:,} frames of {width}x{height} pixels, more than "
                f"{self.pixels:,} pixels in all that one search may decode"
            )

    def spend(self, width: int, height: int) -> None:
        """Count one decoded frame, then check the time and the cancel hook."""
        self.pixels -= width * height
        if self.pixels < 0:
            raise OverBudget(
                "the query has more frames and pixels than one search may decode; "
                "send a still image or a shorter, smaller clip"
            )
        self.check()


def check_shape(width: int, height: int, max_aspect: float) -> None:
    """A query is scaled to the index's width: a 10x30000 strip would become a 320x960000
    image (a gigabyte); no scene of a show has such a shape."""
    if max(width, height) > max_aspect * max(1, min(width, height)):
        raise BadInput(
            f"the image is {width}x{height} pixels; sides more than {max_aspect:g} "
            "times apart cannot be a scene of a show"
        )


def check_moving(width: int, height: int, most: int) -> None:
    """Frames of an animation or video are decoded whole, one after another, several copies
    of the canvas alive at once: their size is capped below a still image's."""
    if width * height > most:
        raise OverBudget(
            f"the animation or video is {width}x{height} pixels a frame; "
            f"at most {most:,} are accepted"
        )


def reason(exc: BaseException) -> str:
    """The first line of a decoder's error, short enough for an error message."""
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:200]
