"""Run one feed through `parse_body` or `digest add` under an address-space limit.

    python budget_child.py LIMIT_MB parse FEED_FILE
    python budget_child.py LIMIT_MB add CONFIG URL

Started as a subprocess by tests/test_parse.py (and by hand, to measure a "before"): the
limit is set before the package is imported, so a parser that expands entities or builds a
huge tree dies here with MemoryError instead of taking the machine down. Prints one JSON line:
the outcome, element counts, output size and the peak resident memory.
"""

from __future__ import annotations

import json
import resource
import sys
from datetime import UTC, datetime
from pathlib import Path

NOW = datetime(2026, 3, 23, 12, tzinfo=UTC)


def entity_feed(size: int = 100_000) -> bytes:
    """A ~`size`-byte RSS 2.0 feed whose DOCTYPE declares a big entity and entities nested on
    it (quadratic blowup: each short reference stands for kilobytes), referenced thousands of
    times. Declarations on lines of their own, as feedparser's own DOCTYPE handling keeps them.
    """
    value = "x" * (size // 2)
    prolog = (
        '<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE rss [\n'
        f'<!ENTITY a "{value}">\n<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">\n'
        '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">\n]>\n'
    )
    head = '<rss version="2.0"><channel><title>Bomb</title><link>https://bomb.example/</link>'
    item = "<item><title>t{n} &c;</title><guid>g{n}</guid><description>{refs}</description></item>"
    used = len(prolog) + len(head) + len("</channel></rss>")
    items = []
    n = 0
    while used < size:
        text = item.format(n=n, refs="&a;" * 500)
        items.append(text)
        used += len(text)
        n += 1
    return (prolog + head + "".join(items) + "</channel></rss>").encode()


def element_feed(elements: int = 300_000) -> bytes:
    """An RSS 2.0 feed of one item holding `elements` empty elements (each costs a parser
    far more than its four bytes)."""
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Many</title>'
        "<item><title>many</title><guid>m</guid><description>d</description>"
        + "<x/>" * elements
        + "</item></channel></rss>"
    ).encode()


def _run(mode: str, args: list[str]) -> dict[str, object]:
    from digest.errors import DigestError

    try:
        if mode == "parse":
            from digest.parse import parse_body

            parsed = parse_body(
                Path(args[0]).read_bytes(), url="https://bomb.example/feed", headers={},
                source="bomb", now=NOW,
            )  # fmt: skip
            size = sum(len(e.title) + len(e.content_html) for e in parsed.entries)
            return {"outcome": "ok", "entries": len(parsed.entries), "output_chars": size}
        from digest.cli.add import add

        report = add(Path(args[0]), args[1], now=NOW)
        return {"outcome": "ok", "entries": report.found.entries, "format": report.found.format}
    except DigestError as e:
        return {"outcome": "error", "error": str(e)[:300]}
    except MemoryError:
        return {"outcome": "MemoryError"}


def main() -> None:
    limit_mb, mode, *args = sys.argv[1:]
    if int(limit_mb):
        limit = int(limit_mb) * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    result = _run(mode, args)
    result["max_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    print(json.dumps(result))


if __name__ == "__main__":
    main()
