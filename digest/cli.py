"""The command line: argv -> command, logging, progress, exit codes.

The only module that reads the clock (`SOURCE_DATE_EPOCH` when set) and prints. Exit codes:
0 done (also when some feeds failed), 1 a problem the user must fix, 2 a usage error.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from digest import __version__, pipeline
from digest.config import load_config
from digest.errors import DigestError
from digest.fetch import Response
from digest.models import FeedConfig, FeedReport

log = logging.getLogger("digest")


def now_from_env() -> datetime:
    """Now, or SOURCE_DATE_EPOCH when set (reproducible builds)."""
    raw = os.environ.get("SOURCE_DATE_EPOCH")
    if raw is None:
        return datetime.now(UTC)
    try:
        return datetime.fromtimestamp(int(raw), UTC)
    except (ValueError, OverflowError, OSError):
        raise DigestError(f"SOURCE_DATE_EPOCH={raw!r} is not a Unix timestamp in seconds") from None


def make_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--config", type=Path, default=argparse.SUPPRESS,
        help="the config file (default: ./config.toml); content/ and output/ sit beside it",
    )  # fmt: skip
    loudness = common.add_mutually_exclusive_group()
    loudness.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS)
    loudness.add_argument("-q", "--quiet", action="store_true", default=argparse.SUPPRESS)

    parser = argparse.ArgumentParser(
        prog="digest",
        parents=[common],
        description="Turn a list of feeds into a static digest site.",
    )
    parser.add_argument("--version", action="version", version=f"digest {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    build = commands.add_parser(
        "build", parents=[common], help="fetch the feeds, then render output/"
    )
    build.add_argument(
        "--offline", action="store_true", help="render from content/ only; no network"
    )
    commands.add_parser("fetch", parents=[common], help="fetch the feeds into content/ only")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = make_parser().parse_args(argv)  # exits 2 on a usage error
    verbose, quiet = getattr(args, "verbose", False), getattr(args, "quiet", False)
    _setup_logging(logging.DEBUG if verbose else logging.WARNING if quiet else logging.INFO)
    try:
        config = load_config(getattr(args, "config", Path("config.toml")))
        now = now_from_env()
        started = time.perf_counter()
        progress = _Progress(len(config.feeds), enabled=not quiet)
        if args.command == "fetch":
            reports = pipeline.fetch(config, now=now, progress=progress)
            progress.close()
            _report_feeds(reports)
            return 0
        report = pipeline.build(config, now=now, offline=args.offline, progress=progress)
        progress.close()
        _report_feeds(report.feeds)
        w = report.written
        log.info(
            "built %s: %d entries, %d pages; %d files written, %d unchanged, %d removed (%.2f s)",
            config.output_dir, report.entries, report.pages, w.written, w.unchanged, w.removed,
            time.perf_counter() - started,
        )  # fmt: skip
        return 0
    except DigestError as e:
        print(f"digest: error: {e}", file=sys.stderr)
        return e.exit_code


def _setup_logging(level: int) -> None:
    """Plain lines on stderr for our own messages; httpx's per-request lines only with -v."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    for name in ("digest", "httpx"):
        logger = logging.getLogger(name)
        logger.handlers = [handler]
        logger.propagate = False
        logger.setLevel(level if name == "digest" or level == logging.DEBUG else logging.WARNING)


def _report_feeds(reports: Sequence[FeedReport]) -> None:
    failed = 0
    for r in reports:
        if r.outcome == "error":
            failed += 1
            log.warning("feed %s: failed: %s", r.name, r.error)
        elif r.outcome == "ok":
            log.info("feed %s: %d new, %d updated", r.name, r.added, r.changed)
        else:
            log.debug("feed %s: %s", r.name, r.outcome.replace("_", " "))
    if reports:
        log.info("fetched %d feeds, %d failed", len(reports), failed)


class _Progress:
    """A progress bar on a terminal; plain lines elsewhere (CI logs)."""

    def __init__(self, total: int, enabled: bool) -> None:
        self.total, self.done, self.enabled = total, 0, enabled
        self.tty = sys.stderr.isatty()

    def __call__(self, feed: FeedConfig, response: Response) -> None:
        self.done += 1
        if not self.enabled:
            return
        if self.tty:
            width = 30
            filled = width * self.done // max(self.total, 1)
            bar = "#" * filled + "-" * (width - filled)
            sys.stderr.write(f"\rfetching [{bar}] {self.done}/{self.total} {feed.name[:30]:<30}")
            sys.stderr.flush()
        else:
            log.info("[%d/%d] %s: %s", self.done, self.total, feed.name, response.outcome)

    def close(self) -> None:
        if self.enabled and self.tty and self.done:
            sys.stderr.write("\r" + " " * 80 + "\r")
            sys.stderr.flush()
