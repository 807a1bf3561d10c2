"""The tracker: a static site of every deal (home with a world map, country, partner and deal pages, Atom feeds).

Read-only over the database, written as plain files that any web server, or a browser from the disk,
shows: `store.site_mentions` → `model` → `pages`, `feeds` (with `worldmap` and `timeline`) → files.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.digest import write_atomically
from pipeline.site.feeds import render_feed
from pipeline.site.model import load_tracker
from pipeline.site.pages import (country_file, country_page, deal_file, deal_page, file_stem, home_page,
                                 partner_file, partner_page)

if TYPE_CHECKING:
    from sqlite_utils import Database

# The files the last build wrote, so the next one removes what no longer exists and nothing else in the folder.
MANIFEST = ".dealwatch-site"


@dataclass
class SiteSummary:
    """What a build wrote: file count, total bytes and the largest page."""

    files: int = 0
    bytes: int = 0
    largest: tuple[int, str] = (0, "")
    sizes: dict[str, int] = field(default_factory=dict)  # bytes by kind: home, country, partner, deal, feed

    def line(self) -> str:
        """Return a one-line summary for the command line."""
        return (f"{self.files} files, {self.bytes / 1e6:.1f} MB; largest {self.largest[1]} "
                f"({self.largest[0] / 1024:.0f} KiB)")


def write_site(db: Database, out: Path) -> SiteSummary:
    """Write the whole site into `out` (created if missing), each file replaced atomically; return what was written.

    Files a previous build wrote that no longer belong (a deal dropped by reclassify) are removed.
    """
    tracker = load_tracker(db)
    partners = {partner.name: partner for partner in tracker.partners}
    summary = SiteSummary()
    written: list[str] = []

    def emit(kind: str, name: str, text: str) -> None:
        path = out / name
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(path, text)
        size = len(text.encode("utf-8"))
        written.append(name)
        summary.files += 1
        summary.bytes += size
        summary.sizes[kind] = summary.sizes.get(kind, 0) + size
        if kind != "feed" and size > summary.largest[0]:
            summary.largest = (size, name)

    out.mkdir(parents=True, exist_ok=True)
    emit("home", "index.html", home_page(tracker))
    for country in tracker.countries:
        emit("country", country_file(country), country_page(country, partners, tracker.as_of))
        emit("feed", f"country/{file_stem(country.code)}.atom",
             render_feed(country.name, f"{file_stem(country.code)}.html", country.deals))
    for partner in tracker.partners:
        emit("partner", partner_file(partner), partner_page(partner, tracker.as_of))
        emit("feed", f"partner/{partner.slug}.atom", render_feed(partner.name, f"{partner.slug}.html", partner.deals))
    for deal in tracker.deals:
        emit("deal", deal_file(deal), deal_page(deal, partners[deal.partner], tracker.as_of))
    _remove_stale(out, written)
    return summary


def _remove_stale(out: Path, written: list[str]) -> None:
    manifest = out / MANIFEST
    previous = manifest.read_text(encoding="utf-8").splitlines() if manifest.exists() else []
    for name in set(previous) - set(written):
        path = out / name
        # Only names this code writes: never a path that climbs out of the folder, whatever the manifest says.
        if ".." not in Path(name).parts and not Path(name).is_absolute() and path.is_file():
            os.remove(path)
    write_atomically(manifest, "\n".join(written) + "\n")
