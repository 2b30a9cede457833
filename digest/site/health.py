"""Part of stage 6, group: each feed's health, from its saved state alone (feeds/index.html,
feeds.json, the CI summary). Pure."""

from __future__ import annotations

from digest.models import Config, FeedCache, FeedHealth, HealthStatus, HttpState
from digest.timefmt import human_utc


def feed_health(config: Config, caches: tuple[FeedCache, ...]) -> tuple[FeedHealth, ...]:
    """Each configured feed's health, from its saved state alone (so pages stay reproducible)."""
    by_slug = {c.slug: c for c in caches}
    rows = []
    for feed in config.feeds:
        cache = by_slug.get(feed.slug) or FeedCache(slug=feed.slug)
        http = cache.http
        status, summary = _health_status(http)
        rows.append(
            FeedHealth(
                slug=feed.slug,
                name=feed.name,
                url=feed.url,
                status=status,
                summary=summary,
                failures=http.failures,
                failing_since=http.failing_since,
                last_ok=http.last_ok,
                next_due=http.next_due,
                retry_after=http.retry_after,
                moved_to=http.moved_to,
                newest=cache.newest,
                entries=cache.entry_count,
                last_error=http.last_error,
            )
        )
    return tuple(rows)


def _health_status(http: HttpState) -> tuple[HealthStatus, str]:
    """A feed's health and the same in words."""
    since = human_utc(http.failing_since)
    if http.status == "gone":
        return "gone", "gone (HTTP 410): no longer fetched; its posts are kept"
    if http.failures and http.status == "not_a_feed":
        return "not_a_feed", f"not a feed: failing {http.failures} times since {since}"
    if http.failures:
        summary = f"failing {http.failures} times since {since}"
        wait = max((t for t in (http.next_due, http.retry_after) if t), default=None)
        if wait:
            summary += f"; backing off until {human_utc(wait)}"
        return "failing", summary
    if http.moved_to:
        return "moved", f"moved permanently: update config.toml to {http.moved_to}"
    if http.status == "new":
        return "new", "not fetched yet"
    return "ok", "ok"
