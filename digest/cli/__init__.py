"""The command line: argv -> command, logging, progress, exit codes.

The only module that reads the clock (`SOURCE_DATE_EPOCH` when set) and prints. Exit codes:
0 done (also when some feeds failed), 1 a problem the user must fix, 2 a usage error.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeAlias

from digest import __version__, pipeline
from digest.cli.report import (
    Progress,
    budget_note,
    build_outputs,
    report_feeds,
    step_summary,
    warn,
)
from digest.config import check_base_url, load_config
from digest.errors import DigestError
from digest.feeds.shard import Shard, shard_config
from digest.models import Config

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
    common, fetching = _common_options(), _fetching_options()
    parser = argparse.ArgumentParser(
        prog="digest",
        parents=[common],
        description="Turn a list of feeds into a static digest site.",
    )
    parser.add_argument("--version", action="version", version=f"digest {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_build(commands, common, fetching)
    _add_fetch(commands, common, fetching)
    _add_serve(commands, common)
    _add_init(commands)
    _add_import_opml(commands, common)
    _add_add(commands, common)
    return parser


# What add_subparsers returns: argparse does not name its type publicly (nor subscript it).
_Commands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def _common_options() -> argparse.ArgumentParser:
    """--config, -v, -q: accepted before the command and after it (SUPPRESS keeps the one
    given first from being reset by the subparser's default)."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--config", type=Path, default=argparse.SUPPRESS,
        help="the config file (default: ./config.toml); content/ and output/ sit beside it",
    )  # fmt: skip
    loudness = common.add_mutually_exclusive_group()
    loudness.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS)
    loudness.add_argument("-q", "--quiet", action="store_true", default=argparse.SUPPRESS)
    return common


def _fetching_options() -> argparse.ArgumentParser:
    fetching = argparse.ArgumentParser(add_help=False)
    fetching.add_argument(
        "--force", action="store_true",
        help="fetch every feed now: ignore the schedule, back-off, Retry-After and 410 Gone",
    )  # fmt: skip
    fetching.add_argument(
        "--strict", action="store_true", help=f"exit {EXIT_FEEDS_FAILED} when any feed failed"
    )
    return fetching


def _add_build(
    commands: _Commands, common: argparse.ArgumentParser, fetching: argparse.ArgumentParser
) -> None:
    build = commands.add_parser(
        "build", parents=[common, fetching], help="fetch the feeds, then render output/"
    )
    build.add_argument(
        "--offline", action="store_true", help="render from content/ only; no network"
    )
    build.add_argument(
        "--base-url", metavar="URL",
        help="the site's public URL, overriding [site] base_url (also: DIGEST_BASE_URL)",
    )  # fmt: skip
    build.set_defaults(run=cmd_build)


def _add_fetch(
    commands: _Commands, common: argparse.ArgumentParser, fetching: argparse.ArgumentParser
) -> None:
    fetch = commands.add_parser(
        "fetch", parents=[common, fetching], help="fetch the feeds into content/ only"
    )
    fetch.add_argument(
        "--shard", type=_shard, metavar="I/N",
        help="fetch only part I of N of the feeds (by a hash of their URLs), for parallel jobs",
    )  # fmt: skip
    fetch.set_defaults(run=cmd_fetch)


def _shard(text: str) -> Shard:
    try:
        return Shard.parse(text)
    except ValueError as e:  # a usage error (exit 2) that says what is expected
        raise argparse.ArgumentTypeError(str(e)) from None


def _add_serve(commands: _Commands, common: argparse.ArgumentParser) -> None:
    serve = commands.add_parser(
        "serve", parents=[common],
        help="build, serve output/ on 127.0.0.1, rebuild and reload the browser on every change",
    )  # fmt: skip
    serve.add_argument(
        "--port", type=int, default=8000, help="the port (default 8000; 0 picks a free one)"
    )
    serve.add_argument("--open", action="store_true", help="open the site in a web browser")
    serve.add_argument(
        "--fetch", action="store_true",
        help="fetch the feeds before the first build (rebuilds on change stay offline)",
    )  # fmt: skip
    serve.set_defaults(run=cmd_serve)


