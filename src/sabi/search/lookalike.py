"""Put a scene's moment on the sampled frame that looks most like the query, pixel by pixel.

The vectors say which run of near-identical frames a query came from; ``sabi.search.moment``
then leans ``at`` towards a neighbour. Neither can tell the samples inside a run apart (the run
kept one vector), which leaves a screenshot from a slow pan up to a run's length off. Every
sample's 24x14 grey thumbnail is kept at index time (``sabi.prepare.thumbs``); here the query's
own thumbnail (the picture that matched: the whole image, or the box or screen cut from it, and
its mirror image) is correlated with those of the samples the scene spans, one sampling step
beyond each side. Where the best correlation reaches CLOSE the query is framed like the video
(a screenshot, re-encoded, scaled, tinted, subtitled) and ``at`` becomes that sample's time.

Below it the frame may sit inside the query (a player window, a page, a caption band): where
a box of the query correlates with a sample's whole thumbnail from CLOSE up
(``sabi.search.cropfit.window_fits``), ``at`` becomes that sample's time, unless a box of a
sample fits the whole query from CROP_OVER up: a crop of a frame with a plain border (sky, a
wall) also fits as a window around a smaller frame, but less well. Else the query may be
a crop: every sample is searched for the box that fits the query best (``crop_fits``), and
where a fit reaches CROP_CLOSE ``at`` becomes the middle of the run of samples that fit within
TIE of the best. A crop of a pan or of a held shot is whole in several samples in a row (the
picture moved, or something outside the crop did), and the one it was cut from is their middle
more often than any end. A query that fits neither way keeps the moment from the vectors.

How a scene was placed (``Likeness``: framed, a window, a crop, not at all), and then how
well it fit, orders the answers near the best: a copy-detection vector can put a crop, a page
or a pasted picture a little nearer a frame of another episode drawn alike, but the right
episode's samples line up with it best, pixel by pixel. On the tuning split: ±1 s 97.6 ->
98.0 % by the kind of placement, 98.6 % with the fit after it (its worst family crop_offcentre
80 % -> player 90 %); on the third split ±1 s 92.6 -> 93.1 -> 93.7 %, crop50 65 -> 72.5 ->
85 %. Ranking any placement alike (a crop as a framed screenshot) gained less (97.8 %), and
reaching 0.1 below the best instead of NEAR lost (97.8 %, crop50 80 %).

Chosen on the tuning split of the accuracy benchmark, with a third split (seed 23, none of the
report split's frames) where the tuning split tied: 24x14 against 16x9 and 32x18 (the same for
framed screenshots; crops were placed better than at 16x9 and as well as at 32x18, in less
room), CLOSE 0.93 against 0.8-0.98, CROP_CLOSE 0.9 against 0.85 and 0.95, TIE 0.005 against
0-0.02 (0: the best fit alone, a crop of a pan lands on an end of it); windows before crops
against crops alone (±0.5 s of right answers 95.5 -> 96.4 % on the tuning split, 87.6 ->
88.3 % on the third, which lost 0.6 points within ±1 s); CROP_OVER 0.98 against none and
0.97-0.99 (tuning split: crop50 within ±0.5 s 70 -> 75 %; third split: ±1 s 93.7 -> 94.0 %,
crop_offcentre 75 -> 80 %; 0.99 the same on the tuning split, 93.9 % on the third; the
decoded frames of player windows, pages and phone screenshots fit as crops up to 0.978);
bench/results/accuracy.md has the
report split. What it costs: one indexed catalogue read of a few rows per placed scene (the
best and those within NEAR of it) and a dot product per row; a query that is not framed like
the video adds both box searches, under 1 ms a sample (4-15 ms a scene).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np

from sabi.prepare.thumbs import SIZE, both_ways, unit_rows
from sabi.search.cropfit import crop_fits, plateau_middle, window_fits
from sabi.search.scenes import Likeness, Scene, near_best

CLOSE = 0.93  # correlation from which the query is taken to be framed like the video
CROP_CLOSE = 0.9  # ... and from which a box of a sample is taken to be the query (a crop)
CROP_OVER = 0.98  # a box of a sample fitting the query this well makes it a crop, not a window
TIE = 0.005  # box fits this close to the best are the same picture (see plateau_middle)
EPSILON = 1e-3  # seconds: stored times are rounded
NEAR = 0.05  # scenes this close to the best one's similarity are placed too (as in moment)

#: Reads an episode's sample thumbnails between two times: ``Catalog.samples``.
ReadSamples = Callable[[int, float, float], list[tuple[float, bytes]]]


def lookalike(scene: Scene, image: np.ndarray, samples: list[tuple[float, bytes]]) -> Scene:
    """``scene`` with ``at`` on the sample whose thumbnail correlates best with ``image``
    (or its mirror image), where that reaches CLOSE; else on the sample whose thumbnail a box
    of ``image`` correlates with from CLOSE up (a window), unless a box of a sample fits
    ``image`` from CROP_OVER up; else on the sample with the box that fits ``image`` best,
    where that reaches CROP_CLOSE (a crop); unchanged otherwise. Equal
    correlations (a held picture) keep the sample nearest the current moment; a crop's
    near-equal fits (TIE) take the middle of their run."""
    size = SIZE[0] * SIZE[1]
    rows = sorted((t, b) for t, b in samples if len(b) == size)  # another size: another version
    if not rows:
        return scene
    times = np.array([t for t, _ in rows])
    raw = np.frombuffer(b"".join(b for _, b in rows), np.uint8).reshape(-1, size)
    corr = (unit_rows(raw) @ both_ways(image).T).max(axis=1)
    best = best_sample(times, corr, scene.moment)
    if corr[best] >= CLOSE:
        return replace(
            scene.moved_to(float(times[best])), likeness=Likeness.FRAMED, fit=float(corr[best])
        )
    thumbs = raw.reshape(-1, SIZE[1], SIZE[0])
    windowed = window_fits(thumbs, image)
    best = best_sample(times, windowed, scene.moment)
    fits = crop_fits(thumbs, image)
    if windowed[best] >= CLOSE and fits.max() < CROP_OVER:
        return replace(
            scene.moved_to(float(times[best])), likeness=Likeness.WINDOW, fit=float(windowed[best])
        )
    k = plateau_middle(times, fits, TIE)
    if fits[k] < CROP_CLOSE:
        return scene
    return replace(scene.moved_to(float(times[k])), likeness=Likeness.CROP, fit=float(fits.max()))


def best_sample(times: np.ndarray, scores: np.ndarray, moment: float) -> int:
    """The best-scoring sample; among equal scores (to 4 decimals: a held picture), the one
    nearest ``moment``."""
    return max(
        range(len(times)), key=lambda k: (round(float(scores[k]), 4), -abs(times[k] - moment))
    )


def lookalike_scenes(
    scenes: list[Scene], images: Sequence[np.ndarray], read: ReadSamples, step: float
) -> list[Scene]:
    """``scenes`` with the best and those within NEAR of it placed by ``lookalike`` and put
    in order of what their samples bore out (``Likeness``, most first, then ``Scene.fit``;
    by similarity where neither tells them apart), the rest after them as they were.
    ``images[j]``: prepared query image j (``Scene.frame``); ``step``: seconds between
    samples."""

    def place(scene: Scene) -> Scene:
        if scene.frame >= len(images):
            return scene
        kept = scene.kept_time
        lo = min(scene.start, kept) - step - EPSILON
        hi = max(scene.end, kept + scene.held) + step + EPSILON
        return lookalike(scene, images[scene.frame], read(scene.episode_id, lo, hi))

    if not scenes:
        return scenes
    top = scenes[0].similarity
    placed = near_best(scenes, NEAR, place)
    return sorted(placed, key=lambda sc: (sc.similarity < top - NEAR, -sc.likeness, -sc.fit))
