"""Development-time tool: turn Natural Earth TopoJSON into world.json, the site map's country outlines.

Run once, by hand, when the outlines should change; the site never downloads anything:

    npm pack world-atlas@2.0.2 && tar xzf world-atlas-2.0.2.tgz
    python -m pipeline.site.make_world package/countries-110m.json package/countries-50m.json

The 110m countries are drawn as outlines; states too small for the 110m scale (Singapore,
Bahrain, Malta...) get a dot at their 50m centre, drawn only when they have a deal. Shapes are
projected with the Equal Earth projection, Antarctica left out, coordinates rounded to 0.1 unit
of a 1000-unit-wide map and written as relative SVG path commands.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pycountry

OUT = Path(__file__).with_name("world.json")
WIDTH = 1000.0
SOUTH, NORTH = -56.0, 84.0  # latitudes kept: Tierra del Fuego to the north of Greenland
LEFT_OUT = {"010"}  # Antarctica
A1, A2, A3, A4 = 1.340264, -0.081106, 0.000893, 0.003796
Point = tuple[float, float]


def equal_earth(lon: float, lat: float) -> Point:
    """Return the Equal Earth projection (Šavrič, Patterson, Jenny 2018) of a point, in radians of the unit sphere."""
    lam, phi = math.radians(lon), math.radians(lat)
    theta = math.asin(math.sqrt(3) / 2 * math.sin(phi))
    t2 = theta * theta
    t6 = t2 * t2 * t2
    x = 2 * math.sqrt(3) * lam * math.cos(theta) / (3 * (9 * A4 * t6 * t2 + 7 * A3 * t6 + 3 * A2 * t2 + A1))
    y = A4 * t6 * t2 * theta + A3 * t6 * theta + A2 * t2 * theta + A1 * theta
    return x, y


SCALE = WIDTH / (2 * equal_earth(180, 0)[0])
TOP = equal_earth(0, NORTH)[1] * SCALE
HEIGHT = round(TOP - equal_earth(0, SOUTH)[1] * SCALE)


def to_map(lon: float, lat: float) -> Point:
    """Return map coordinates (x right, y down, origin top left) of a longitude and latitude."""
    x, y = equal_earth(lon, lat)
    return WIDTH / 2 + x * SCALE, TOP - y * SCALE


def decode_arcs(topology: dict[str, Any]) -> list[list[Point]]:
    """Return every arc of a quantized TopoJSON topology as (longitude, latitude) points."""
    (sx, sy), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)
    return arcs


def rings(geometry: dict[str, Any], arcs: list[list[Point]]) -> Iterator[list[Point]]:
    """Yield each ring of a Polygon or MultiPolygon geometry as a closed list of points."""
    polygons = [geometry["arcs"]] if geometry["type"] == "Polygon" else geometry["arcs"]
    for polygon in polygons:
        for ring in polygon:
            points: list[Point] = []
            for index in ring:
                arc = arcs[index] if index >= 0 else arcs[~index][::-1]
                points.extend(arc if not points else arc[1:])
            yield points


def split_at_antimeridian(ring: list[Point]) -> list[list[Point]]:
    """Return a ring that jumps between longitude 180 and -180 (Fiji, Chukotka) as one ring per side.

    Drawn whole, such a ring paints a line across the map; its two sides, each closed along the map's
    edge, draw as they should.
    """
    jumps = [i for i in range(len(ring) - 1) if abs(ring[i + 1][0] - ring[i][0]) > 180]
    if not jumps:
        return [ring]
    pieces = [ring[a + 1:b + 1] for a, b in zip(jumps, jumps[1:])] + [ring[jumps[-1] + 1:] + ring[:jumps[0] + 1]]
    sides: dict[bool, list[Point]] = {}
    for piece in pieces:
        sides.setdefault(sum(lon for lon, _ in piece) > 0, []).extend(piece)
    return [side + side[:1] for side in sides.values()]


def path_data(ring_list: list[list[Point]]) -> str:
    """Return SVG path data for rings: an absolute move, then relative lines in tenths, repeats dropped."""
    parts = []
    for ring in (piece for whole in ring_list for piece in split_at_antimeridian(whole)):
        tenths = [(round(x * 10), round(y * 10)) for x, y in (to_map(lon, max(lat, SOUTH)) for lon, lat in ring)]
        kept = [p for i, p in enumerate(tenths) if i == 0 or p != tenths[i - 1]]
        if len(kept) < 3:
            continue
        (x0, y0), steps = kept[0], []
        for (ax, ay), (bx, by) in zip(kept, kept[1:]):
            steps.append(f"{_n(bx - ax)} {_n(by - ay)}")
        parts.append(f"M{_n(x0)} {_n(y0)}l" + " ".join(steps) + "z")
    return "".join(parts)


def _n(tenths: int) -> str:
    text = f"{tenths / 10:g}"
    return text.replace("0.", ".", 1) if text.startswith(("0.", "-0.")) else text


def alpha2(numeric: str | None) -> str | None:
    """Return the ISO 3166-1 alpha-2 code of a numeric code, None when it has none (N. Cyprus, Kosovo...)."""
    found = pycountry.countries.get(numeric=numeric) if numeric else None
    return found.alpha_2 if found else None


def centre(ring_list: list[list[Point]]) -> Point:
    """Return the map position of the centre of the bounding box of the largest ring."""
    largest = max(ring_list, key=len)
    lons, lats = [p[0] for p in largest], [p[1] for p in largest]
    x, y = to_map((min(lons) + max(lons)) / 2, (min(lats) + max(lats)) / 2)
    return round(x, 1), round(y, 1)


def build(coarse: dict[str, Any], fine: dict[str, Any]) -> dict[str, Any]:
    """Return world.json's content: outlines by alpha-2 code, unnamed land, and dots for small states."""
    arcs = decode_arcs(coarse)
    shapes: dict[str, str] = {}
    other: list[str] = []
    for geometry in coarse["objects"]["countries"]["geometries"]:
        if geometry.get("id") in LEFT_OUT or geometry["type"] not in ("Polygon", "MultiPolygon"):
            continue
        code, data = alpha2(geometry.get("id")), path_data(list(rings(geometry, arcs)))
        if code:
            shapes[code] = shapes.get(code, "") + data
        else:
            other.append(data)
    fine_arcs = decode_arcs(fine)
    dots = {}
    for geometry in fine["objects"]["countries"]["geometries"]:
        code = alpha2(geometry.get("id"))
        if code and code not in shapes and geometry["type"] in ("Polygon", "MultiPolygon") \
                and geometry.get("id") not in LEFT_OUT:
            dots[code] = centre(list(rings(geometry, fine_arcs)))
    return {
        "source": "Natural Earth 4.1.0 admin-0 countries (public domain), 1:110m outlines and 1:50m centres, "
                  "via the world-atlas 2.0.2 TopoJSON (npm, ISC); Equal Earth projection",
        "width": WIDTH, "height": HEIGHT, "shapes": dict(sorted(shapes.items())), "unnamed": "".join(other),
        "dots": dict(sorted(dots.items())),
    }


def main(argv: list[str]) -> None:
    """Read the 110m and 50m TopoJSON files named on the command line and write world.json."""
    coarse, fine = (json.loads(Path(name).read_text(encoding="utf-8")) for name in argv[1:3])
    OUT.write_text(json.dumps(build(coarse, fine), separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"{OUT}: {OUT.stat().st_size:,} bytes")


if __name__ == "__main__":
    main(sys.argv)
