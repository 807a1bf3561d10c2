"""The home page's world map: an inline SVG of Natural Earth outlines, each country coloured by its furthest stage.

The outlines are data (world.json, made by make_world.py at development time, never downloaded);
each country with a deal is a link to its page, so the map works without JavaScript.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from pipeline.digest import html_text
from pipeline.site.model import STAGE_LABELS, Country

WORLD = Path(__file__).with_name("world.json")
DOT_RADIUS = 4


@cache
def world() -> dict[str, Any]:
    """Return the projected outlines: width, height, shapes and dots by alpha-2 code, unnamed land."""
    data: dict[str, Any] = json.loads(WORLD.read_text(encoding="utf-8"))
    return data


def map_class(country: Country) -> str:
    """Return the CSS class a country is painted with: its national stage, else 'sub' (sub-national deals only)."""
    return f"s-{country.stage}" if country.stage else "sub"


def on_map(code: str) -> bool:
    """Return whether the map can draw a country (an outline, or a dot for a small state)."""
    return code in world()["shapes"] or code in world()["dots"]


def render_map(countries: list[Country], href: dict[str, str]) -> str:
    """Return the SVG map; `href` gives each country's page, relative to the page holding the map."""
    data = world()
    by_code = {country.code: country for country in countries}
    quiet = "".join(shape for code, shape in data["shapes"].items() if code not in by_code)
    parts = [f'<svg class="map" viewBox="0 0 {data["width"]:g} {data["height"]:g}" role="img" '
             'aria-labelledby="map-title" preserveAspectRatio="xMidYMid meet">',
             '<title id="map-title">World map: each country coloured by the furthest stage of its national AI deals'
             '</title>',
             f'<path class="land" d="{quiet}{data["unnamed"]}"/>']
    dots = []
    for country in countries:
        label = html_text(f"{country.name}: {_summary(country)}")
        link = f'<a href="{html_text(href[country.code])}" aria-label="{label}">'
        if country.code in data["shapes"]:
            parts.append(f'{link}<path class="{map_class(country)}" d="{data["shapes"][country.code]}">'
                         f"<title>{label}</title></path></a>")
        elif country.code in data["dots"]:
            x, y = data["dots"][country.code]
            dots.append(f'{link}<circle class="{map_class(country)} dot" cx="{x:g}" cy="{y:g}" r="{DOT_RADIUS}">'
                        f"<title>{label}</title></circle></a>")
    parts += dots  # small states on top of the outlines around them
    parts.append("</svg>")
    return "".join(parts)


def _summary(country: Country) -> str:
    deals = f"{len(country.deals)} deal{'s' if len(country.deals) != 1 else ''}"
    if country.stage:
        return f"{STAGE_LABELS[country.stage]} ({deals})"
    return f"sub-national deals only ({deals})"
