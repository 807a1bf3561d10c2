"""Load a TOML config file into frozen settings, failing with one line that names the file, source and key."""

from __future__ import annotations

import math
import os
import re
import tomllib
from dataclasses import dataclass, field
from email.utils import getaddresses
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pipeline import USER_AGENT
from pipeline.dedupe import DedupeSettings
from pipeline.errors import ConfigError
from pipeline.models import Source
from pipeline.parse import gdelt_query_url

SOURCE_KINDS = ("feed", "html", "sitemap", "gdelt")
FULL_TEXT_MODES = ("auto", "always", "never")
DIGEST_FORMATS = ("md", "html", "json", "atom")
SOURCE_KEYS = {"name", "kind", "url", "path", "every", "full_text", "link_selector", "query", "timespan", "max_records", "enabled"}
INTERVAL_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
MAX_INTERVAL_SECONDS = 366 * 86400  # a longer interval is a typo, and overflows the scheduler's clock
TOP_LEVEL_KEYS = {"database", "http", "digest", "dedupe", "classify", "site", "sources", "alerts"}
ALERT_KEYS = {"name", "kind", "countries", "partners", "stages", "levels", "timeout", "retries"}
ALERT_KIND_KEYS = {"webhook": {"url", "format"},
                   "email": {"host", "port", "security", "from", "to", "username_env", "password_env", "ca_file"}}
ALERT_FORMATS = ("json", "slack", "discord", "ntfy")
# starttls first: it is what the common submission services document on port 587 (some offer nothing else).
SMTP_PORTS = {"starttls": 587, "ssl": 465, "none": 25}
STAGES = ("talks", "mou", "agreement", "launched", "stalled")
DATABASE_KEYS = {"path", "busy_timeout"}
DIGEST_KEYS = {"at", "timezone", "out", "formats"}
CLASSIFY_KEYS = {"min_confidence"}
SITE_KEYS = {"out"}
# Bounds for numeric [http] keys: (smallest, largest, smallest excluded); nothing is infinite or NaN.
HTTP_BOUNDS: dict[str, tuple[float, float, bool]] = {
    "timeout": (0, 86400, True), "connect_timeout": (0, 86400, True), "per_host_delay": (0, 3600, False),
    "max_bytes": (1, 2**40, False), "max_redirects": (0, 100, False), "workers": (1, 256, False),
    "concurrency": (1, 256, False),
}
# Largest sensible value of each [dedupe] key (the smallest is DedupeSettings' own check).
DEDUPE_MAXIMA = {"window_days": 3650, "vague_days": 3650, "late_days": 3650, "same_deal_days": 3650, "text_score": 100,
                 "title_score": 100, "title_text_score": 100, "gram_chars": 100_000, "anchor_chars": 100,
                 "anchor_weight": 1, "max_anchors": 1000, "event_score": 10, "loose_score": 10, "min_anchors": 1000,
                 "loose_cosine": 1, "max_extra_parties": 100, "named_score": 10}
DEFAULT_CONFIG = Path("config") / "sources.toml"


@dataclass(frozen=True)
class SmtpSettings:
    """Where an email alert hands its messages over: an SMTP server, and the login's environment variables."""

    host: str
    port: int
    security: str  # starttls | ssl | none
    sender: str  # the From address
    to: tuple[str, ...]
    username_env: str | None = None  # names of environment variables, never the login itself
    password_env: str | None = None
    ca_file: Path | None = None  # trust this CA bundle instead of the system's (a private relay)


@dataclass(frozen=True)
class AlertSettings:
    """One [[alerts]] table: where to send each new deal or stage change, and which ones."""

    name: str
    url: str = ""  # webhook only
    format: str = "json"  # json | slack | discord | ntfy
    countries: frozenset[str] = frozenset()  # empty: every country
    partners: frozenset[str] = frozenset()
    stages: frozenset[str] = frozenset()
    levels: frozenset[str] = frozenset()
    timeout: float = 10.0
    retries: int = 3
    smtp: SmtpSettings | None = None  # set for kind = "email"

    @property
    def destination(self) -> str:
        """Return where the alert's messages go, as a reader names it."""
        if self.smtp:
            return f"{', '.join(self.smtp.to)} via {self.smtp.host}:{self.smtp.port}"
        return self.url

    def wants(self, country: str, partner: str, stage: str, level: str) -> bool:
        """Return True when an event about this deal passes the alert's filters."""
        return all(not allowed or value in allowed for allowed, value in (
            (self.countries, country), (self.partners, partner), (self.stages, stage), (self.levels, level)))


