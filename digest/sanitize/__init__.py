"""Hostile feeds in, safe and valid text, URLs and HTML out (moving into modules)."""

from digest.sanitize.conform import (
    ALLOWED_ATTRIBUTES,
    ALLOWED_TAGS,
    URL_SCHEMES,
    clean_text,
    html_to_text,
    http_url,
    is_http_url,
    language_tag,
    prepare_feed,
    safe_slug,
    sanitize_html,
    short_hash,
    xml_text,
)

__all__ = [
    "ALLOWED_ATTRIBUTES",
    "ALLOWED_TAGS",
    "URL_SCHEMES",
    "clean_text",
    "html_to_text",
    "http_url",
    "is_http_url",
    "language_tag",
    "prepare_feed",
    "safe_slug",
    "sanitize_html",
    "short_hash",
    "xml_text",
]
