"""URLs from feeds: resolved, normalised and limited to http(s) and mailto. Pure functions."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import quote, urljoin, urlsplit, urlunsplit

from digest.sanitize.text import clean_text

URL_SCHEMES = frozenset({"http", "https", "mailto"})
HTTP_SCHEMES = frozenset({"http", "https"})
_LONE_PERCENT = re.compile("%(?![0-9A-Fa-f]{2})")
_PATH_SAFE = "/:@!$&'()*+,;=-._~%"
QUERY_SAFE = _PATH_SAFE + "?"
_HOST = re.compile(
    r"^(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\.)*[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\.?$"
)


def quote_part(part: str, safe: str) -> str:
    """Percent-encode what may not stand in a URL part; keeps existing %XX escapes."""
    return quote(_LONE_PERCENT.sub("%25", part), safe=safe)


# An absolute http(s) URL as most links in feeds are written, which the general way below
# gives back unchanged: a lower-case host name (no port, no user), then a path, query and
# fragment of characters that need no encoding (or %XX escapes), no "." or ".." segment for
# urljoin to resolve, and no empty query or fragment for urlunsplit to drop. Four links of
# five in a feed's bodies; they skip urljoin, urlsplit, IDNA and quoting (6 us of 10 each,
# about 7% of parsing and sanitising an entry). tests/test_sanitize.py holds it to the general
# way.
# Not ";": urljoin reads it as the start of the last segment's parameters (and drops empty ones).
_CHARS = r"(?:[A-Za-z0-9\-._~!$&'()*+,=:@/]|%[0-9A-Fa-f]{2})"
_PLAIN_URL = re.compile(
    r"(https?)://(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
    rf"(?!.*/\.\.?(?:[/?#]|$))(?:/{_CHARS}*)?(?:\?(?:{_CHARS}|\?)+)?(?:#(?:{_CHARS}|\?)+)?"
)


def clean_url(
    value: str, base: str | None = None, schemes: frozenset[str] = URL_SCHEMES
) -> str | None:
    """`value` resolved against `base` as an absolute URL a browser and a validator agree on,
    or None: another scheme (javascript:, data:, vbscript:, file: ...), no host, a bad host or
    port, or still relative. User names and passwords in URLs are dropped."""
    value = value.strip()
    plain = _PLAIN_URL.fullmatch(value)
    if plain is not None and plain.group(1) in schemes:
        return value
    return _clean_url(value, base, schemes)


def _clean_url(value: str, base: str | None, schemes: frozenset[str]) -> str | None:
    """`clean_url` the general way, for any `value` (stripped)."""
    if not value:
        return None
    try:
        # urlsplit drops the tabs and newlines browsers ignore ("java\tscript:") and leading
        # control characters and spaces, as browsers do.
        parts = urlsplit(urljoin(base, value) if base else value)
        scheme = parts.scheme.lower()
        if scheme not in schemes:
            return None
        if scheme == "mailto":
            address = quote_part(parts.path, "@!$&'()*+,;=-._~%")
            query = quote_part(parts.query, QUERY_SAFE)
            if parts.netloc or not address:
                return None
            return f"mailto:{address}" + (f"?{query}" if query else "")
        host, port = parts.hostname, parts.port  # ValueError: a bad port or IPv6 literal
    except ValueError:
        return None
    if not host:
        return None
    if ":" in host:
        try:
            netloc = f"[{ipaddress.IPv6Address(host).compressed}]"
        except ValueError:
            return None
    else:
        try:
            netloc = host.encode("idna").decode("ascii")
        except UnicodeError:
            return None
        if not _HOST.match(netloc):
            return None
    if port is not None:
        netloc += f":{port}"
    return urlunsplit(
        (
            scheme,
            netloc,
            quote_part(parts.path, _PATH_SAFE),
            quote_part(parts.query, QUERY_SAFE),
            quote_part(parts.fragment, QUERY_SAFE),
        )
    )


def is_http_url(value: str) -> bool:
    """The one test for "an absolute http(s) URL with a host" (config, fetch, add, OPML)."""
    try:
        parts = urlsplit(value.strip())
        return parts.scheme.lower() in HTTP_SCHEMES and bool(parts.hostname)
    except ValueError:  # a bad port or IPv6 literal
        return False


def http_url(value: object, base: str | None) -> str | None:
    """An absolute http(s) URL from a feed's link field, or None."""
    if not isinstance(value, str):
        return None
    return clean_url(clean_text(value), base, HTTP_SCHEMES)