@dataclass(frozen=True)
class HttpSettings:
    """How dealwatch talks to the web."""

    timeout: float = 30.0  # whole request, seconds
    connect_timeout: float = 10.0
    max_bytes: int = 10_000_000
    per_host_delay: float = 1.0
    max_redirects: int = 5
    user_agent: str = USER_AGENT
    respect_robots: bool = True
    workers: int = 4  # concurrent article-page fetches, per host (spacing still holds)
    concurrency: int = 8  # sources a run fetches at once (per-host spacing still holds)
    allow_private: bool = False  # may remote sources reach loopback, private and link-local addresses?


@dataclass(frozen=True)
class DigestSettings:
    """When and how the daily digest is written."""

    at: str = "07:00"
    timezone: str = "UTC"
    out: Path = Path("digests")
    formats: tuple[str, ...] = DIGEST_FORMATS


@dataclass(frozen=True)
class SiteSettings:
    """Where the tracker site is written; None: nowhere unless `dealwatch site --out` says (and not by serve)."""

    out: Path | None = None


@dataclass(frozen=True)
class Settings:
    """Everything one config file says, resolved: paths absolute, intervals in seconds."""

    path: Path | None
    db_path: Path
    busy_timeout: float = 30.0  # seconds to wait for another program's write lock on the database
    min_confidence: float | None = None  # [classify]: below it a deal is a candidate; None: the model's threshold
    http: HttpSettings = field(default_factory=HttpSettings)
    digest: DigestSettings = field(default_factory=DigestSettings)
    dedupe: DedupeSettings = field(default_factory=DedupeSettings)
    site: SiteSettings = field(default_factory=SiteSettings)
    sources: tuple[Source, ...] = ()
    alerts: tuple[AlertSettings, ...] = ()

    def source(self, name: str) -> Source:
        """Return the source called `name`, or raise ConfigError."""
        for source in self.sources:
            if source.name == name:
                return source
        known = ", ".join(s.name for s in self.sources) or "none"
        raise ConfigError(f"{self.path}: no source named {name!r} (known: {known})")


def default_config_path() -> Path:
    """Return $DEALWATCH_CONFIG, else config/sources.toml under the current directory."""
    return Path(os.environ.get("DEALWATCH_CONFIG") or DEFAULT_CONFIG)


def parse_interval(text: str) -> int:
    """Return the seconds in an interval like '90s', '30m', '6h' or '1d'; raise ValueError otherwise."""
    match = re.fullmatch(r"\s*(\d{1,12}(?:\.\d{1,12})?)\s*([smhd])\s*", str(text))
    if not match or float(match[1]) <= 0:
        raise ValueError(f"{text!r} is not an interval like 30m, 6h or 1d")
    seconds = float(match[1]) * INTERVAL_UNITS[match[2]]
    if seconds > MAX_INTERVAL_SECONDS:
        raise ValueError(f"{text!r} is longer than the longest interval, 366d")
    return max(1, int(seconds))


