"""Hostile feeds in, safe and valid text, URLs and HTML out. Pure functions, used by `parse`.

- `xml`: `prepare_feed`, feed bytes -> UTF-8 bytes feedparser cannot be hurt by (one
  decoding, no characters XML forbids, no document type declaration, so no entities).
- `text`: `clean_text`, what may be text; `xml_text`, what XML 1.0 can carry.
- `urls`: `clean_url`, http(s)/mailto URLs resolved and normalised; `is_http_url`.
- `language`: `language_tag`, BCP 47 tags a validator accepts.
- `slugs`: `safe_slug`, names as file names (the one slug rule), `feed_slug`; `short_hash`.
- `html`: `sanitize_html`, feed HTML -> an allowlisted fragment (nh3, `allowlist`) that is
  also valid HTML5 (`conform`, with `tree` and `tables`), its `#fragment` links pointing
  where they can (`fragments`); the text of a fragment: `html_to_text` (any) and
  `sanitised_text` (one `sanitize_html` made); `id_prefix`, the ids of one entry's HTML.

The names below are the package's interface; the modules are free to change.
"""

from digest.sanitize.allowlist import (
    ALLOWED_ATTRIBUTES,
    ALLOWED_TAGS,
    DROPPED_WITH_CONTENT,
    LINK_REL,
    URL_ATTRIBUTES,
)
from digest.sanitize.html import html_to_text, id_prefix, sanitised_text, sanitize_html
from digest.sanitize.language import language_tag
from digest.sanitize.slugs import feed_slug, safe_slug, short_hash
from digest.sanitize.text import clean_text, xml_text
from digest.sanitize.urls import HTTP_SCHEMES, URL_SCHEMES, clean_url, http_url, is_http_url
from digest.sanitize.xml import MAX_ELEMENTS, decode_feed, prepare_feed

__all__ = [
    "ALLOWED_ATTRIBUTES",
    "ALLOWED_TAGS",
    "DROPPED_WITH_CONTENT",
    "HTTP_SCHEMES",
    "LINK_REL",
    "MAX_ELEMENTS",
    "URL_ATTRIBUTES",
    "URL_SCHEMES",
    "clean_text",
    "clean_url",
    "decode_feed",
    "feed_slug",
    "html_to_text",
    "http_url",
    "id_prefix",
    "is_http_url",
    "language_tag",
    "prepare_feed",
    "safe_slug",
    "sanitised_text",
    "sanitize_html",
    "short_hash",
    "xml_text",
]
