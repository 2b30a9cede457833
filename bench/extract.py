"""Article extraction, measured: which library digest uses for `full_text` (issue 22).

On the pages of tests/data/articles/ (bench/articles.py writes them: an article with known
text inside the chrome of a news site, a blog with comments, a newsletter platform, docs,
an old table layout, a script-laden page, a windows-1251 page, ...), each library is asked
for the article's HTML, as digest asks it, and scored on the words of its text:

- recall: of the article's words, how many came out (a multiset: a word twice counts twice);
- precision: of the words that came out, how many are the article's (or its title's);
- leaks: the chrome's distinctive strings (cookie banner, comments, footer, ...) found in the
  output, of all the pages' chrome strings;
- articles lost: pages with an article for which nothing came out;
- no-article pages (a consent wall, a section front): the words that came out of each,
  where nothing is right (digest then keeps the feed's summary);
- ms: the median time of one extraction (of --repeat, after a warm-up), per page, averaged;
- MB: peak resident memory during the extractions less that after importing the library
  (C allocations of lxml included), and the library's import (time and resident MB), each
  library in a fresh process.

    python bench/extract.py                 # every library (and setting), a table
    python bench/extract.py --pages         # and each page's scores
    python bench/extract.py --repeat 50

Needs `pip install readability-lxml` besides digest (which depends on trafilatura).
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

PAGES = Path(__file__).resolve().parent.parent / "tests" / "data" / "articles"
# trafilatura as it comes; favouring precision (what digest uses); and without its fallback
# extractors (`fast`: no jusText, whose stop lists take ~34 MB once loaded).
LIBRARIES = (
    "trafilatura",
    "trafilatura-precision",
    "trafilatura-precision-fast",
    "readability-lxml",
)


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KB on Linux


def _extractor(name: str) -> Any:
    """The library, imported, as a function page bytes -> article HTML (or None)."""
    if name.startswith("trafilatura"):
        import trafilatura

        precise = "precision" in name
        fast = name.endswith("fast")

        def trafilatura_html(page: bytes) -> str | None:
            result: str | None = trafilatura.extract(
                page, output_format="html", include_comments=False, include_tables=True,
                include_images=True, include_links=True, favor_precision=precise, fast=fast,
            )  # fmt: skip
            return result

        return trafilatura_html
    from readability import Document

    def readability_html(page: bytes) -> str | None:
        return str(Document(page).summary(html_partial=True))

    return readability_html


def words(text: str) -> Counter[str]:
    return Counter(re.findall(r"\w+", text.casefold()))


def text_of(article: str | None) -> str:
    if not article:
        return ""
    import lxml.html

    # A space before every tag: blocks are not run together ("Installing" + "Upgrading").
    return str(lxml.html.fromstring(article.replace("<", " <")).text_content())


def run_library(name: str, repeat: int) -> dict[str, Any]:
    """In this process: import the library, extract every page, score it."""
    before = _rss_mb()
    start = time.perf_counter()
    extract = _extractor(name)
    imported = time.perf_counter() - start
    after_import = _rss_mb()
    pages = []
    for path in sorted(PAGES.glob("*.html")):
        expected = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
        body = path.read_bytes()
        out = extract(body)  # the warm-up
        times = []
        for _ in range(repeat):
            t = time.perf_counter()
            extract(body)
            times.append(time.perf_counter() - t)
        got = text_of(out)
        want = words(" ".join(expected["text"]))
        found = words(got)
        common = sum((want & found).values())
        # The title, if it comes out too, is the article's, not chrome.
        kept = sum((found & (want + words(expected["title"]))).values())
        flat = " ".join(got.split())
        leaks = [c for c in expected["chrome"] if " ".join(c.split()) in flat]
        pages.append(
            {
                "page": path.stem,
                "recall": common / max(sum(want.values()), 1),
                "precision": kept / sum(found.values()) if found else 0.0,
                "leaks": len(leaks),
                "chrome": len(expected["chrome"]),
                "leaked": leaks,
                "ms": statistics.median(times) * 1000,
                "empty": not got.strip(),
                "words": sum(found.values()),
                "article": bool(expected["text"]),
            }
        )
    return {
        "library": name,
        "import_s": imported,
        "import_mb": after_import - before,
        "peak_mb": _rss_mb() - after_import,
        "pages": pages,
    }


def measure(name: str, repeat: int) -> dict[str, Any]:
    """run_library in a fresh interpreter, so imports and memory are the library's own."""
    out = subprocess.run(
        [sys.executable, __file__, "--child", name, "--repeat", str(repeat)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    result: dict[str, Any] = json.loads(out.stdout)
    return result


def table(results: list[dict[str, Any]], per_page: bool) -> str:
    lines = [
        "| library | recall | precision | chrome leaked | articles lost | no-article pages: "
        "words out | ms / article | MB peak (extracting) | import s / MB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        pages = [p for p in r["pages"] if p["article"]]
        others = [p for p in r["pages"] if not p["article"]]
        leaks = sum(p["leaks"] for p in r["pages"])
        chrome = sum(p["chrome"] for p in r["pages"])
        lines.append(
            f"| {r['library']} | {statistics.mean(p['recall'] for p in pages):.3f} "
            f"| {statistics.mean(p['precision'] for p in pages):.3f} | {leaks} of {chrome} "
            f"| {sum(p['empty'] for p in pages)} of {len(pages)} "
            f"| {', '.join(str(p['words']) for p in others)} "
            f"| {statistics.mean(p['ms'] for p in r['pages']):.2f} | {r['peak_mb']:.1f} "
            f"| {r['import_s']:.2f} / {r['import_mb']:.0f} |"
        )
    if per_page:
        for r in results:
            lines += ["", f"{r['library']}:", "| page | recall | precision | leaked | ms |"]
            lines.append("|---|---:|---:|---|---:|")
            for p in r["pages"]:
                lines.append(
                    f"| {p['page']} | {p['recall']:.3f} | {p['precision']:.3f} "
                    f"| {'; '.join(x[:30] for x in p['leaked'])} | {p['ms']:.2f} |"
                )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--pages", action="store_true", help="each page's scores too")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_library(args.child, args.repeat)))
        return
    print(f"{len(list(PAGES.glob('*.html')))} pages in {PAGES}, {args.repeat} runs each")
    print(table([measure(name, args.repeat) for name in LIBRARIES], args.pages))


if __name__ == "__main__":
    main()