def load_settings(path: Path, db_override: Path | None = None) -> Settings:
    """Return the settings in the TOML file at `path`; raise ConfigError with a one-line reason."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    base = path.resolve().parent
    reader = _TableReader(path)
    reader.known(raw, "top level", TOP_LEVEL_KEYS)
    database = reader.table(raw, "database")
    reader.known(database, "[database]", DATABASE_KEYS)
    db_text = reader.get(database, "[database]", "path", str, "../data/dealwatch.db")
    if not db_text.strip():
        raise reader.fail("[database]", "path", "empty")
    db_path = db_override or _resolve_path(base, db_text)
    busy_timeout = reader.number(database, "[database]", "busy_timeout", float, 30.0, (0, 86400, False))
    classify = reader.table(raw, "classify")
    reader.known(classify, "[classify]", CLASSIFY_KEYS)
    min_confidence = None  # unset: the confidence model's recommended threshold
    if "min_confidence" in classify:
        min_confidence = reader.number(classify, "[classify]", "min_confidence", float, 0.5, (0, 1, False))
    sources = tuple(_load_source(reader, base, index, item) for index, item in enumerate(_table_list(reader, raw, "sources")))
    alerts = tuple(_load_alert(reader, base, index, item)
                   for index, item in enumerate(_table_list(reader, raw, "alerts")))
    alert_names = [a.name for a in alerts]
    if len(set(alert_names)) != len(alert_names):
        raise ConfigError(f"{path}: [[alerts]]: key 'name': every alert needs its own name")
    names = [s.name for s in sources]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ConfigError(f"{path}: source {duplicates[0]!r}: key 'name': used by more than one source")
    return Settings(
        path=path,
        db_path=db_path,
        busy_timeout=busy_timeout,
        min_confidence=min_confidence,
        http=_load_http(reader, reader.table(raw, "http")),
        digest=_load_digest(reader, base, reader.table(raw, "digest")),
        dedupe=_load_dedupe(reader, reader.table(raw, "dedupe")),
        site=_load_site(reader, base, reader.table(raw, "site")),
        sources=sources,
        alerts=alerts,
    )


class _TableReader:
    """Typed access to TOML tables that reports errors as 'FILE: WHERE: key K: problem'."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, where: str, key: str, problem: str) -> ConfigError:
        return ConfigError(f"{self.path}: {where}: key {key!r}: {problem}")

    def table(self, raw: dict[str, Any], name: str) -> dict[str, Any]:
        value = raw.get(name, {})
        if not isinstance(value, dict):
            raise ConfigError(f"{self.path}: [{name}] must be a table")
        return value

    def known(self, table: dict[str, Any], where: str, keys: set[str]) -> None:
        """Raise ConfigError for the first key of `table` that is not among `keys` (a typo, most often)."""
        unknown = sorted(set(table) - keys)
        if unknown:
            raise self.fail(where, unknown[0], f"unknown key (known: {', '.join(sorted(keys))})")

    def number(self, table: dict[str, Any], where: str, key: str, kind: type, default: float,
               bounds: tuple[float, float, bool]) -> Any:
        """Return table[key] as a finite number of `kind` within bounds (low, high, low excluded)."""
        value = self.get(table, where, key, kind, default)
        low, high, open_low = bounds
        if not math.isfinite(value):
            raise self.fail(where, key, f"must be a finite number, got {value!r}")
        if value < low or (open_low and value == low) or value > high:
            above = f"above {low:g}" if open_low else f"at least {low:g}"
            raise self.fail(where, key, f"must be {above} and at most {high:g}, got {value!r}")
        return value

    def get(self, table: dict[str, Any], where: str, key: str, kind: type | tuple[type, ...], default: Any = None) -> Any:
        value = table.get(key, default)
        if value is None:
            return None
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
            names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
            raise self.fail(where, key, f"expected {names}, got {value!r}")
        return value


def _table_list(reader: _TableReader, raw: dict[str, Any], name: str) -> list[Any]:
    items = raw.get(name, [])
    if not isinstance(items, list):
        raise ConfigError(f"{reader.path}: '{name}' must be an array of tables ([[{name}]])")
    return items


def _load_alert(reader: _TableReader, base: Path, index: int, item: Any) -> AlertSettings:
    name = _table_name(reader, "alerts", index, item)
    where = f"alert {name!r}"
    kind = reader.get(item, where, "kind", str, "webhook")
    if kind not in ALERT_KIND_KEYS:
        raise reader.fail(where, "kind", f"{kind!r} is not supported ({', '.join(ALERT_KIND_KEYS)})")
    for key in ("password", "username"):
        if key in item and kind == "email":
            raise reader.fail(where, key, f"the login never goes in the config file: set {key}_env to the name of "
                                          "an environment variable that holds it")
    reader.known(item, where, ALERT_KEYS | ALERT_KIND_KEYS[kind])
    filters = {}
    for key, allowed in (("countries", None), ("partners", None), ("stages", STAGES),
                         ("levels", ("national", "subnational"))):
        values = reader.get(item, where, key, list, [])
        if not all(isinstance(v, str) for v in values) or (allowed and any(v not in allowed for v in values)):
            raise reader.fail(where, key, f"expected a list of {'/'.join(allowed) if allowed else 'names'}")
        filters[key] = frozenset(v.upper() if key == "countries" else v for v in values)
    common: dict[str, Any] = {
        "name": name, **filters, "timeout": reader.number(item, where, "timeout", float, 10.0, (0, 600, True)),
        "retries": reader.number(item, where, "retries", int, 3, (0, 10, False))}
    if kind == "email":
        return AlertSettings(**common, smtp=_load_smtp(reader, base, where, item))
    url = reader.get(item, where, "url", str, "")
    if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc:
        raise reader.fail(where, "url", f"{url!r} is not an http(s) URL")
    fmt = reader.get(item, where, "format", str, "json")
    if fmt not in ALERT_FORMATS:
        raise reader.fail(where, "format", f"{fmt!r} is not one of {', '.join(ALERT_FORMATS)}")
    return AlertSettings(**common, url=url, format=fmt)


