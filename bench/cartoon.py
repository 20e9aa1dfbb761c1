"""Rendered 2D animation: "episodes" of three made-up shows, drawn from open game art.

Big Buck Bunny alone is 36 s of long, moving shots. Anime is not: hard cuts every few seconds,
characters animated "on twos" (a new drawing every second frame), fully held shots (the same
frame for seconds), pans and zooms over painted backgrounds, the same locations coming back in
every episode, and fades. This module renders footage with those traits from the Kenney.nl
sprites in ``bench.assets``, deterministically from a seed, with a ground-truth shot list.

An episode is a seeded sequence of shots (1.5-6 s each). A shot is a stage (a background: a
crop of a painted or parallax image, or a sky; a ground of tiles; props) graded in the show's
colours, 1-3 characters walking or idling on it, and a camera that holds, pans or zooms.
Rendering is a pure function of (show, episode number, length): rerunning it gives the same
frames, so the cache needs only the recipe.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any

import av
import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageOps

from bench import assets
from bench.video import Encoder

FPS = 24
SIZE = (640, 360)
STAGE = (1024, 576)  # the world a shot's camera frames a part of
TILE = 96  # ground tiles are drawn at this size (128 px in the art)
FADE_FRAMES = 12
Rng = np.random.Generator


@dataclass(frozen=True)
class Style:
    """A show: its seed, the art it draws from, and its colour grade."""

    title: str
    seed: int
    backgrounds: tuple[str, ...]  # "sky", "abstract_1", "abstract_2", "stars", "cybercity", "miami"
    grounds: tuple[str, ...]  # tile families: grass, dirt, sand, snow, stone, planet
    characters: tuple[str, ...]  # folders of animated_characters/
    props: tuple[str, ...]  # single sprites (tiles/, items/, enemies/)
    gain: tuple[float, float, float]  # per-channel colour grade: out = in * gain + lift
    lift: tuple[int, int, int]
    sky: tuple[tuple[int, int, int], tuple[int, int, int]]  # top and horizon colours


SHOWS: dict[str, Style] = {
    "A": Style(
        "Meadow Quest",
        101,
        ("sky", "abstract_1", "abstract_2"),
        ("grass", "dirt", "sand"),
        ("female_adventurer", "male_adventurer", "zombie"),
        (
            "tiles/bush.png",
            "tiles/rock.png",
            "tiles/mushroomRed.png",
            "tiles/signRight.png",
            "items/flagGreen1.png",
            "items/star.png",
            "enemies/slimeGreen.png",
            "enemies/bee.png",
            "tiles/boxCrate.png",
        ),
        (1.08, 1.0, 0.86),
        (12, 6, 0),
        ((96, 160, 235), (250, 220, 170)),
    ),
    "B": Style(
        "Neon Alley",
        202,
        ("cybercity", "miami", "stars"),
        ("stone", "planet", "snow"),
        ("robot", "male_person", "female_person"),
        (
            "tiles/torch1.png",
            "tiles/lockYellow.png",
            "tiles/leverLeft.png",
            "items/gemBlue.png",
            "items/keyRed.png",
            "enemies/slimePurple.png",
            "enemies/fly.png",
            "tiles/boxCrate_double.png",
        ),
        (0.86, 0.92, 1.12),
        (10, 0, 24),
        ((20, 10, 60), (200, 70, 160)),
    ),
    "C": Style(
        "Star Patrol",
        303,
        ("stars", "miami", "sky", "abstract_2"),
        ("snow", "planet", "sand", "stone"),
        ("robot", "female_adventurer", "zombie", "male_person"),
        (
            "tiles/cactus.png",
            "tiles/plantPurple.png",
            "tiles/spikes.png",
            "items/gemGreen.png",
            "items/coinGold.png",
            "enemies/frog.png",
            "enemies/ladybug.png",
            "tiles/bomb.png",
        ),
        (0.92, 1.08, 0.94),
        (0, 14, 8),
        ((40, 90, 80), (210, 240, 200)),
    ),
}


@dataclass(frozen=True)
class Actor:
    character: str
    x: float  # stage x of the sprite's centre at the shot's start
    speed: float  # stage px per second (0: idling); negative walks left
    scale: float
    phase: int  # which walk drawing the shot starts on


@dataclass(frozen=True)
class Shot:
    start: int  # first frame in the episode
    frames: int
    camera: str  # "static", "pan", "zoom" or "held" (one drawing for the whole shot)
    background: str
    bg_offset: float  # 0-1: where the background image is cropped
    ground: str
    ground_y: int  # stage y of the ground's top
    props: tuple[tuple[str, int, float], ...]  # (asset, stage x, scale)
    actors: tuple[Actor, ...]
    view: tuple[tuple[float, float, float], tuple[float, float, float]]  # (x, y, width) from/to
    light: float  # the shot's brightness (time of day)
    fade: str  # "", "in" or "out"
    seed: int  # the sky's clouds and stars

    @property
    def seconds(self) -> tuple[float, float]:
        return self.start / FPS, (self.start + self.frames) / FPS


# ----- planning


def plan_episode(show: str, number: int, seconds: float) -> list[Shot]:
    """The shots of one episode: a pure function of the show, the number and the length."""
    style = SHOWS[show]
    rng = np.random.default_rng([style.seed, number])
    total = round(seconds * FPS)
    shots: list[Shot] = []
    frame = 0
    while frame < total:
        shot = _plan_shot(style, rng, frame)
        if total - (frame + shot.frames) < round(1.5 * FPS):  # no sliver of a last shot
            shot = replace(shot, frames=total - frame)
        shots.append(shot)
        frame += shot.frames
    return shots


def _plan_shot(style: Style, rng: Rng, start: int) -> Shot:
    camera = str(rng.choice(["static", "pan", "zoom", "held"], p=[0.3, 0.35, 0.15, 0.2]))
    seconds = float(rng.uniform(2.0, 4.0) if camera == "held" else rng.uniform(1.5, 6.0))
    ground_y = int(rng.integers(380, 470))
    actors = []
    for _ in range(int(rng.integers(1, 4))):
        walking = camera != "held" and rng.random() < 0.7
        speed = float(rng.uniform(60, 160) * rng.choice([-1, 1])) if walking else 0.0
        actors.append(
            Actor(
                str(rng.choice(style.characters)),
                float(rng.uniform(150, STAGE[0] - 150)),
                speed,
                float(rng.uniform(1.2, 2.0)),
                int(rng.integers(0, 8)),
            )
        )
    props = tuple(
        (str(rng.choice(style.props)), int(rng.integers(0, STAGE[0])), float(rng.uniform(0.5, 1)))
        for _ in range(int(rng.integers(1, 5)))
    )
    width = float(rng.uniform(640, 900))
    a = (float(rng.uniform(0, STAGE[0] - width)), float(rng.uniform(0, STAGE[1] - width * 9 / 16)))
    view_from = (a[0], a[1], width)
    view_to = view_from
    if camera == "pan":
        x = float(rng.uniform(0, STAGE[0] - width))
        view_to = (x, a[1], width)
    elif camera == "zoom":
        w2 = width * float(rng.choice([0.7, 1.25]))
        w2 = min(w2, float(STAGE[0]))
        cx, cy = a[0] + width / 2, a[1] + width * 9 / 32
        x2 = min(max(cx - w2 / 2, 0.0), STAGE[0] - w2)
        y2 = min(max(cy - w2 * 9 / 32, 0.0), STAGE[1] - w2 * 9 / 16)
        view_to = (x2, y2, w2)
    fade = "" if camera == "held" else str(rng.choice(["", "in", "out"], p=[0.84, 0.08, 0.08]))
    return Shot(
        start=start,
        frames=max(round(seconds * FPS), 2),
        camera=camera,
        background=str(rng.choice(style.backgrounds)),
        bg_offset=float(rng.random()),
        ground=str(rng.choice(style.grounds)),
        ground_y=ground_y,
        props=props,
        actors=tuple(actors),
        view=(view_from, view_to),
        light=float(rng.uniform(0.8, 1.1)),
        fade=fade,
        seed=int(rng.integers(1 << 30)),
    )


# ----- drawing


def _grade(style: Style, light: float) -> Callable[[Image.Image], Image.Image]:
    luts = []
    for g, lift in zip(style.gain, style.lift, strict=True):
        luts += [min(255, max(0, round(v * g * light + lift))) for v in range(256)]

    def apply(img: Image.Image) -> Image.Image:
        if img.mode == "RGBA":
            rgb = img.convert("RGB").point(luts)
            out = rgb.convert("RGBA")
            out.putalpha(img.getchannel("A"))
            return out
        return img.point(luts)

    return apply


def _cover(img: Image.Image, size: tuple[int, int], offset: float, nearest: bool) -> Image.Image:
    """Scale to cover ``size`` and crop, sliding the crop by ``offset`` (0-1)."""
    scale = max(size[0] / img.width, size[1] / img.height)
    w, h = round(img.width * scale), round(img.height * scale)
    resample = Image.Resampling.NEAREST if nearest else Image.Resampling.BICUBIC
    big = img.resize((w, h), resample)
    x, y = round((w - size[0]) * offset), round((h - size[1]) * (1 - offset))
    return big.crop((x, y, x + size[0], y + size[1]))


def _parallax(layers: list[str], size: tuple[int, int], offset: float) -> Image.Image:
    """Pixel-art layers, each tiled across the stage at its own horizontal shift."""
    out = Image.new("RGBA", size, (0, 0, 0, 255))
    for depth, name in enumerate(layers):
        layer = assets.image(name)
        scale = size[1] / layer.height
        w = max(1, round(layer.width * scale))
        tile = layer.resize((w, size[1]), Image.Resampling.NEAREST)
        shift = -round(offset * w * (depth + 1) / len(layers))
        for x in range(shift, size[0], w):
            out.paste(tile, (x, 0), tile)
    return out


def _sky(style: Style, shot: Shot, size: tuple[int, int]) -> Image.Image:
    top, bottom = (np.array(c, np.float32) for c in style.sky)
    ramp = np.linspace(0, 1, size[1], dtype=np.float32)[:, None, None]
    rows = top * (1 - ramp) + bottom * ramp
    img = Image.fromarray(np.broadcast_to(rows, (size[1], size[0], 3)).astype(np.uint8))
    draw = ImageDraw.Draw(img)
    rng = np.random.default_rng(shot.seed)
    sx, sy, sr = int(rng.integers(80, size[0] - 80)), int(rng.integers(40, 200)), 40
    draw.ellipse((sx - sr, sy - sr, sx + sr, sy + sr), fill=(255, 240, 200))
    for _ in range(int(rng.integers(3, 8))):  # clouds: clusters of white ellipses
        cx, cy = int(rng.integers(0, size[0])), int(rng.integers(20, 260))
        for _ in range(4):
            dx, dy, r = (
                int(rng.integers(-50, 50)),
                int(rng.integers(-12, 12)),
                int(rng.integers(20, 40)),
            )
            box = (cx + dx - r, cy + dy - r * 0.6, cx + dx + r, cy + dy + r * 0.6)
            draw.ellipse(box, "white")
    return img.filter(ImageFilter.GaussianBlur(1.2))


def _background(style: Style, shot: Shot) -> Image.Image:
    size, off = STAGE, shot.bg_offset
    if shot.background == "sky":
        return _sky(style, shot, size).convert("RGBA")
    if shot.background == "cybercity":
        names = ["far-buildings.png", "back-buildings.png", "foreground.png"]
        return _parallax([f"cybercity_background/{n}" for n in names], size, off)
    if shot.background == "miami":
        names = ["back.png", "sun.png", "buildings.png", "palms.png", "highway.png"]
        return _parallax([f"miami_synth_parallax/layers/{n}" for n in names], size, off)
    name = "backgrounds/stars.png" if shot.background == "stars" else None
    name = name or f"backgrounds/{shot.background}.jpg"
    return _cover(assets.image(name), size, off, nearest=False)


def build_stage(style: Style, shot: Shot) -> Image.Image:
    """Background, ground and props, graded: everything in a shot that does not move."""
    stage = _background(style, shot)
    top = _tile(f"tiles/{shot.ground}Mid.png")
    fill = _tile(f"tiles/{shot.ground}Center.png")
    for x in range(0, STAGE[0], TILE):
        stage.alpha_composite(top, (x, shot.ground_y))
        for y in range(shot.ground_y + TILE, STAGE[1], TILE):
            stage.alpha_composite(fill, (x, y))
    for name, x, scale in shot.props:
        sprite = assets.image(name)
        w, h = round(sprite.width * scale), round(sprite.height * scale)
        sprite = sprite.resize((w, h), Image.Resampling.BICUBIC)
        stage.alpha_composite(sprite, (min(max(x - w // 2, 0), STAGE[0] - w), shot.ground_y - h))
    return _grade(style, shot.light)(stage)


@cache
def _tile(name: str) -> Image.Image:
    return assets.image(name).resize((TILE, TILE), Image.Resampling.BICUBIC)


@cache
def _sprite(character: str, pose: str, scale: float, left: bool, show: str) -> Image.Image:
    folder = f"animated_characters/{character}"
    name = next(n for n in assets.names(folder) if n.endswith(f"_{pose}.png"))
    img = assets.image(name)
    img = img.resize(
        (round(img.width * scale), round(img.height * scale)), Image.Resampling.LANCZOS
    )
    img = ImageOps.mirror(img) if left else img
    return _grade(SHOWS[show], 1.0)(img)


def _draw(show: str, shot: Shot, stage: Image.Image, drawing: int) -> Image.Image:
    """Drawing ``drawing`` of a shot (one every 2 frames), as a 640x360 RGB frame."""
    t = drawing * 2 / FPS
    img = stage.copy()
    for actor in shot.actors:
        pose = f"walk{(drawing + actor.phase) % 8}" if actor.speed else "idle"
        sprite = _sprite(actor.character, pose, round(actor.scale, 2), actor.speed < 0, show)
        x = round(actor.x + actor.speed * t - sprite.width / 2)
        if -sprite.width < x < STAGE[0]:
            img.paste(sprite, (x, shot.ground_y - sprite.height + 8), sprite)
    u = 0.0 if shot.camera == "held" else min(1.0, drawing * 2 / max(1, shot.frames - 1))
    u = u * u * (3 - 2 * u)  # ease in and out
    (x0, y0, w0), (x1, y1, w1) = shot.view
    cx, cy, w = x0 + (x1 - x0) * u, y0 + (y1 - y0) * u, w0 + (w1 - w0) * u
    frame = img.resize(SIZE, Image.Resampling.BILINEAR, box=(cx, cy, cx + w, cy + w * 9 / 16))
    frame = frame.convert("RGB")
    fade = _fade(shot, drawing * 2)
    return Image.eval(frame, lambda v: round(v * fade)) if fade < 1 else frame


def _fade(shot: Shot, frame: int) -> float:
    if shot.fade == "in":
        return min(1.0, (frame + 1) / FADE_FRAMES)
    if shot.fade == "out":
        return min(1.0, (shot.frames - frame) / FADE_FRAMES)
    return 1.0


def frames(show: str, shots: list[Shot]) -> Iterator[Image.Image]:
    """Every frame of an episode, in order (each drawing shown twice; held shots once drawn)."""
    style = SHOWS[show]
    for shot in shots:
        stage = build_stage(style, shot)
        held = _draw(show, shot, stage, 0) if shot.camera == "held" else None
        current: Image.Image | None = None
        for f in range(shot.frames):
            if held is not None:
                current = held
            elif f % 2 == 0 or current is None:
                current = _draw(show, shot, stage, f // 2)
            yield current


# ----- episodes on disk


def render_episode(show: str, number: int, seconds: float, outputs: list[Encoder]) -> list[Shot]:
    """Render one episode into every encoder given (e.g. a lossless master and the indexed
    encode) and return its shots."""
    shots = plan_episode(show, number, seconds)
    for img in frames(show, shots):
        vf = av.VideoFrame.from_image(img)
        for enc in outputs:
            enc.add(vf)
    return shots


def ground_truth(show: str, number: int, shots: list[Shot]) -> dict[str, Any]:
    """The shot list a benchmark scores against (times in seconds of the episode)."""
    return {
        "show": SHOWS[show].title,
        "episode": number,
        "fps": FPS,
        "size": list(SIZE),
        "seconds": sum(s.frames for s in shots) / FPS,
        "shots": [
            {
                "start": s.seconds[0],
                "end": s.seconds[1],
                "camera": s.camera,
                "background": s.background,
                "ground": s.ground,
                "characters": [a.character for a in s.actors],
                "walking": [a.speed != 0 for a in s.actors],
                "fade": s.fade,
            }
            for s in shots
        ],
    }


def write_truth(path: Path, truth: dict[str, Any]) -> None:
    path.write_text(json.dumps(truth, indent=1))
