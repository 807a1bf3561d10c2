"""The `dealwatch` command line: thin click commands over the pipeline, exit codes 0 / 1 / 2."""

from __future__ import annotations

import dataclasses
import json
import logging
import re
import signal
import sqlite3
import sys
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import click

from pipeline import __version__
from pipeline.config import DIGEST_FORMATS, Settings, default_config_path, load_settings
from pipeline.errors import ConfigError, DealwatchError, InputError, Interrupted
from pipeline.normalise import clean_line

F = TypeVar("F", bound=Callable[..., Any])
LOGGER = logging.getLogger(__name__)


class DealwatchGroup(click.Group):
    """Maps dealwatch errors to one line on stderr and the exit codes of design.md."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (ConfigError, InputError) as exc:
            click.echo(f"dealwatch: {exc}", err=True)
            ctx.exit(2)
        except DealwatchError as exc:
            click.echo(f"dealwatch: {exc}", err=True)
            ctx.exit(1)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except sqlite3.Error as exc:  # raised outside the store's own checks, e.g. by a digest query
            from pipeline.store import database_problem

            where = ctx.meta.get("dealwatch.db_path", "database")
            click.echo(f"dealwatch: {where}: {database_problem(exc, ctx.meta.get('dealwatch.busy_timeout'))}",
                       err=True)
            ctx.exit(1)
        except OSError as exc:
            place = f"{exc.filename}: " if exc.filename else ""
            click.echo(f"dealwatch: {place}{exc.strerror or exc}", err=True)
            ctx.exit(1)
        except Exception as exc:  # a bug: still one line (README), the traceback with --log-level DEBUG
            LOGGER.debug("internal error", exc_info=True)
            click.echo(f"dealwatch: internal error: {type(exc).__name__}: {clean_line(str(exc))[:300]}", err=True)
            ctx.exit(1)


def config_options(func: F) -> F:
    """Add --config and --db to a command, and the logging options, which may also follow the command."""
    func = click.option("--log-format", type=click.Choice(["text", "json"]), default=None, expose_value=False,
                        callback=_log_option, help="Log lines as text, or as JSON objects (also before the command).")(func)
    func = click.option("--log-level", default=None, expose_value=False, callback=_log_option,
                        type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False),
                        help="How much to log on stderr (also before the command).")(func)
    func = click.option("--db", "db_path", type=click.Path(path_type=Path),
                        help="SQLite database path (overrides the config's [database] path).")(func)
    func = click.option("--config", "config_path", type=click.Path(path_type=Path), default=None,
                        help="Config file (default: $DEALWATCH_CONFIG, else config/sources.toml).")(func)
    return func


def wait_option(func: F) -> F:
    """Add --wait (wait for another process's database lock instead of exiting 1) to a writing command."""
    return click.option("--wait", is_flag=True,
                        help="If another dealwatch process writes the database, wait for it, not exit 1.")(func)


class JsonLogFormatter(logging.Formatter):
    """Formats a log record as one JSON object per line: time, level, logger, message, and any extra fields."""

    STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {"time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
                                   "level": record.levelname, "logger": record.name, "message": record.getMessage()}
        payload.update({k: v for k, v in vars(record).items() if k not in self.STANDARD and not k.startswith("_")})
        if record.exc_info:
            payload["exception"] = self.formatException(record.exc_info)
        return json.dumps(payload, ensure_ascii=False, default=str)


def _log_option(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    if value is not None:
        ctx.meta[f"dealwatch.{param.name}"] = value
        configure_logging(ctx.meta.get("dealwatch.log_level", "INFO"), ctx.meta.get("dealwatch.log_format", "text"))


def configure_logging(level: str, log_format: str) -> None:
    """Send log lines of `level` and above to stderr, as text or as one JSON object per line."""
    root = logging.getLogger()
    for previous in [h for h in root.handlers if h.get_name() == "dealwatch"]:  # set before the command
        root.removeHandler(previous)
    handler = logging.StreamHandler(sys.stderr)
    handler.set_name("dealwatch")
    handler.setFormatter(JsonLogFormatter() if log_format == "json"
                         else logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=level.upper(), handlers=[handler])  # a no-op when a harness set logging up


def load(config_path: Path | None, db_path: Path | None, *, need_config: bool = True) -> Settings:
    """Return the settings of the given or default config; without one, --db alone (or nothing) is enough when allowed."""
    path = config_path or default_config_path()
    if not need_config and config_path is None and not path.exists():
        settings = Settings(path=None, db_path=db_path or Path("data") / "dealwatch.db")
    else:
        settings = load_settings(path, db_path)
    meta = click.get_current_context().meta
    meta["dealwatch.db_path"], meta["dealwatch.busy_timeout"] = settings.db_path, settings.busy_timeout
    return settings


def open_settings_db(settings: Settings, *, readonly: bool = False) -> Any:
    """Return the settings' database, opened read-only for commands that only read."""
    from pipeline.store import open_db

    return open_db(settings.db_path, readonly=readonly, busy_timeout=settings.busy_timeout)


@click.group(cls=DealwatchGroup)
@click.version_option(__version__, prog_name="dealwatch")
@click.option("--log-level", default="INFO", show_default=True,
              type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False),
              help="How much to log on stderr.")
@click.option("--log-format", default="text", show_default=True, type=click.Choice(["text", "json"]),
              help="Log lines as text, or as one JSON object per line (for log collectors).")
def main(log_level: str, log_format: str) -> None:
    """dealwatch: track national AI deals in the news, into SQLite, with a daily digest."""
    ctx = click.get_current_context()
    ctx.meta["dealwatch.log_level"], ctx.meta["dealwatch.log_format"] = log_level, log_format
    configure_logging(log_level, log_format)


@main.command()
@config_options
@click.option("--source", "source_names", multiple=True, help="Only this source (repeatable); fetched even if not due.")
@click.option("--due", is_flag=True, help="Only the sources whose interval has passed (for frequent cron runs).")
@wait_option
def run(config_path: Path | None, db_path: Path | None, source_names: tuple[str, ...], due: bool,
        wait: bool) -> None:
    """Run one ingest cycle over the configured sources, then exit (for cron)."""
    from pipeline.lock import DatabaseLock
    from pipeline.run import run_once

    from pipeline.alerts import begin_watching, send_alerts

    settings = load(config_path, db_path)
    with DatabaseLock(settings.db_path, wait=wait):
        db = open_settings_db(settings)
        begin_watching(db, settings)
        summary = run_once(settings, db, source_names=source_names, only_due=due)
        alerted = send_alerts(db, settings)
    if alerted.failed:
        click.echo(f"alerts: {alerted.sent} sent, {alerted.failed} failed (retried on the next run)", err=True)
    for outcome in summary.outcomes:
        if outcome.status == "error":
            click.echo(f"failed: {outcome.name}: {outcome.error}", err=True)
    click.echo(summary.line())


@main.command(name="import")
@click.argument("jsonl", type=click.Path(path_type=Path, dir_okay=False))
@config_options
@wait_option
def import_(jsonl: Path, config_path: Path | None, db_path: Path | None, wait: bool) -> None:
    """Ingest archived articles (corpus JSONL) as if fetched: normalise, classify, dedupe, store."""
    from pipeline.alerts import begin_watching, send_alerts
    from pipeline.lock import DatabaseLock
    from pipeline.run import ImportSummary, import_jsonl, import_workers

    settings = load(config_path, db_path, need_config=False)
    if not jsonl.exists():
        raise InputError(f"{jsonl}: file not found")
    summary = ImportSummary()
    try:
        with _stop_signals_raise(), DatabaseLock(settings.db_path, wait=wait):
            db = open_settings_db(settings)
            begin_watching(db, settings)
            with jsonl.open("rb") as lines:
                total = sum(1 for _ in lines)
            with click.progressbar(length=total, label="importing", file=sys.stderr) as bar:
                import_jsonl(db, jsonl, settings, progress=bar.update, workers=import_workers(total),
                             summary=summary)
            send_alerts(db, settings)
    except Interrupted as stop:
        click.echo(summary.line())
        name = signal.Signals(stop.signum).name
        click.echo(f"dealwatch: interrupted by {name}: lines up to {summary.last_line} are stored, the chunk in "
                   "hand was rolled back; run the same import again to finish (stored lines are skipped)", err=True)
        click.get_current_context().exit(128 + stop.signum)
    for error in summary.errors[:20]:
        click.echo(f"skipped: {error}", err=True)
    if len(summary.errors) > 20:
        click.echo(f"skipped: ... and {len(summary.errors) - 20} more bad lines", err=True)
    click.echo(summary.line())
    if summary.errors and not summary.lines:
        raise DealwatchError(f"{jsonl}: nothing imported: {_all_bad(len(summary.errors))}")


@main.command()
@config_options
def sources(config_path: Path | None, db_path: Path | None) -> None:
    """Show each source's health: last ok, failures, next attempt, last error."""
    from pipeline.store import list_sources

    settings = load(config_path, db_path, need_config=False)
    # Only reads: a read-only database (or none yet) is fine; configured sources not stored yet show blank.
    db = open_settings_db(settings, readonly=True) if settings.db_path.exists() else None
    rows = list_sources(db, settings.sources)
    columns = ["name", "kind", "last_status", "articles", "last_ok_at", "consecutive_failures", "next_attempt_at",
               "last_error"]
    headers = ["source", "kind", "status", "articles", "last ok", "failures", "next attempt", "last error"]
    table = [[_cell(row[c]) for c in columns] for row in rows]
    _echo_table(headers, table)


@main.command()
@click.option("--test", "test_name", metavar="NAME",
              help="Send a sample event (webhook or email) to this alert instead of listing.")
@config_options
def alerts(test_name: str | None, config_path: Path | None, db_path: Path | None) -> None:
    """List what the [[alerts]] sent and what failed, newest first; --test NAME sends a sample event."""
    from pipeline.alerts import SAMPLE_DEAL, deliver
    from pipeline.http import WebhookSender
    from pipeline.store import alert_log

    settings = load(config_path, db_path)
    if test_name is not None:
        alert = next((a for a in settings.alerts if a.name == test_name), None)
        if alert is None:
            known = ", ".join(a.name for a in settings.alerts) or "none"
            raise ConfigError(f"{settings.path}: no alert named {test_name!r} (known: {known})")
        with WebhookSender() as http:
            # Each test its own key: a receiver or mail server that drops repeats must not swallow the second test.
            error = deliver(http, alert, SAMPLE_DEAL, f"test-{uuid.uuid4().hex[:12]}")
        if error:
            raise DealwatchError(f"alert {alert.name!r}: {error}")
        click.echo(f"alert {alert.name!r}: sample event sent to {alert.destination}")
        return
    rows = alert_log(open_settings_db(settings, readonly=True)) if settings.db_path.exists() else []
    headers = ["alert", "status", "tries", "country", "partner", "stage", "sent", "error"]
    table = [[_cell(r[k]) for k in ("alert", "status", "attempts", "country", "partner", "stage", "sent_at", "error")]
             for r in rows]
    _echo_table(headers, table)


@main.command()
@click.argument("table", type=click.Choice(["deals", "mentions", "stories", "articles"]))
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl", "json"]), default="csv", show_default=True,
              help="CSV with a header row, JSON Lines, or one JSON array.")