def _add_init(commands: _Commands) -> None:
    init = commands.add_parser(
        "init", help="start a new digest: config.toml, a welcome post, the GitHub Pages workflow"
    )
    init.add_argument(
        "dir", nargs="?", type=Path, default=Path("."), metavar="DIR",
        help="the folder of the new digest (default: the current one)",
    )  # fmt: skip
    init.add_argument("--force", action="store_true", help="overwrite files that are there")
    init.add_argument(
        "--install", metavar="SPEC",
        help='what the workflow pip-installs, e.g. "digest-site==0.1.0"',
    )  # fmt: skip
    init.add_argument(
        "--shards", type=_shard_count, default=1, metavar="N",
        help="a workflow that fetches the feeds in N parallel jobs (default 1: one job)",
    )  # fmt: skip
    init.set_defaults(run=cmd_init)


def _shard_count(text: str) -> int:
    from digest.cli.init import MAX_SHARDS

    if not text.strip().isdigit() or not 1 <= int(text) <= MAX_SHARDS:
        raise argparse.ArgumentTypeError(f"{text!r}: expected a number of jobs, 1 to {MAX_SHARDS}")
    return int(text)


def _add_import_opml(commands: _Commands, common: argparse.ArgumentParser) -> None:
    import_opml = commands.add_parser(
        "import-opml", parents=[common],
        help="add the feeds of an OPML file (a feed reader's export) to config.toml",
    )  # fmt: skip
    import_opml.add_argument("file", type=Path, metavar="FILE", help="the OPML file")
    import_opml.set_defaults(run=cmd_import_opml)


def _add_add(commands: _Commands, common: argparse.ArgumentParser) -> None:
    add = commands.add_parser(
        "add", parents=[common],
        help="find the feed of a URL (a feed, or a site's page) and add it to config.toml",
    )  # fmt: skip
    add.add_argument("url", metavar="URL", help="a feed's URL, or a page of the site")
    add.add_argument("--name", help="the feed's name (default: the feed's own title)")
    add.add_argument(
        "--tag", action="append", dest="tags", default=[], metavar="TAG",
        help="a tag for every entry of the feed (repeat for more)",
    )  # fmt: skip
    add.set_defaults(run=cmd_add)


EXIT_FEEDS_FAILED = 3


def main(argv: Sequence[str] | None = None) -> int:
    args = make_parser().parse_args(argv)  # exits 2 on a usage error
    verbose, quiet = getattr(args, "verbose", False), getattr(args, "quiet", False)
    _setup_logging(logging.DEBUG if verbose else logging.WARNING if quiet else logging.INFO)
    try:
        code: int = args.run(args)
        return code
    except DigestError as e:
        print(f"digest: error: {e}", file=sys.stderr)
        return e.exit_code


def config_from(args: argparse.Namespace) -> Config:
    """The config named by --config, with --base-url (or DIGEST_BASE_URL) applied."""
    config = load_config(getattr(args, "config", Path("config.toml")))
    base_url = getattr(args, "base_url", None) or os.environ.get("DIGEST_BASE_URL")
    if base_url:
        problems: list[str] = []
        site = dataclasses.replace(config.site, base_url=check_base_url(base_url, problems))
        if problems:
            raise DigestError(f"--base-url / DIGEST_BASE_URL: {problems[0]}")
        config = dataclasses.replace(config, site=site)
    return config


def cmd_fetch(args: argparse.Namespace) -> int:
    config = config_from(args)
    if args.shard:
        every = len(config.feeds)
        config = shard_config(config, args.shard)
        log.info("shard %s: %d of %d feeds", args.shard, len(config.feeds), every)
    progress = Progress(len(config.feeds), enabled=not getattr(args, "quiet", False))
    fetched = pipeline.fetch(config, now=now_from_env(), force=args.force, progress=progress)
    progress.close()
    return _after_fetch(args, fetched)


