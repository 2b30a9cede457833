"""Part of stage 3, parse: a post's web page -> its article, as sanitised HTML (`full_text`;
digest.feeds.fulltext fetches the page). Pure: bytes in, a value out.

The article is found by trafilatura, told to favour precision: chrome in a digest (a cookie
banner, the comments, "related stories") is worse than a paragraph lost, and the feed's own
text is there to fall back on. bench/extract.py measured it against readability-lxml on
pages in the shapes the web has (tests/data/articles/); docs/benchmarks.md has the figures.
What it gives is then sanitised as any feed's content is (digest.sanitize.sanitize_html,
with the entry's id prefix).
"""

from __future__ import annotations

import re

from digest.sanitize import sanitised_text, sanitize_html

# Text shorter than this is not an article: what is left of a consent wall, a sign-in page
# or a section front once the extractor has taken what it could.
MIN_CHARS = 300
_LEADING_H1 = re.compile(r"^\s*<h1\b[^>]*>.*?</h1>\s*", re.DOTALL)
_CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.IGNORECASE)


def extract_article(page: bytes, content_type: str, url: str, prefix: str) -> str | None:
    """The article of the page at `url` (its final URL: relative links resolve against it),
    sanitised, ids prefixed with `prefix`; None when no article of MIN_CHARS was found."""
    import trafilatura  # here: a tenth of a second and 20 MB, for `full_text` feeds only

    found = trafilatura.extract(
        _decoded(page, content_type), url=url, output_format="html", favor_precision=True,
        include_comments=False, include_tables=True, include_images=True, include_links=True,
    )  # fmt: skip
    if not found:
        return None
    article = sanitize_html(_body(found), prefix, url, page=url)
    if len(sanitised_text(article)) < MIN_CHARS:
        return None
    # Its headings as the page has them: the theme moves them under its own (content_html).
    return _LEADING_H1.sub("", article, count=1)


def _decoded(page: bytes, content_type: str) -> str | bytes:
    """The page as text when its Content-Type names a charset Python knows; else its bytes,
    whose encoding trafilatura finds (a <meta charset>, then by guessing)."""
    match = _CHARSET.search(content_type)
    if match:
        try:
            return page.decode(match.group(1))
        except (LookupError, UnicodeDecodeError):
            pass
    return page


def _body(document: str) -> str:
    """trafilatura's HTML output is a whole document: its body's content."""
    start = document.find("<body>")
    end = document.rfind("</body>")
    return document[start + len("<body>") : end] if 0 <= start < end else document
