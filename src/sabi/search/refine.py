"""Name the exact frame of a match by looking at the source video around it.

The index holds ``rate`` frames a second, and deduplication keeps one frame for a run of
near-identical ones, so a scene's sampled ``at`` can be half a step off in a moving shot and
seconds off in a held one. Where the episode's file is at hand (it is, for previews), the frames
around the match are decoded at the file's own frame rate, made exactly as index frames are
(same scaling, same border crop: ``sabi.prepare.window``), embedded, and compared with the
query; the best one's presentation time becomes ``at``.

Where to look: the best hit's kept frame stands for its run of dropped near-duplicates, and the
query lies in that run or between it and a neighbouring sample, so the window is the run widened
by one sampling step each side, and by the scene's other near-best hits (its from-to), up to
WINDOW seconds around the run. What it costs: decoding those seconds, and embedding COARSE
frames spread evenly over them, then finer passes beside the best (about 25-40 frames in all,
never more than MAX_FRAMES). Only the first scene and those scoring within NEAR of it are
refined; the rest keep their sampled ``at``. A missing or unreadable file keeps it too.

Embeddings are made to ignore small differences, so in a slow pan neighbouring frames score
alike and the edit (JPEG, subtitles) picks among them. Where the query is framed like the video
(its grey thumbnail correlates with a frame's at SHARP or more), the REACH frames each side of
the embedding's choice are compared pixel by pixel and the best correlating one is taken
(``sharpen``). A query framed otherwise (a player window, a page) has the embedding's choice
located in it (``sabi.search.register``: the frame's own pixels slid over the query's at many
scales, to a pixel), and then every decoded frame is fitted near that box, each at its own best
spot within SLIDE pixels and SCALE_STEPS scale steps (``located``: every FRAME_STRIDE-th frame,
then those beside the best); the frames within REACH of the best fitting one are then compared
inside its own box, pixel by pixel (``sharpen``; the fit itself where none reaches SHARP). In a
pan the box located for the embedding's frame is shifted with the picture, and cut there the
query correlated best with that same frame; fitted each at its own spot, the frame that was
captured fits best. On the tuning split, against comparing every frame inside the one box
(which replaced the embedding's choice where it led by 0.002): every image family within one
frame 89.6 -> 92.6 %, player windows with subtitles 70 -> 100 %, captions and the typical
screenshot 75 -> 85 %, for about 300 ms more on them (the whole decoded window is fitted); on
the third split 82.5 -> 84.0 %, players 72.5 -> 92.5 %, typical 67.5 -> 80 %, captions 80 ->
77.5 %, phone screenshots 80 -> 75 %. Taking the best fit without the last comparison gave
84.3 % there and the same on the tuning split, but named a subtitled window of the tests 4
frames off. Before all this, the box-only comparison had taken players 55 -> 70 % over REACH
and 75 % over the whole window; boxes proposed from edges and bands moved answers in pans, and
so did a shorter way for scenes placed by a window box.

A box cut from the query (a picture pasted into a meme, a page's video, an app's player:
``Searcher`` searches such boxes when the whole image matched weakly) can be a few pixels off
the frame it holds, cutting an edge of it; then no frame fits it whole, and the one that fits
best is wherever the pan moved the picture out of the cut. Such a box comes with a copy widened
by ``searcher.CONTEXT`` each side (``Match.contexts``), and the frames within WIDE_STEPS of
the scene's moment are fitted in that the same way (``_in_context``). On the tuning split:
pasted pictures 70 -> 85 % within one frame, pages 70 -> 80 %, phone screenshots 85 -> 90 %;
on the third, pasted 51 -> 67 %. A screen found and straightened (``sabi.prepare.screens``;
a page's video can lean a little in a screenshot too) comes with a widened copy the same way:
on the third split pages 52.5 -> 65 %, screen photos 37.5 -> 45 %; on the tuning split screen
photos 70 -> 75 %, pages the same, for about twice the time on them (the located box is
fitted in every decoded frame). Such a scene was placed by the vectors or by a box of
the query, less surely than a framed one (within ±1 s for 90 % of pages on the third split,
but within ±0.5 s for 85 %), so WIDE_STEPS (3) are decoded each side rather than
FRAMED_STEPS: on the third split pages 47.5 -> 52.5 %, phone screenshots 75 -> 77.5 %,
pasted 66.7 -> 69.2 %, the tuning split the same, for twice the frames decoded and fitted.

The pixels are compared on THUMB grey thumbnails, 96x54: against 64x36, every image family
within one frame 89.0 -> 89.4 % on the tuning split (windows and pages 72.1 -> 74.3 %, one
quarter-size screenshot lost), 81.8 -> 82.2 % on the third; 128x72 gave windows 72.9 %.

Correlations are compared to DECIMALS places: the frames of one held picture, decoded from a
lossy encode, differ in the seventh, and equal ones keep the frame nearest the first guess. Four
places (as before) made a slow pan's last frames a tie, and the nearest of them up to three
frames off: on the third split 85.5 -> 90 % within one frame (the tuning split: 94 % either
way; eight places lost a frame to noise).

A scene whose ``at`` is already a sample the query correlates with (``Scene.framed``, set by
``sabi.search.lookalike``) takes a shorter way: the query lies within about a sampling step of
that sample, so only FRAMED_STEPS steps each side are decoded and their frames are compared
pixel by pixel, with no embedding; where none reaches SHARP, the way above follows. On the
tuning split it names the same frames (91 % within one frame either way) in a median 0.2 s
instead of 0.5 s. One step each side was too few: in a slow shot the thumbnails of two
neighbouring samples tie, the sample taken can be the farther one, and the query's frame then
lies beyond the decoded second (third split: 90.5 -> 92.5 % within one frame with 1.5 steps,
for 22 ms more at the median; 2 steps: the same, for 50 ms; the tuning split: 95 % in all).

A crop takes the same short way (``cropped``): a scene lookalike placed as a crop, or one
placed as framed whose decoded frames none reaches SHARP (a crop of most of the picture
correlates whole at 24x14 but not at THUMB), or whose best frame a box of fits CROP_GAIN
better than the whole frame does (``boxed_better``: such a crop can correlate whole over SHARP
with another frame of a zoom or pan). That last test, on the tuning split: crop80 within one
frame 65 -> 85 %; on the third 60 -> 70 %, captions 77.5 -> 80 %, every other family the same
(a screenshot framed like the video fits a box at most 0.005 better than whole, a crop80 at
least 0.0125 better; 0.005 lost two captions, 0.03 one); it costs one frame's box search,
about 14 ms, on a framed query. Every decoded frame's CROP_THUMB thumbnail is
searched for the box that fits the query best, as lookalike does with the samples' thumbnails,
then boxes of its CROP_FINE thumbnail around that one (``cropfit.crop_fits_finer``), and the
middle of the frames within CROP_TIE of the best is taken. The embedding cannot tell: a crop
of a pan scores frames a second apart alike, and its choice was often farther off than the
sample lookalike had placed the crop on. On the tuning split, crops within one frame: 40 ->
63 % with the CROP_THUMB boxes alone (at 24x14 45 %, at 48x28 with coarser box positions 48 %),
73 % with the finer boxes (crop80 65 -> 60, crop50 65 -> 90, off-centre 60 -> 70); on the
third split 30-35 -> 42-48 -> 45-58 %. Finer boxes at 128x72 gave 67 %, fewer positions or
sizes 72-75 % on the tuning split and 49 % on the third; every frame's every box at 96x54
costs seconds. Lookalike places a crop within ±0.5 s of its frame only about 60 % of the time
(a crop of a pan fits neighbouring samples alike), so WIDE_STEPS each side are decoded for it,
not FRAMED_STEPS: crops within one frame 74.6 -> 78.0 % on the tuning split, 55.6 -> 63.3 %
on the third (2 steps: 59.8 % there; 4 steps: no more than 3). Sliding the query's own pixels
over each frame at 320 wide (as ``register`` does for windows) instead of the box search lost
on both splits (67.8 and 57.3 %). About 450 ms a cropped query in all (p50 on the report
split: decoding and fitting 3 s of frames at 24 fps, about 3 ms a frame; 250 ms at 1.5 s). A
crop that lookalike placed as a window (a box of the query fitting a whole sample, and no box
of a sample fitting it from ``CROP_OVER`` up) still goes the embedding's way.

The boxes' choice is then checked at the frames' own size (``registered``): the crop's
pixels are slid near its box in the CROP_REACH frames each side, at widths CROP_GROW apart,
and each frame's best correlation is read between pixels (``register.crop_fits_near``: the
top of the parabola through the best position and its neighbours). A pan moves the picture a
fraction of a pixel a frame, so at whole pixels alone the frames that happen to land on the
crop's grid fit best, frame after frame in turn (0.9977, 0.9961, 0.9981, 0.9956 ...: more
than a frame of motion changes it): sliding at whole pixels lost (tuning split 78.8 -> 74.8 %
within one frame over crops, strips and tilts). Read between pixels, and with fits within
CROP_REG_TIE of the best taken as the same (on JPEG crops of the tests' clip, a slow shot's
frames differ by less): tuning split 78.8 -> 82.8 %, third split 60.9 -> 65.0 %, within 1 s
the same on both, the other families the same (one caption lost and one tone gained on the
third split). A query turned back (below) keeps the boxes' choice: resampled twice, its pixels
are no finer than the boxes (a test's tilted screenshot went 4 frames off). It costs sliding
the crop over 13 frames at 5 widths, about 50 ms.

A screenshot turned a few degrees (an editor's tilt, a hand-held camera's) and cut to the box
it fills is a crop of its frame only once turned back: before the boxes are fitted, the query
is turned by each of TURNS and kept turned where a box of the decoded frame at the scene's
moment fits it TURN_GAIN better than unturned (``turned_back``). Tilted screenshots within one
frame: 60 -> 75 % on the tuning split, 37.5 -> 52.5 % on the third (within 1 s 82.5 -> 75 % there: three
frames of an episode's closing fade went farther); crops unchanged on both; TURN_GAIN 0.02
and 0.03 gave 70 and 65 % on the tuning split. It costs eight more box searches of one frame,
60-100 ms, on a query that goes the crop way.

Pixels are compared with the query's mirror image too, whether or not mirrored views are
searched (as lookalike does): a flipped screenshot within one frame, tuning split 90 -> 100 %,
third split 65 -> 97.5 %.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from sabi.describe.base import Embedder
from sabi.errors import VideoError
from sabi.prepare.borders import Crop
from sabi.prepare.decode import SampledFrame, probe_crop
from sabi.prepare.thumbs import both_ways, grey_thumbnail, unit_thumbnail
from sabi.prepare.window import window_frames
from sabi.search.cropfit import crop_fits_finer, fine_box, plateau_middle, straightened
from sabi.search.register import crop_fits_near, fits_near, locate
from sabi.search.scenes import Likeness, Scene, near_best

log = logging.getLogger(__name__)

WINDOW = 5.0  # seconds: the longest run (dedupe_max_span, 4 s by default) plus a step
MAX_FRAMES = 96  # frames embedded per refined scene, at most
COARSE = 32  # frames of the first, even pass over the window
NEAR = 0.02  # scenes this close to the best one's similarity are refined too
REACH = 12  # frames each side of the embedding's choice that pixels may settle between
SHARP = 0.9  # pixel correlation from which query and frame are framed alike
FIT = 0.7  # correlation from which a frame located in a window is taken to sit there
THUMB = (96, 54)  # grey thumbnail the pixels are compared on (see the module docstring)
FRAMED_STEPS = 1.5  # sampling steps each side of a framed scene's sample that are decoded
WIDE_STEPS = 3.0  # ... of a crop's, or of a box cut from the query (placed less surely)
DECIMALS = 6  # places of correlation that tell frames apart (see the module's docstring)
CROP_THUMB = (48, 28)  # grey thumbnail a crop's boxes are fitted on (see ``cropped``)
CROP_FINE = (96, 54)  # ... and the finer one, around each frame's best box
CROP_TIE = 0.001  # box fits this close to the best are the same picture
CROP_GAIN = 0.02  # a box of the frame fitting the query this much better makes it a crop
SLIDE = 4  # pixels a located box may move for another frame (``located``)
SCALE_STEPS = 3  # ... and register.FINE scale steps it may grow or shrink by
FRAME_STRIDE = 2  # frames fitted there first; then the ones beside the best
CROP_REACH = 6  # frames each side of the boxes' choice that a crop is registered in
CROP_SLIDE = 3  # ... pixels each way it may move from that frame's box
CROP_GROW = 2  # ... and pixels of width it may grow or shrink by
CROP_REG_TIE = 0.0002  # ... fits this close to the best are the same frame (JPEG, slow shots)
TURNS = (-5.0, -4.0, -3.0, -2.0, 2.0, 3.0, 4.0, 5.0)  # degrees a crop may be turned back by
TURN_GAIN = 0.01  # ... where a box of the frame at the moment fits it that much better


@dataclass(frozen=True)
class Refiner:
    """What refining needs to make frames the way the index made them."""

    embedder: Embedder
    rate: float
    resolution: int
    cut_borders: bool
    black_level: int

    def scenes(
        self,
        scenes: list[Scene],
        queries: Sequence[Sequence[np.ndarray]],
        paths: dict[int, str],
        contexts: Sequence[np.ndarray | None] = (),
    ) -> list[Scene]:
        """``scenes`` with ``at`` refined for the best and those within NEAR of it.

        ``queries[j]`` are the prepared images of query frame j (the frame, and its mirror
        image when mirrored views are searched); ``paths`` maps episode ids to their files;
        ``contexts[j]``, where there is one, is image j's box widened (``Match.contexts``).
        """

        def refine(scene: Scene) -> Scene:
            path = paths.get(scene.episode_id)
            if path is None:
                return scene
            j = scene.frame
            context = contexts[j] if j < len(contexts) else None
            return self.scene(scene, queries[j], Path(path), context)

        return near_best(scenes, NEAR, refine)

    def scene(
        self,
        scene: Scene,
        query: Sequence[np.ndarray],
        path: Path,
        context: np.ndarray | None = None,
    ) -> Scene:
        """The scene with ``at`` on the best frame of the source, or unchanged when the source
        cannot be read."""
        step = 1.0 / self.rate
        if context is not None:
            boxed = self._in_context(scene, context, path, step)
            if boxed is not None:
                return boxed
        if scene.likeness in (Likeness.FRAMED, Likeness.CROP):
            placed = self._placed(scene, query, path, step)
            if placed is not None:
                return placed
        kept = scene.kept_time
        mid = kept + scene.held / 2
        lo = max(0.0, scene.start - step, mid - WINDOW / 2)
        hi = min(scene.end + step, mid + WINDOW / 2)
        try:
            frames = window_frames(path, lo, hi, self.resolution, self._crop(path))
        except (VideoError, OSError) as exc:
            log.info("exact moment: keeping the sampled one, %s: %s", path, exc)
            return scene
        if not frames:
            return scene
        i = self._best(frames, self.embedder.embed(list(query)))
        k = sharpen(frames, i, query)
        if k is None:
            k = located(frames, i, query[0])
        return scene.moved_to(frames[i if k is None else k].time)

    def _placed(
        self, scene: Scene, query: Sequence[np.ndarray], path: Path, step: float
    ) -> Scene | None:
        """For a scene whose ``at`` is already a sample the query correlates with, whole or
        as a crop (``Scene.likeness``): the frame within FRAMED_STEPS of it that correlates
        best, from SHARP up and with no box of it fitting better (``boxed_better``), or
        failing that the one within WIDE_STEPS a box of which fits the query best
        (``cropped``); None to look the slower way (an unreadable file)."""
        if scene.framed:
            frames = self._around(scene.moment, path, step, FRAMED_STEPS)
            if not frames:
                return None
            k = sharpen(frames, nearest(frames, scene.moment), query, reach=len(frames))
            if k is not None and not boxed_better(frames[k].rgb, query):
                return scene.moved_to(frames[k].time)
        frames = self._around(scene.moment, path, step, WIDE_STEPS)
        if not frames:
            return None
        return scene.moved_to(frames[cropped(frames, query[0], scene.moment)].time)

    def _in_context(
        self, scene: Scene, context: np.ndarray, path: Path, step: float
    ) -> Scene | None:
        """For a box cut from the query: the frames within WIDE_STEPS of the scene's
        moment fitted in the widened box (``located``); None where none fits or the file
        cannot be read."""
        frames = self._around(scene.moment, path, step, WIDE_STEPS)
        if not frames:
            return None
        k = located(frames, nearest(frames, scene.moment), context)
        return None if k is None else scene.moved_to(frames[k].time)

    def _around(
        self, moment: float, path: Path, step: float, steps: float
    ) -> list[SampledFrame] | None:
        """The frames within ``steps`` sampling steps of ``moment``, made as index frames
        are; None where the file cannot be read."""
        reach = steps * step
        try:
            return window_frames(
                path, max(0.0, moment - reach), moment + reach, self.resolution, self._crop(path)
            )
        except (VideoError, OSError):
            return None

    def _best(self, frames: list[SampledFrame], query: np.ndarray) -> int:
        """The frame most like the query: an even pass over the window, then
        passes at finer strides beside the best so far (similarity rises smoothly towards
        the right frame within a shot), down to single frames."""
        stride = max(1, math.ceil(len(frames) / COARSE))
        scores: dict[int, float] = {}
        self._score(frames, range(0, len(frames), stride), query, scores)
        while stride > 1:
            i = max(scores, key=scores.__getitem__)
            finer = max(1, stride // 3)
            near = range(max(0, i - stride + finer), min(len(frames), i + stride), finer)
            room = MAX_FRAMES - len(scores)
            self._score(frames, [k for k in near if k not in scores][:room], query, scores)
            stride = finer
        return max(scores, key=lambda k: (scores[k], -k))

    def _score(
        self,
        frames: list[SampledFrame],
        picks: Sequence[int],
        query: np.ndarray,
        scores: dict[int, float],
    ) -> None:
        if not picks:
            return
        vectors = self.embedder.embed([frames[k].rgb for k in picks])
        for k, sim in zip(picks, (vectors @ query.T).max(axis=1), strict=True):
            scores[k] = float(sim)

    def _crop(self, path: Path) -> Crop | None:
        if not self.cut_borders:
            return None
        st = os.stat(path)
        return _video_crop(str(path), st.st_size, st.st_mtime_ns, self.resolution, self.black_level)


@lru_cache(maxsize=256)
def _video_crop(path: str, _size: int, _mtime: int, width: int, level: int) -> Crop:
    """The border crop indexing chose for this file (decided again the same way: a dozen seeks,
    so remembered per file version)."""
    return probe_crop(Path(path), width, level)


def nearest(frames: list[SampledFrame], moment: float) -> int:
    return min(range(len(frames)), key=lambda k: abs(frames[k].time - moment))


def located(frames: list[SampledFrame], i: int, context: np.ndarray) -> int | None:
    """The decoded frame that fits best where frame ``i`` sits in ``context``, each frame
    located again within a few pixels of that box (``register.fits_near``), then the frames
    around it compared inside that one's own box, pixel by pixel (``sharpen``); None where
    frame ``i`` does not fit (FIT)."""
    box, fit = locate(frames[i].rgb, context)
    if fit < FIT:
        return None
    fits: dict[int, float] = {}
    spots: dict[int, tuple[int, int, int, int]] = {}

    def fit_some(picks: Sequence[int]) -> None:
        picks = [k for k in picks if k not in fits]
        got, where = fits_near([frames[k].rgb for k in picks], context, box, SLIDE, SCALE_STEPS)
        fits.update(zip(picks, (float(v) for v in got), strict=True))
        spots.update(zip(picks, where, strict=True))

    fit_some(range(i % FRAME_STRIDE, len(frames), FRAME_STRIDE))
    best = max(fits, key=fits.__getitem__)
    fit_some(range(max(0, best - FRAME_STRIDE + 1), min(len(frames), best + FRAME_STRIDE)))
    best = max(fits, key=lambda k: (round(fits[k], DECIMALS), -abs(k - i)))
    if fits[best] < FIT:
        return None
    top, left, bottom, right = spots[best]
    sharp = sharpen(frames, best, [context[top:bottom, left:right]])
    return best if sharp is None else sharp


def cropped(frames: list[SampledFrame], query: np.ndarray, moment: float) -> int:
    """The decoded frame a box of which fits the query best (``sabi.search.cropfit``: on
    CROP_THUMB thumbnails, then on CROP_FINE ones around each frame's best box), the middle of
    those within CROP_TIE of it in time order: a crop of a pan is whole in every frame of it,
    but the characters only fit in the frame it was cut from. The query is turned back
    (``turned_back``) on the frame nearest ``moment``, where the scene was placed."""
    coarse = np.stack([grey_thumbnail(f.rgb, CROP_THUMB) for f in frames])
    fine = np.stack([grey_thumbnail(f.rgb, CROP_FINE) for f in frames])
    times = np.array([f.time for f in frames])
    k = nearest(frames, moment)
    turned = turned_back(coarse[k], fine[k], query)
    k = plateau_middle(times, crop_fits_finer(coarse, fine, turned), CROP_TIE)
    if turned is not query:  # turned back, its pixels are resampled twice: no finer than boxes
        return k
    return registered(frames, k, query, coarse[k], fine[k])


def registered(
    frames: list[SampledFrame], k: int, query: np.ndarray, coarse: np.ndarray, fine: np.ndarray
) -> int:
    """The frame within CROP_REACH of ``k`` that the crop fits best at the frames' own size,
    near the box where it fits frame ``k`` (``cropfit.fine_box``, from ``coarse`` and ``fine``:
    frame ``k``'s thumbnails), each frame's fit taken between pixels
    (``register.crop_fits_near``); of the fits within CROP_REG_TIE of the best, the frame
    nearest ``k``."""
    mirrored, (top, left, bottom, right) = fine_box(coarse, fine, query)
    view = np.ascontiguousarray(query[:, ::-1] if mirrored else query)
    height, width = frames[k].rgb.shape[:2]
    box = (round(top * height), round(left * width), round(bottom * height), round(right * width))
    near = range(max(0, k - CROP_REACH), min(len(frames), k + CROP_REACH + 1))
    fits = crop_fits_near(view, [frames[j].rgb for j in near], box, CROP_SLIDE, CROP_GROW)
    close = np.flatnonzero(fits >= fits.max() - CROP_REG_TIE)
    return near[int(min(close, key=lambda i: abs(near[i] - k)))]


def turned_back(coarse: np.ndarray, fine: np.ndarray, query: np.ndarray) -> np.ndarray:
    """The query, or the query turned back by the one of TURNS at which a box of one frame
    (its ``coarse`` and ``fine`` thumbnails) fits it TURN_GAIN better: a tilted screenshot
    (an editor's, a hand-held camera's) is a crop of its frame only once turned back."""
    best, fit = query, box_fit(coarse, fine, query) + TURN_GAIN
    for angle in TURNS:
        turned = straightened(query, angle)
        turned_fit = box_fit(coarse, fine, turned)
        if turned_fit > fit:
            best, fit = turned, turned_fit
    return best


def boxed_better(frame: np.ndarray, query: Sequence[np.ndarray]) -> bool:
    """Whether a box of ``frame`` fits the query CROP_GAIN better than the whole frame does
    (``cropped``'s boxes, on this one frame): then the query is a crop of most of the picture,
    which correlates whole with some frame of a pan, tilt or zoom, though not the one it was cut
    from."""
    whole = max(
        float(unit_thumbnail(frame, THUMB) @ row) for rgb in query for row in both_ways(rgb, THUMB)
    )
    coarse, fine = grey_thumbnail(frame, CROP_THUMB), grey_thumbnail(frame, CROP_FINE)
    return box_fit(coarse, fine, query[0]) > whole + CROP_GAIN


def box_fit(coarse: np.ndarray, fine: np.ndarray, query: np.ndarray) -> float:
    """How well the best box of one frame (its CROP_THUMB and CROP_FINE thumbnails) fits the
    query: ``cropped``'s box search on a single frame."""
    return float(crop_fits_finer(coarse[None], fine[None], query)[0])


def sharpen(
    frames: list[SampledFrame],
    i: int,
    query: Sequence[np.ndarray],
    reach: int = REACH,
) -> int | None:
    """The frame within ``reach`` of ``i`` whose grey thumbnail correlates best with the
    query's (any of its views), where that reaches SHARP; else None. Equal correlations (a held
    picture) keep the frame nearest ``i``."""
    wanted = [row for rgb in query for row in both_ways(rgb, THUMB)]
    near = range(max(0, i - reach), min(len(frames), i + reach + 1))
    corr = {k: max(float(unit_thumbnail(frames[k].rgb, THUMB) @ w) for w in wanted) for k in near}
    best = max(corr, key=lambda k: (round(corr[k], DECIMALS), -abs(k - i)))
    if corr[best] < SHARP:
        return None
    return best