def _load_smtp(reader: _TableReader, base: Path, where: str, item: dict[str, Any]) -> SmtpSettings:
    host = reader.get(item, where, "host", str, "").strip()
    if not host or any(c.isspace() or not c.isprintable() for c in host) or "/" in host:
        raise reader.fail(where, "host", f"{host!r} is not an SMTP server's host name")
    security = reader.get(item, where, "security", str, "starttls")
    if security not in SMTP_PORTS:
        raise reader.fail(where, "security", f"{security!r} is not one of {', '.join(SMTP_PORTS)}")
    port = reader.number(item, where, "port", int, SMTP_PORTS[security], (1, 65535, False))
    sender = reader.get(item, where, "from", str, "")
    if not _is_address(sender):
        raise reader.fail(where, "from", f"{sender!r} is not an email address")
    to = reader.get(item, where, "to", list, [])
    if not to or not all(isinstance(a, str) and _is_address(a) for a in to):
        raise reader.fail(where, "to", "expected a list of one or more email addresses")
    logins = {}
    for key in ("username_env", "password_env"):
        variable = reader.get(item, where, key, str)
        if variable is not None and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", variable):
            raise reader.fail(where, key, f"{variable!r} is not the name of an environment variable")
        logins[key] = variable
    if (logins["username_env"] is None) != (logins["password_env"] is None):
        missing = "password_env" if logins["password_env"] is None else "username_env"
        raise reader.fail(where, missing, "a login needs both username_env and password_env")
    if logins["username_env"] and security == "none":
        raise reader.fail(where, "security", '"none" would send the password in clear text; use starttls or ssl')
    ca_text = reader.get(item, where, "ca_file", str)
    ca_file = _resolve_path(base, ca_text) if ca_text else None
    if ca_file is not None and not ca_file.is_file():
        raise reader.fail(where, "ca_file", f"{ca_file} is not a file")
    return SmtpSettings(host=host, port=port, security=security, sender=sender, to=tuple(to),
                        ca_file=ca_file, **logins)


def _is_address(text: str) -> bool:
    """Return whether `text` is one email address, with or without a display name ("dealwatch <a@b.example>")."""
    found = getaddresses([text])
    local, at, domain = found[0][1].rpartition("@") if len(found) == 1 else ("", "", "")
    return text.isprintable() and bool(local and at and "." in domain.strip("."))


def _table_name(reader: _TableReader, array: str, index: int, item: Any) -> str:
    """Return the `name` of one table of an array of tables, or raise ConfigError naming it by position."""
    if not isinstance(item, dict):
        raise ConfigError(f"{reader.path}: {array}[{index}] must be a table")
    name = item.get("name")
    if not isinstance(name, str) or not name.strip():
        raise reader.fail(f"{array}[{index}]", "name", "missing or empty")
    return name.strip()


def _load_source(reader: _TableReader, base: Path, index: int, item: Any) -> Source:
    name = _table_name(reader, "sources", index, item)
    where = f"source {name!r}"
    if name.startswith("(") or not name.isprintable():
        raise reader.fail(where, "name", "names starting with '(' are dealwatch's own jobs, and a name must "
                                         "be printable; choose another")
    unknown = sorted(set(item) - SOURCE_KEYS)
    if unknown:
        raise reader.fail(where, unknown[0], f"unknown key (known: {', '.join(sorted(SOURCE_KEYS))})")
    kind = reader.get(item, where, "kind", str, "feed")
    if kind not in SOURCE_KINDS:
        raise reader.fail(where, "kind", f"{kind!r} is not one of {', '.join(SOURCE_KINDS)}")
    full_text = reader.get(item, where, "full_text", str, "auto")
    if full_text not in FULL_TEXT_MODES:
        raise reader.fail(where, "full_text", f"{full_text!r} is not one of {', '.join(FULL_TEXT_MODES)}")
    try:
        every = parse_interval(reader.get(item, where, "every", str, "30m"))
    except ValueError as exc:
        raise reader.fail(where, "every", str(exc)) from None
    reader.get(item, where, "enabled", bool, True)
    for key in ("link_selector", "query", "timespan"):
        reader.get(item, where, key, str)
    if "max_records" in item:
        reader.number(item, where, "max_records", int, 250, (1, 250, False))
    options = {k: item[k] for k in ("link_selector", "query", "timespan", "max_records", "enabled") if k in item}
    url = reader.get(item, where, "url", str) or reader.get(item, where, "path", str)
    if kind == "gdelt":
        if not isinstance(options.get("query"), str) or not options["query"].strip():
            raise reader.fail(where, "query", "a gdelt source needs a query string")
        try:
            gdelt_query_url(options["query"], timespan=str(options.get("timespan", "1d")),
                            max_records=int(options.get("max_records", 250)))
        except (TypeError, ValueError) as exc:
            raise reader.fail(where, "timespan" if "timespan" in str(exc) else "max_records"
                              if "max_records" in str(exc) else "query", str(exc)) from None
        url = url or "https://api.gdeltproject.org/api/v2/doc/doc"
    if kind == "html" and not isinstance(options.get("link_selector"), str):
        raise reader.fail(where, "link_selector", "an html source needs a CSS selector for its article links")
    if not url:
        raise reader.fail(where, "url", "missing (an http(s) URL, a file:// URL or a path)")
    return Source(name=name, kind=kind, url=_resolve_location(base, url), every_seconds=every, full_text=full_text, options=options)


