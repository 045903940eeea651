"""Map tiles the project draws itself (the demo's and the tests' map background): a plain
grid with each tile's z/x/y, in the slippy-map layout every tile server uses. A region runs
its own tile server in production (``SAFEWATCH_MAP_TILE_URL``)."""

from __future__ import annotations

import math
from pathlib import Path

from PIL import Image, ImageDraw

SIZE = 256


def tile_of(latitude: float, longitude: float, zoom: int) -> tuple[int, int]:
    """The tile (x, y) a point falls in at a zoom (Web Mercator)."""
    n = 2**zoom
    x = int((longitude + 180.0) / 360.0 * n)
    lat = math.radians(latitude)
    y = int((1.0 - math.asinh(math.tan(lat)) / math.pi) / 2.0 * n)
    return min(max(x, 0), n - 1), min(max(y, 0), n - 1)


def make_tiles(
    directory: Path,
    south: float,
    west: float,
    north: float,
    east: float,
    zooms: range,
) -> int:
    """Draw the tiles covering the box at each zoom into ``directory/z/x/y.png`` (kept if
    already there). Returns how many it drew."""
    drawn = 0
    for z in zooms:
        x0, y0 = tile_of(north, west, z)
        x1, y1 = tile_of(south, east, z)
        for x in range(x0, x1 + 1):
            for y in range(y0, y1 + 1):
                path = directory / str(z) / str(x) / f"{y}.png"
                if path.exists():
                    continue
                path.parent.mkdir(parents=True, exist_ok=True)
                _tile(z, x, y).save(path)
                drawn += 1
    return drawn


def _tile(z: int, x: int, y: int) -> Image.Image:
    image = Image.new("RGB", (SIZE, SIZE), (236, 240, 232) if (x + y) % 2 else (230, 236, 226))
    draw = ImageDraw.Draw(image)
    for k in range(0, SIZE, 64):
        draw.line([(k, 0), (k, SIZE)], fill=(214, 220, 210))
        draw.line([(0, k), (SIZE, k)], fill=(214, 220, 210))
    draw.rectangle([0, 0, SIZE - 1, SIZE - 1], outline=(190, 198, 186))
    draw.text((6, 6), f"{z}/{x}/{y}", fill=(120, 128, 118))
    return image