@click.option("--since", help="Only rows from this date (YYYY-MM-DD) or UTC time on: deals last seen, mentions "
                              "seen, stories first seen, articles fetched.")
@click.option("--country", help="Only rows about this country (ISO 3166-1 alpha-2, or EU).")
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), help="Write to this file (default: stdout).")
@config_options
def export(table: str, fmt: str, since: str | None, country: str | None, out: Path | None,
           config_path: Path | None, db_path: Path | None) -> None:
    """Write a stored table (deals, mentions, stories, articles) as CSV, JSON Lines or JSON, row by row."""
    from pipeline.export import write_rows
    from pipeline.store import export_rows

    if since is not None and not re.fullmatch(r"\d{4}-\d{2}-\d{2}(T[\d:]+Z?)?", since):
        raise InputError(f"--since: {since!r} is not a date like 2025-09-12")
    if country is not None and not re.fullmatch(r"[A-Za-z]{2}", country):
        raise InputError(f"--country: {country!r} is not a two-letter country code")
    settings = load(config_path, db_path, need_config=False)
    db = open_settings_db(settings, readonly=True)
    columns, rows = export_rows(db, table, since, country)
    if out is None:
        write_rows(sys.stdout, columns, rows, fmt)
        return
    with out.open("w", encoding="utf-8", newline="") as handle:
        count = write_rows(handle, columns, rows, fmt)
    click.echo(f"{count} {table} rows written to {out}", err=True)


