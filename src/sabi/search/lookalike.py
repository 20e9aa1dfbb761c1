"""Put a scene's moment on the sampled frame that looks most like the query, pixel by pixel.

The vectors say which run of near-identical frames a query came from; ``sabi.search.moment``
then leans ``at`` towards a neighbour. Neither can tell the samples inside a run apart (the run
kept one vector), which leaves a screenshot from a slow pan up to a run's length off. Every
sample's 16x9 grey thumbnail is kept at index time (``sabi.prepare.thumbs``); here the query's
own thumbnail (the picture that matched: the whole image, or the box or screen cut from it, and
its mirror image) is correlated with those of the samples the scene spans, one sampling step
beyond each side. Where the best correlation reaches CLOSE the query is framed like the video
(a screenshot, re-encoded, scaled, tinted, subtitled) and ``at`` becomes that sample's time;
below it (a crop, a player window, a photo) the moment from the vectors stays.

Chosen on the tuning split of the accuracy benchmark: 16x9 placed as well as 32x18, and CLOSE
0.85 and 0.9 tied (0.85 kept one more answer within ±1 s); bench/results/accuracy.md has the
report split. What it costs: one indexed catalogue read of a few rows per placed scene (the
best and those within NEAR of it), and a dot product per row.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np

from sabi.prepare.thumbs import SIZE, grey_thumbnail, unit_rows
from sabi.search.scenes import Scene, near_best

CLOSE = 0.85  # correlation from which the query is taken to be framed like the video
EPSILON = 1e-3  # seconds: stored times are rounded
NEAR = 0.05  # scenes this close to the best one's similarity are placed too (as in moment)

#: Reads an episode's sample thumbnails between two times: ``Catalog.samples``.
ReadSamples = Callable[[int, float, float], list[tuple[float, bytes]]]


def lookalike(scene: Scene, image: np.ndarray, samples: list[tuple[float, bytes]]) -> Scene:
    """``scene`` with ``at`` on the sample whose thumbnail correlates best with ``image``
    (or its mirror image), where that reaches CLOSE; unchanged otherwise. Equal correlations
    (a held picture) keep the sample nearest the current moment."""
    size = SIZE[0] * SIZE[1]
    rows = [(t, b) for t, b in samples if len(b) == size]  # another size: another version
    if not rows:
        return scene
    times = np.array([t for t, _ in rows])
    thumbs = unit_rows(np.frombuffer(b"".join(b for _, b in rows), np.uint8).reshape(-1, size))
    grey = grey_thumbnail(image)  # and its mirror image: the thumbnail flipped, no copy made
    views = unit_rows(np.stack([grey.ravel(), grey[:, ::-1].ravel()]))
    corr = (thumbs @ views.T).max(axis=1)
    best = max(
        range(len(times)), key=lambda k: (round(float(corr[k]), 4), -abs(times[k] - scene.moment))
    )
    if corr[best] < CLOSE:
        return scene
    return replace(scene.moved_to(float(times[best])), framed=True)


def lookalike_scenes(
    scenes: list[Scene], images: Sequence[np.ndarray], read: ReadSamples, step: float
) -> list[Scene]:
    """``scenes`` with the best and those within NEAR of it placed by ``lookalike``.
    ``images[j]``: prepared query image j (``Scene.frame``); ``step``: seconds between
    samples."""

    def place(scene: Scene) -> Scene:
        if scene.frame >= len(images):
            return scene
        kept = scene.kept_time
        lo = min(scene.start, kept) - step - EPSILON
        hi = max(scene.end, kept + scene.held) + step + EPSILON
        return lookalike(scene, images[scene.frame], read(scene.episode_id, lo, hi))

    return near_best(scenes, NEAR, place)
