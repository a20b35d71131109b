"""Draw Loom's app icons (static/icons/): a small plain weave, three threads each way.

    uv run python scripts/make_icons.py

Writes loom-192.png and loom-512.png (rounded tile), loom-maskable-512.png (full-bleed
background, the weave inside the maskable safe zone, the central 80 % circle) and
loom-badge-96.png (white on transparent, for the status bar). Drawn at four times the
size and scaled down, so the edges are smooth. Run it again after changing a colour.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

OUT = Path(__file__).resolve().parents[1] / "static" / "icons"
SCALE = 4
TEAL = (47, 93, 98, 255)  # the theme colour, #2f5d62
CREAM = (246, 240, 228, 255)
AMBER = (233, 184, 114, 255)
WHITE = (255, 255, 255, 255)
CLEAR = (0, 0, 0, 0)


def _weave(
    draw: ImageDraw.ImageDraw,
    *,
    box: tuple[float, float, float, float],
    warp: tuple[int, ...],
    weft: tuple[int, ...],
    gap_colour: tuple[int, ...],
) -> None:
    """Three vertical (warp) and three horizontal (weft) bands, alternately over and under."""
    left, top, right, bottom = box
    count = 3
    pitch = (right - left) / count
    band = pitch * 0.62
    gap = pitch * 0.07

    def vertical(i: int, y0: float, y1: float, outline: bool) -> None:
        x = left + pitch * i + (pitch - band) / 2
        if outline:
            draw.rectangle((x - gap, y0, x + band + gap, y1), fill=gap_colour)
        draw.rectangle((x, y0, x + band, y1), fill=warp)

    def horizontal(j: int, x0: float, x1: float, outline: bool) -> None:
        y = top + pitch * j + (pitch - band) / 2
        if outline:
            draw.rectangle((x0, y - gap, x1, y + band + gap), fill=gap_colour)
        draw.rectangle((x0, y, x1, y + band), fill=weft)

    for j in range(count):
        horizontal(j, left, right, outline=False)
    for i in range(count):
        vertical(i, top, bottom, outline=True)
    # Where the weft passes over, draw that crossing again on top: a checkerboard.
    for j in range(count):
        y = top + pitch * j + (pitch - band) / 2
        for i in range(count):
            if (i + j) % 2 == 0:
                continue
            x = left + pitch * i + (pitch - band) / 2
            draw.rectangle((x - gap, y - gap, x + band + gap, y + band + gap), fill=gap_colour)
            draw.rectangle((x - gap * 2, y, x + band + gap * 2, y + band), fill=weft)


def _tile(size: int, *, maskable: bool) -> Image.Image:
    big = size * SCALE
    image = Image.new("RGBA", (big, big), CLEAR)
    draw = ImageDraw.Draw(image)
    if maskable:
        draw.rectangle((0, 0, big, big), fill=TEAL)
        inset = big * 0.23  # the weave's corners stay inside the 80 % safe circle
    else:
        draw.rounded_rectangle((0, 0, big - 1, big - 1), radius=big * 0.22, fill=TEAL)
        inset = big * 0.2
    _weave(
        draw, box=(inset, inset, big - inset, big - inset), warp=CREAM, weft=AMBER, gap_colour=TEAL
    )
    return image.resize((size, size), Image.Resampling.LANCZOS)


def _badge(size: int) -> Image.Image:
    big = size * SCALE
    image = Image.new("RGBA", (big, big), CLEAR)
    draw = ImageDraw.Draw(image)
    inset = big * 0.1
    _weave(
        draw, box=(inset, inset, big - inset, big - inset), warp=WHITE, weft=WHITE, gap_colour=CLEAR
    )
    return image.resize((size, size), Image.Resampling.LANCZOS)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    _tile(192, maskable=False).save(OUT / "loom-192.png", optimize=True)
    _tile(512, maskable=False).save(OUT / "loom-512.png", optimize=True)
    _tile(512, maskable=True).save(OUT / "loom-maskable-512.png", optimize=True)
    _badge(96).save(OUT / "loom-badge-96.png", optimize=True)


if __name__ == "__main__":
    main()
