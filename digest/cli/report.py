"""What the command line shows of a run: the progress of fetching (a bar on a terminal, plain
lines in CI), one line per feed that needs attention, warnings, and the GitHub Actions step
summary. Only the command line prints; this is its terminal half.
"""

from __future__ import annotations

import logging
import os
import sys
from collections import Counter
from collections.abc import Sequence

from digest.models import Budget, FeedHealth, FeedReport
from digest.write.sizes import size_text

log = logging.getLogger("digest")


def report_feeds(reports: Sequence[FeedReport]) -> None:
    """Problems one line each, then one summary line."""
    counts = Counter(r.outcome for r in reports)
    for r in reports:
        if r.note and r.outcome != "skipped":
            log.warning("feed %s: %s", r.name, r.note)
    added = sum(r.added for r in reports)
    log.info(
        "feeds: %d fetched, %d not modified, %d failed, %d skipped by schedule; %d new entries",
        counts["ok"] + counts["unchanged"], counts["not_modified"],
        counts["error"] + counts["gone"], counts["skipped"], added,
    )  # fmt: skip


def step_summary(health: Sequence[FeedHealth]) -> None:
    """In GitHub Actions, a Markdown table of the feeds that need attention."""
    bad = [h for h in health if h.needs_attention]
    if not bad:
        return

    def cell(text: str) -> str:
        return text.replace("|", "\\|").replace("\n", " ")

    lines = [
        f"### digest: {len(bad)} feed(s) need attention",
        "",
        "| feed | URL | status | last error |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| {cell(h.name)} | {cell(h.url)} | {cell(h.summary)} | {cell(h.last_error or '')} |"
        for h in bad
    ]
    _to_step_summary(lines)


def warn(warnings: Sequence[str]) -> None:
    """Each warning on stderr and, in GitHub Actions, in the job's step summary."""
    for warning in warnings:
        log.warning("digest: warning: %s", warning)
    if warnings:
        _to_step_summary(["### digest: warnings", "", *(f"- {w}" for w in warnings)])


class Progress:
    """A progress bar on a terminal; one plain line per feed elsewhere (CI logs)."""

    def __init__(self, total: int, enabled: bool) -> None:
        self.total, self.done, self.failed, self.enabled = total, 0, 0, enabled
        self.tty = sys.stderr.isatty()

    def __call__(self, report: FeedReport) -> None:
        self.done += 1
        failed = report.outcome in ("error", "gone")
        self.failed += failed
        if not self.enabled:
            if failed:  # -q still shows problems
                log.warning("feed %s: failed: %s", report.name, report.error)
            return
        if self.tty:
            width = 30
            filled = width * self.done // max(self.total, 1)
            bar = "#" * filled + "-" * (width - filled)
            sys.stderr.write(
                f"\rfetching [{bar}] {self.done}/{self.total}, {self.failed} failed "
                f"{report.name[:24]:<24}"
            )
            sys.stderr.flush()
            if failed:
                self.close()
                log.warning("feed %s: failed: %s", report.name, report.error)
        else:
            log.info("[%d/%d] feed %s: %s", self.done, self.total, report.name, _describe(report))

    def close(self) -> None:
        if self.enabled and self.tty and self.done:
            sys.stderr.write("\r" + " " * 90 + "\r")
            sys.stderr.flush()


def _describe(report: FeedReport) -> str:
    if report.outcome == "ok":
        return f"ok, {report.added} new, {report.changed} updated"
    if report.outcome in ("error", "gone"):
        return f"failed: {report.error}"
    if report.outcome == "skipped":
        return f"skipped: {report.note}"
    return report.outcome.replace("_", " ")


def build_outputs(changed: bool, site: str, written: int, removed: int) -> None:
    """In GitHub Actions, whether the site changed, for the steps that publish it: step
    outputs `changed` (true or false) and `site` (its digest), and a line in the summary."""
    outputs = os.environ.get("GITHUB_OUTPUT")
    if outputs:
        with open(outputs, "a", encoding="utf-8") as f:
            f.write(f"changed={'true' if changed else 'false'}\nsite={site}\n")
    _to_step_summary(
        [
            f"digest: the site changed ({written} files written, {removed} removed)."
            if changed
            else "digest: the site did not change since the last build; nothing to publish."
        ]
    )


def budget_note(budget: Budget | None) -> None:
    """When [site] max_output left some posts abridged: how many are whole, from which day
    on, in the log and the job summary."""
    if budget is None or not budget.abridged:
        return
    since = f" from {budget.whole_from.isoformat()} on" if budget.whole_from else ""
    line = (
        f"{budget.whole:,} of {budget.entries:,} entries shown whole{since}; the"
        f" {budget.abridged:,} older ones as an excerpt and a link to the original, to keep"
        f" output/ under [site] max_output ({size_text(budget.limit)}, estimated"
        f" {size_text(budget.estimate)}); the cache keeps them whole"
    )
    if budget.estimate > budget.limit:  # every post that can be is abridged, and still
        line += (
            "; even so the site is estimated over the budget: raise max_output, or see"
            " the settings that shrink it (docs/output.md)"
        )
    log.info("%s", line)
    _to_step_summary([f"digest: {line}."])


def _to_step_summary(lines: list[str]) -> None:
    """`lines` and a blank line added to the GitHub Actions job summary; nothing elsewhere."""
    path = os.environ.get("GITHUB_STEP_SUMMARY")
    if path:
        with open(path, "a", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n\n")