def cmd_build(args: argparse.Namespace) -> int:
    config = config_from(args)
    started = time.perf_counter()
    progress = Progress(len(config.feeds), enabled=not getattr(args, "quiet", False))
    report = pipeline.build(
        config, now=now_from_env(), offline=args.offline, force=args.force, progress=progress
    )
    progress.close()
    code = _after_fetch(args, report.fetched) if report.fetched else 0
    warn(report.warnings)
    w = report.written
    log.info(
        "built %s: %d entries, %d pages; %d files written, %d unchanged, %d removed (%.2f s)%s",
        config.output_dir, report.entries, report.pages, w.written, w.unchanged, w.removed,
        time.perf_counter() - started, "" if w.changed else "; the site did not change",
    )  # fmt: skip
    budget_note(report.budget)
    build_outputs(w.changed, report.site, w.written, w.removed)
    return code


def cmd_serve(args: argparse.Namespace) -> int:
    from digest import serve  # imported here: watchdog and the HTTP server serve no other command

    config = config_from(args)
    progress = Progress(len(config.feeds), enabled=not getattr(args, "quiet", False))

    def fetched(report: pipeline.FetchReport) -> None:
        progress.close()
        report_feeds(report.feeds)

    return serve.serve(
        lambda: config_from(args), now=now_from_env, port=args.port, open_browser=args.open,
        fetch=args.fetch, progress=progress, on_fetched=fetched,
        announce=lambda line: print(line, flush=True),
    )  # fmt: skip


def cmd_init(args: argparse.Namespace) -> int:
    from digest.cli import init as scaffold

    written = scaffold.init(
        args.dir, now=now_from_env(), force=args.force, install=args.install, shards=args.shards
    )
    for path in written:
        log.info("wrote %s", path)
    config = args.dir / "config.toml"
    log.info(
        "next: add feeds (digest add URL --config %s), build (digest build --config %s), then "
        "push the folder to GitHub: README, \"Publish on GitHub Pages\"", config, config,
    )  # fmt: skip
    return 0


def cmd_import_opml(args: argparse.Namespace) -> int:
    from digest.cli import import_opml as opml_import

    path = getattr(args, "config", Path("config.toml"))
    report = opml_import.import_opml(args.file, path)
    for feed, name in report.skipped:
        log.info("skipped %s: already in %s as %r", feed.xml_url, path, name)
    for note in report.ignored:
        log.warning("ignored %s", note)
    for old, new in report.renamed:
        log.info("renamed %r to %r: the name was taken", old, new)
    for added in report.added:
        tags = f" [{', '.join(added.tags)}]" if added.tags else ""
        log.info("added %s: %s%s", added.name, added.url, tags)
    log.info("%s: %d feed(s) added, %d already there", path, len(report.added), len(report.skipped))
    return 0


def cmd_add(args: argparse.Namespace) -> int:
    from digest.cli import add as discover

    path = getattr(args, "config", Path("config.toml"))
    report = discover.add(path, args.url, now=now_from_env(), name=args.name, tags=args.tags)
    found = report.found
    log.info(
        "found %s (%s): %r, %s, %d entries", found.url, found.how, found.title, found.format,
        found.entries,
    )  # fmt: skip
    if found.others:
        log.info("the page also advertises %s", ", ".join(found.others))
    tags = f" with tags {', '.join(report.added.tags)}" if report.added.tags else ""
    log.info("added %r to %s%s", report.added.name, report.config, tags)
    return 0


def _after_fetch(args: argparse.Namespace, fetched: pipeline.FetchReport) -> int:
    report_feeds(fetched.feeds)
    step_summary(fetched.health)
    warn(fetched.warnings)
    if args.strict and any(r.outcome in ("error", "gone") for r in fetched.feeds):
        log.error("digest: some feeds failed (--strict)")
        return EXIT_FEEDS_FAILED
    return 0


def _setup_logging(level: int) -> None:
    """Plain lines on stderr for our own messages; httpx's per-request lines only with -v."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    for name in ("digest", "httpx"):
        logger = logging.getLogger(name)
        logger.handlers = [handler]
        logger.propagate = False
        logger.setLevel(level if name == "digest" or level == logging.DEBUG else logging.WARNING)