@main.command()
@click.argument("location")
@config_options
def extract(location: str, config_path: Path | None, db_path: Path | None) -> None:
    """Print what the extractor makes of one page (file, .gz file or URL) as JSON."""
    from pipeline.extract import extract_page
    from pipeline.fetch import Fetcher

    settings = load(config_path, db_path, need_config=False)
    with Fetcher(dataclasses.replace(settings.http, per_host_delay=0)) as fetcher:
        result = fetcher.fetch(location)
    if result.status != "ok":
        raise InputError(f"{location}: {result.error or result.status}")
    page = extract_page(result.body, result.final_url if "://" in location else None)
    payload = {"title": page.title, "text": page.text, "published": page.published, "lang": page.lang,
               "canonical_url": page.canonical_url}
    click.echo(json.dumps(payload, ensure_ascii=False, indent=2))


@main.command()
@click.argument("source", default="-", type=click.File("rb"))
@click.option("--jsonl", is_flag=True, help="Input is corpus JSONL; write one prediction line per input line.")
@click.option("--published", help="Publication date (YYYY-MM-DD) to resolve relative dates against.")
@click.option("--min-confidence", type=click.FloatRange(0, 1),
              help="Deals need at least this confidence (default: the model's threshold); the rest are candidates.")
@click.option("--explain", is_flag=True, help="Print why each deal was tagged or left a candidate, not JSON.")
@config_options
def classify(source: Any, jsonl: bool, published: str | None, min_confidence: float | None, explain: bool,
             config_path: Path | None, db_path: Path | None) -> None:
    """Tag one article (plain text whose first line is the title, or HTML) with its deals, as JSON."""
    from pipeline.classify import classify_article
    from pipeline.corpus import parse_line, record_problem

    settings = load(config_path, db_path, need_config=False)
    if min_confidence is None:
        min_confidence = settings.min_confidence  # None there too: the model's recommended threshold
    data = source.read()
    if not jsonl:
        text = data.decode("utf-8", errors="replace")
        if text.lstrip()[:1] == "<":
            from pipeline.extract import extract_page

            page = extract_page(data)
            title, body, published = page.title or "", page.text, published or page.published
        else:
            title, _, body = text.strip().partition("\n")
        if explain:
            from pipeline.classify.explain import explain as explain_article

            click.echo(explain_article(title, body, published, min_confidence))
            return
        result = classify_article(title, body, published, min_confidence=min_confidence)
        click.echo(json.dumps(_prediction(None, result), ensure_ascii=False, indent=2))
        return
    good = bad = 0
    for number, raw in enumerate(data.removeprefix(b"\xef\xbb\xbf").split(b"\n"), 1):
        record = parse_line(raw)
        if record is None:
            continue
        problem = record if isinstance(record, str) else record_problem(record)
        if problem is None and isinstance(record, dict):
            try:
                result = classify_article(record.get("title") or "", record.get("text") or "",
                                          record.get("published"), record.get("lang"), min_confidence=min_confidence)
            except Exception as exc:  # one article the classifier cannot read must not stop the others
                problem = f"internal error: {type(exc).__name__}: {clean_line(str(exc))[:200]}"
        if problem is not None or not isinstance(record, dict):
            bad += 1
            click.echo(f"dealwatch: line {number}: {problem}", err=True)
            continue
        good += 1
        click.echo(json.dumps(_prediction(record.get("id"), result), ensure_ascii=False))
    if bad and not good:
        raise DealwatchError(f"no line could be classified: {_all_bad(bad)}")


