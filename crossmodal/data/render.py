"""Procedural video of one object on a table, lying still or being moved or rotated.

Objects are drawn as sprites (pointing right, at twice the output resolution for smooth edges)
and composited per frame with a soft shadow onto a wood-like table, with seeded variation in
size, colour, placement, lighting, speed and camera shake.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from crossmodal.data.media import N_FRAMES, SIZE

SS = 2  # supersampling factor for sprites
Color = tuple[int, int, int]
Painter = Callable[[ImageDraw.ImageDraw, int, int, np.random.Generator], None]


def _jitter(rng: np.random.Generator, base: Color, spread: int = 25) -> Color:
    return tuple(int(np.clip(c + rng.integers(-spread, spread + 1), 0, 255)) for c in base)


def _metal(rng: np.random.Generator) -> Color:
    return _jitter(rng, (196, 200, 208), 18)


def _pen(d: ImageDraw.ImageDraw, w: int, h: int, rng: np.random.Generator) -> None:
    inks = [(30, 60, 200), (200, 30, 40), (20, 20, 20), (20, 140, 60)]
    body = _jitter(rng, inks[rng.integers(len(inks))])
    cy, r = h // 2, h // 7
    d.rounded_rectangle([w * 0.12, cy - r, w * 0.80, cy + r], radius=r, fill=body)
    d.polygon([(w * 0.80, cy - r), (w * 0.95, cy), (w * 0.80, cy + r)], fill=(230, 210, 170))
    d.ellipse([w * 0.93, cy - r * 0.3, w * 0.97, cy + r * 0.3], fill=(30, 30, 30))
    d.rounded_rectangle([w * 0.05, cy - r * 1.2, w * 0.35, cy + r * 1.2], radius=r, fill=body)
    d.rectangle([w * 0.12, cy - r * 1.9, w * 0.33, cy - r * 1.2], fill=(200, 200, 205))


def _phone(d: ImageDraw.ImageDraw, w: int, h: int, rng: np.random.Generator) -> None:
    shell = _jitter(rng, [(25, 25, 30), (235, 235, 240), (180, 150, 120)][rng.integers(3)], 10)
    x0, x1, y0, y1 = w * 0.22, w * 0.78, h * 0.08, h * 0.92
    d.rounded_rectangle([x0, y0, x1, y1], radius=int(h * 0.12), fill=shell)
    screen = _jitter(rng, (40, 70, 120), 20)
    d.rounded_rectangle([x0 + h * 0.07, y0 + h * 0.07, x1 - h * 0.16, y1 - h * 0.07],
                        radius=int(h * 0.05), fill=screen)
    d.ellipse([x1 - h * 0.12, h / 2 - h * 0.04, x1 - h * 0.04, h / 2 + h * 0.04],
              fill=(90, 90, 95))


def _handle(d: ImageDraw.ImageDraw, w: int, h: int, rng: np.random.Generator, x1: float) -> None:
    materials = [(200, 200, 208), (60, 40, 30), (20, 20, 20), (150, 30, 30)]
    colour = _jitter(rng, materials[rng.integers(len(materials))])
    r = h * 0.07
    d.rounded_rectangle([w * 0.04, h / 2 - r, w * x1, h / 2 + r], radius=int(r), fill=colour)


def _spoon(d: ImageDraw.ImageDraw, w: int, h: int, rng: np.random.Generator) -> None:
    _handle(d, w, h, rng, 0.62)
    metal = _metal(rng)
    d.rectangle([w * 0.55, h / 2 - h * 0.04, w * 0.68, h / 2 + h * 0.04], fill=metal)
    d.ellipse([w * 0.62, h * 0.22, w * 0.97, h * 0.78], fill=metal)
    d.ellipse([w * 0.67, h * 0.32, w * 0.92, h * 0.68], fill=tuple(c - 35 for c in metal))


def _knife(d: ImageDraw.ImageDraw, w: int, h: int, rng: np.random.Generator) -> None:
    _handle(d, w, h, rng, 0.42)
    metal = _metal(rng)
    top, bottom = h / 2 - h * 0.10, h / 2 + h * 0.14
    d.polygon([(w * 0.42, top), (w * 0.90, top), (w * 0.98, h / 2 - h * 0.06),
               (w * 0.80, bottom), (w * 0.42, bottom)], fill=metal)
    d.line([(w * 0.45, bottom - 2), (w * 0.82, bottom - 2)], fill=(245, 245, 250), width=2)


def _fork(d: ImageDraw.ImageDraw, w: int, h: int, rng: np.random.Generator) -> None:
    _handle(d, w, h, rng, 0.58)
    metal = _metal(rng)
    d.polygon([(w * 0.55, h / 2 - h * 0.05), (w * 0.68, h * 0.22), (w * 0.72, h * 0.22),
               (w * 0.72, h * 0.78), (w * 0.68, h * 0.78), (w * 0.55, h / 2 + h * 0.05)],
              fill=metal)
    for k in range(4):
        y = h * 0.22 + k * (h * 0.56 - h * 0.07) / 3
        d.rectangle([w * 0.70, y, w * 0.98, y + h * 0.07], fill=metal)


PAINTERS: dict[str, Painter] = {
    "pen": _pen, "phone": _phone, "spoon": _spoon, "knife": _knife, "fork": _fork,
}
#: Sprite aspect (height / width): a phone is wide, cutlery is long and thin.
ASPECT: dict[str, float] = {"pen": 0.22, "phone": 0.85, "spoon": 0.32, "knife": 0.26, "fork": 0.32}


def sprite(obj: str, length: int, rng: np.random.Generator) -> Image.Image:
    """An RGBA image of the object pointing right, `length` pixels long."""
    w = length * SS
    h = max(8, int(w * ASPECT[obj]))
    image = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    PAINTERS[obj](ImageDraw.Draw(image), w, h, rng)
    return image.resize((length, max(4, h // SS)), Image.LANCZOS)


def table(rng: np.random.Generator, size: int) -> np.ndarray:
    """A wood-like table top: stripes of grain with noise and a soft light fall-off."""
    base = np.array(
        [(150, 110, 75), (190, 160, 120), (120, 90, 70), (170, 170, 165)][rng.integers(4)], float
    ) + rng.uniform(-15, 15, 3)
    y, x = np.mgrid[0:size, 0:size].astype(float)
    angle = rng.uniform(-0.3, 0.3)
    u = y * np.cos(angle) + x * np.sin(angle)
    grain = np.sin(u / rng.uniform(3, 7) + 2.0 * np.sin(x / rng.uniform(20, 40)))
    noise = rng.normal(0, 1, (size // 4 + 1, size // 4 + 1))
    noise = np.kron(noise, np.ones((4, 4)))[:size, :size]
    shade = 1.0 + 0.06 * grain + 0.03 * noise
    cx, cy = rng.uniform(0.3, 0.7, 2) * size
    light = 1.0 - 0.25 * (((x - cx) ** 2 + (y - cy) ** 2) / size**2)
    return np.clip(base[None, None, :] * (shade * light)[..., None], 0, 255)


def _ease(t: np.ndarray) -> np.ndarray:
    return t * t * (3 - 2 * t)


@dataclass(frozen=True)
class Motion:
    """Centre (x, y) in pixels and angle in degrees for each frame."""

    x: np.ndarray
    y: np.ndarray
    angle: np.ndarray


_DIRECTIONS: dict[str, tuple[float, float]] = {
    "left": (-1.0, 0.0), "right": (1.0, 0.0), "up": (0.0, -1.0), "down": (0.0, 1.0),
    "still": (0.0, 0.0), "rotate": (0.0, 0.0),
}


def motion(action: str, rng: np.random.Generator, n: int = N_FRAMES, size: int = SIZE) -> Motion:
    """A trajectory: moves start and end at rest inside the frame, with seeded timing."""
    t = np.arange(n) / n
    start, span = rng.uniform(0.1, 0.3), rng.uniform(0.4, 0.6)
    progress = _ease(np.clip((t - start) / span, 0.0, 1.0))
    dx, dy = _DIRECTIONS[action]
    distance = rng.uniform(0.30, 0.40) * size
    cx = size / 2 + rng.uniform(-8, 8) - dx * distance / 2
    cy = size / 2 + rng.uniform(-8, 8) - dy * distance / 2
    angle0 = rng.uniform(-20, 20)
    x = cx + dx * distance * progress
    y = cy + dy * distance * progress
    turn = rng.choice([-1, 1]) * rng.uniform(120, 180) if action == "rotate" else 0.0
    angle = angle0 + turn * progress
    if action == "still":  # a resting object still shows small hand and camera tremor
        tremor = np.cumsum(rng.normal(0, 0.15, (2, n)), axis=1)
        tremor = (tremor - tremor.mean(axis=1, keepdims=True)).clip(-1.5, 1.5)
        x, y = x + tremor[0], y + tremor[1]
    return Motion(x, y, angle)


def _posed(item: Image.Image, angle: float) -> tuple[Image.Image, Image.Image]:
    """The item turned by `angle` degrees, and the soft shadow it casts."""
    rotated = item.rotate(angle, resample=Image.BICUBIC, expand=True)
    shadow = Image.new("RGBA", rotated.size, (0, 0, 0, 90))
    alpha = rotated.getchannel("A")
    shadow.putalpha(alpha.point(lambda a: a * 90 // 255).filter(ImageFilter.BoxBlur(2)))
    return rotated, shadow


def render(obj: str, action: str, rng: np.random.Generator, size: int = SIZE,
           n: int = N_FRAMES) -> np.ndarray:
    """Frames (n, size, size, 3) uint8 of `obj` doing `action`."""
    pad = 8  # camera shake crops from a slightly larger table
    background = table(rng, size + 2 * pad)
    item = sprite(obj, int(rng.uniform(0.45, 0.55) * size), rng)
    path = motion(action, rng, n, size)
    gain = rng.uniform(0.85, 1.1) * (1 + 0.03 * np.sin(np.arange(n) / rng.uniform(3, 8)))
    wobble = np.cumsum(rng.normal(0, 0.3, (n, 2)), axis=0)
    # a slight hand-held camera: a small wander around the mean position
    shake = (wobble - wobble.mean(axis=0)).clip(-2, 2).round().astype(int)
    frames = np.empty((n, size, size, 3), np.uint8)
    table_u8 = background.astype(np.uint8)
    posed: dict[float, tuple[Image.Image, Image.Image]] = {}  # only a rotation turns the item
    for i in range(n):
        angle = float(path.angle[i])
        if angle not in posed:
            posed[angle] = _posed(item, angle)
        rotated, shadow = posed[angle]
        canvas = Image.fromarray(table_u8)
        left = int(round(path.x[i] + pad - rotated.width / 2))
        top = int(round(path.y[i] + pad - rotated.height / 2))
        canvas.paste(shadow, (left + 3, top + 4), shadow)
        canvas.paste(rotated, (left, top), rotated)
        ox, oy = pad + shake[i]
        frame = np.asarray(canvas, dtype=np.float32)[oy : oy + size, ox : ox + size] * gain[i]
        frames[i] = np.clip(frame, 0, 255).astype(np.uint8)
    return frames