def _resolve_location(base: Path, url: str) -> str:
    """Return an http(s) URL unchanged, or a local path resolved against the config's folder."""
    scheme = urlsplit(url).scheme.lower()
    if scheme in ("http", "https"):
        return url
    if scheme == "file":
        return url
    return str(_resolve_path(base, url))


def _resolve_path(base: Path, value: str) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else (base / path).resolve()


def _load_http(reader: _TableReader, table: dict[str, Any]) -> HttpSettings:
    defaults = HttpSettings()
    reader.known(table, "[http]", set(HttpSettings.__dataclass_fields__))
    values: dict[str, Any] = {}
    for key, kind in (("timeout", float), ("connect_timeout", float), ("per_host_delay", float),
                      ("max_bytes", int), ("max_redirects", int), ("workers", int), ("concurrency", int)):
        values[key] = reader.number(table, "[http]", key, kind, getattr(defaults, key), HTTP_BOUNDS[key])
    for key, other in (("user_agent", str), ("respect_robots", bool), ("allow_private", bool)):
        values[key] = reader.get(table, "[http]", key, other, getattr(defaults, key))
    if not values["user_agent"].strip() or not values["user_agent"].isprintable():
        raise reader.fail("[http]", "user_agent", "must be a non-empty printable string")
    return HttpSettings(**values)


def _load_dedupe(reader: _TableReader, table: dict[str, Any]) -> DedupeSettings:
    defaults = DedupeSettings()
    reader.known(table, "[dedupe]", set(DedupeSettings.__dataclass_fields__))
    values = {}
    for key in table:
        kind = type(getattr(defaults, key))  # int or float, from the measured default
        values[key] = reader.number(table, "[dedupe]", key, kind, getattr(defaults, key),
                                    (-math.inf if kind is float else -(2**63), DEDUPE_MAXIMA.get(key, 10**9), False))
    try:
        return DedupeSettings(**values)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{reader.path}: [dedupe]: {exc}") from None


def _load_digest(reader: _TableReader, base: Path, table: dict[str, Any]) -> DigestSettings:
    reader.known(table, "[digest]", DIGEST_KEYS)
    at = reader.get(table, "[digest]", "at", str, "07:00")
    if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", at):
        raise reader.fail("[digest]", "at", f"{at!r} is not a time like 07:00")
    timezone = reader.get(table, "[digest]", "timezone", str, "UTC")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise reader.fail("[digest]", "timezone", f"{timezone!r} is not an IANA time zone") from None
    formats = reader.get(table, "[digest]", "formats", list, list(DIGEST_FORMATS))
    if not formats:
        raise reader.fail("[digest]", "formats", f"empty (choose among {', '.join(DIGEST_FORMATS)})")
    bad = [f for f in formats if not isinstance(f, str) or f not in DIGEST_FORMATS]
    if bad:
        raise reader.fail("[digest]", "formats", f"{bad[0]!r} is not one of {', '.join(DIGEST_FORMATS)}")
    out = _resolve_path(base, reader.get(table, "[digest]", "out", str, "../digests"))
    return DigestSettings(at=at, timezone=timezone, out=out, formats=tuple(formats))


def _load_site(reader: _TableReader, base: Path, table: dict[str, Any]) -> SiteSettings:
    reader.known(table, "[site]", SITE_KEYS)
    out = reader.get(table, "[site]", "out", str)
    if out is not None and not out.strip():
        raise reader.fail("[site]", "out", "empty (a folder for the site, e.g. \"../site\")")
    return SiteSettings(out=_resolve_path(base, out) if out is not None else None)