@main.command(name="eval")
@click.argument("jsonl", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option("--json", "as_json", is_flag=True, help="Print the scores as JSON.")
@config_options
def eval_(jsonl: Path, as_json: bool, config_path: Path | None, db_path: Path | None) -> None:
    """Score the classifier and the story deduper against a labelled corpus JSONL."""
    from pipeline.evaluate import evaluate_file

    load(config_path, db_path, need_config=False)
    report = evaluate_file(jsonl)
    click.echo(json.dumps(report.as_dict(), indent=2) if as_json else report.format())


@main.command()
@config_options
@click.option("--all", "everything", is_flag=True, help="Re-tag every article, not only those of older versions.")
@wait_option
def reclassify(config_path: Path | None, db_path: Path | None, everything: bool, wait: bool) -> None:
    """Re-tag stored articles with the current classifier (after rules or vocabularies change)."""
    from pipeline.classify import CLASSIFIER_VERSION
    from pipeline.lock import DatabaseLock
    from pipeline.run import reclassify_stored

    settings = load(config_path, db_path, need_config=False)
    with DatabaseLock(settings.db_path, wait=wait):
        count = reclassify_stored(open_settings_db(settings), everything, settings.min_confidence)
    click.echo(f"reclassified {count} articles with classifier {CLASSIFIER_VERSION}")


@main.command()
@config_options
@wait_option
def serve(config_path: Path | None, db_path: Path | None, wait: bool) -> None:
    """Run as a service: each source on its own interval, the digest daily; stop with SIGTERM or Ctrl-C."""
    from pipeline.lock import DatabaseLock
    from pipeline.scheduler import serve as run_service

    settings = load(config_path, db_path)
    with DatabaseLock(settings.db_path, wait=wait):
        run_service(settings)


@main.command()
@config_options
@click.option("--date", "day", help="The day in the [digest] time zone: YYYY-MM-DD, today (default) or yesterday.")
@click.option("--format", "formats", help="Comma-separated formats among md, html, json, atom; default: the config's.")
@click.option("--out", type=click.Path(path_type=Path),
              help="Folder to write into (default: the config's [digest] out); '-' prints one format to stdout.")
@click.option("--by", "basis", type=click.Choice(["seen", "published"]), default="seen", show_default=True,
              help="Articles first fetched that day (seen), or published that day (for imported archives).")
def digest(config_path: Path | None, db_path: Path | None, day: str | None, formats: str | None, out: Path | None,
           basis: str) -> None:
    """Write one day's digest: new deals, stage changes with evidence, new stories by country, partner counts."""
    from pipeline.digest import render_formats, write_digest

    settings = load(config_path, db_path, need_config=False)
    chosen = _digest_formats(formats, settings.digest.formats)
    when = _digest_day(day, settings.digest.timezone)
    if not settings.db_path.exists():
        raise InputError(f"{settings.db_path}: no database yet (run `dealwatch run` first)")
    db = open_settings_db(settings, readonly=True)  # the digest only reads
    feed_key = str(settings.db_path.resolve())
    if out is not None and str(out) == "-":
        if len(chosen) != 1:
            raise click.UsageError("--out - prints a single format: pass --format with exactly one")
        click.echo(render_formats(db, when, settings.digest, chosen, basis, feed_key)[chosen[0]], nl=False)
        return
    for path in write_digest(db, when, settings.digest, out or settings.digest.out, chosen, basis, feed_key):
        click.echo(str(path))


@main.command()
@config_options
@click.option("--out", type=click.Path(path_type=Path, file_okay=False),
              help="Folder to write the site into (default: the config's [site] out, else ./site).")
def site(config_path: Path | None, db_path: Path | None, out: Path | None) -> None:
    """Write the tracker, a static site: world map, country, partner and deal pages, Atom feeds."""
    from pipeline.site import write_site

    settings = load(config_path, db_path, need_config=False)
    if not settings.db_path.exists():
        raise InputError(f"{settings.db_path}: no database yet (run `dealwatch run` first)")
    target = out or settings.site.out or Path("site")
    summary = write_site(open_settings_db(settings, readonly=True), target)
    click.echo(f"site written to {target}: {summary.line()}")


@contextmanager
def _stop_signals_raise() -> Iterator[None]:
    """Within the block, SIGTERM and SIGINT raise Interrupted (once: a second signal ends the process at once)."""
    def interrupt(signum: int, frame: Any) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        raise Interrupted(signum)

    previous = {number: signal.signal(number, interrupt) for number in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def _digest_formats(option: str | None, default: tuple[str, ...]) -> tuple[str, ...]:
    if not option:
        return default
    chosen = tuple(dict.fromkeys(f.strip().lower() for f in option.split(",") if f.strip()))
    unknown = [f for f in chosen if f not in DIGEST_FORMATS]
    if unknown or not chosen:
        raise click.BadParameter(f"{option!r}: choose among {', '.join(DIGEST_FORMATS)}", param_hint="--format")
    return chosen


def _digest_day(option: str | None, tz_name: str) -> date:
    today = datetime.now(ZoneInfo(tz_name)).date()
    if option in (None, "today"):
        return today
    if option == "yesterday":
        return today - timedelta(days=1)
    try:
        return date.fromisoformat(option)
    except ValueError:
        raise click.BadParameter(f"{option!r} is not a date like 2025-09-26, today or yesterday",
                                 param_hint="--date") from None


def _prediction(article_id: Any, result: Any) -> dict[str, Any]:
    deals = [asdict(d) for d in result.deals]
    payload: dict[str, Any] = {"id": article_id} if article_id is not None else {}
    payload.update(relevant=result.relevant, deals=deals, candidates=[asdict(d) for d in result.candidates],
                   version=result.version)
    return payload


def _all_bad(count: int) -> str:
    return f"all {count} lines are bad" if count > 1 else "its only line is bad"


def _echo_table(headers: list[str], table: list[list[str]]) -> None:
    """Print rows of cells as aligned columns under their headers."""
    widths = [max([len(h)] + [len(r[i]) for r in table]) for i, h in enumerate(headers)]
    for line in [headers, ["-" * w for w in widths], *table]:
        click.echo("  ".join(cell.ljust(w) for cell, w in zip(line, widths)).rstrip())


def _cell(value: Any) -> str:
    return "" if value is None else clean_line(str(value))
