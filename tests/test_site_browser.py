"""The tracker as a reader sees it: the demo's site in headless Chromium, at desktop and phone width.

Skipped where Debian's chromium is not installed (.ci/run installs it). Set DEALWATCH_SCREENSHOTS to a
folder to keep the screenshots; the README's docs/site-home.png and docs/site-country.png are such a run's
home-1280.png and country-1280.png.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.cli import main
from browser import CHROMIUM, Browser, png_pixels

REPO = Path(__file__).resolve().parents[1]
WIDTHS = (1280, 390)
PAGES = {"home": "index.html", "country": "country/ma.html", "deal": "deal/2.html"}
MOU_COLOUR = (0x43, 0xA2, 0xCA)  # Morocco's furthest stage on the demo data

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(),
                                reason=f"{CHROMIUM} is not installed (Debian package chromium; .ci/run installs it)")


@pytest.fixture(scope="module")
def demo_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return the site written from the demo database, built as the README says."""
    folder = tmp_path_factory.mktemp("browser")
    runner = CliRunner()
    db = folder / "demo.db"
    for args in (["run", "--config", str(REPO / "config" / "demo.toml"), "--db", str(db)],
                 ["site", "--db", str(db), "--out", str(folder / "site")]):
        result = runner.invoke(main, args)
        assert result.exit_code == 0, result.output
    return folder / "site"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    chromium = Browser()
    yield chromium
    chromium.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    keep = os.environ.get("DEALWATCH_SCREENSHOTS")
    folder = Path(keep) if keep else tmp_path_factory.mktemp("shots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("page", PAGES)
def test_each_page_renders_without_errors_or_horizontal_scroll(demo_site: Path, browser: Browser, shots: Path,
                                                                page: str, width: int) -> None:
    browser.events.clear()
    browser.open((demo_site / PAGES[page]).as_uri(), width)
    scroll, client = browser.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert scroll <= client == width, f"{page} at {width}px scrolls sideways: {scroll} > {client}"
    png = browser.screenshot(shots / f"{page}-{width}.png")
    png_width, height, pixels = png_pixels(png)
    assert png_width == width and height > 300 and len(set(pixels)) > 20  # a page, not a blank
    assert browser.errors() == []


@pytest.mark.parametrize("width", WIDTHS)
def test_the_map_is_drawn_with_morocco_coloured(demo_site: Path, browser: Browser, shots: Path, width: int) -> None:
    browser.open((demo_site / "index.html").as_uri(), width)
    box = browser.evaluate("(() => { const r = document.querySelector('svg.map').getBoundingClientRect();"
                           " return {x: r.x + scrollX, y: r.y + scrollY, width: r.width, height: r.height}; })()")
    assert box["width"] >= min(width - 40, 900) and box["height"] > box["width"] / 3  # the column's width
    _, _, pixels = png_pixels(browser.screenshot(shots / f"map-{width}.png", clip=box))
    land = sum(1 for pixel in pixels if pixel == (0xE3, 0xE6, 0xEA))
    morocco = sum(1 for pixel in pixels if pixel == MOU_COLOUR)
    assert land > len(pixels) / 10, "the countries are not drawn"
    assert morocco > (20 if width < 600 else 100), "Morocco is not coloured by its stage"
    fills = browser.evaluate("[...document.querySelectorAll('svg.map a path')].map(p => getComputedStyle(p).fill)")
    assert fills == ["rgb(67, 162, 202)"]


@pytest.mark.parametrize("width", WIDTHS)
def test_the_morocco_timeline_shows_both_deals_inside_the_screen(demo_site: Path, browser: Browser,
                                                                 width: int) -> None:
    browser.open((demo_site / "country" / "ma.html").as_uri(), width)
    marks = browser.evaluate(
        "[...document.querySelectorAll('svg.timeline circle.mark')].map(c => {"
        " const r = c.getBoundingClientRect(); return [c.getAttribute('class'), r.left, r.right, r.width,"
        " getComputedStyle(c).fill]; })")
    assert sorted(mark[0] for mark in marks) == ["mark s-mou", "mark s-talks"]
    for _, left, right, size, fill in marks:
        assert 0 <= left and right <= width and size >= 10 and fill != "rgb(0, 0, 0)"
    labels = browser.evaluate("[...document.querySelectorAll('svg.timeline .row-label')].map(t => t.textContent)")
    assert labels == ["Mistral AI", "OpenAI"]
