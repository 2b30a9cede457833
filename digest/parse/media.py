"""What a post carries besides its text (issue 22): a podcast's audio, a video, and the post's
own picture. Pure.

Read from what the parser found (`RawMedia`): RSS `<enclosure>`, Media RSS (`media:content`,
`media:thumbnail`, also inside `media:group`, as YouTube's channel feeds write them), and the
iTunes podcast tags (`itunes:duration`, `itunes:episode`, `itunes:image`). Everything is a
feed's word and untrusted: only absolute http(s) URLs are kept (never `javascript:` or
`data:`), only audio and video types become a player, and sizes, lengths, durations and
episode numbers outside what any real file has are dropped, not shown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from digest.models import Media, Picture
from digest.sanitize import http_url

MAX_MEDIA = 4  # players per post: a feed may list dozens of renditions
MAX_BYTES = 50 * 10**9  # a 50 GB enclosure is no episode
MAX_SECONDS = 100 * 3600  # nor is one over 100 hours
MAX_EPISODE = 1_000_000
MAX_PIXELS = 10_000  # a side of a picture; more is a feed's mistake
_TYPE = re.compile(r"(audio|video|image)/[a-z0-9.+-]{1,60}")
_FIRST_IMG = re.compile(r"<img\b[^>]*?\ssrc=\"([^\"]+)\"[^>]*>", re.IGNORECASE)
_PIXELS_ATTR = re.compile(r"\s(width|height)=\"(\d{1,5})\"")


@dataclass(frozen=True, slots=True)
class RawMedia:
    """The media of one item as the parser read them, values as the feed wrote them."""

    enclosures: tuple[tuple[object, object, object], ...] = ()  # (href, type, length)
    thumbnails: tuple[tuple[object, object, object], ...] = ()  # media:thumbnail (url, w, h)
    # media:content (url, type, medium, width, height)
    contents: tuple[tuple[object, object, object, object, object], ...] = ()
    duration: object = None  # itunes:duration: "3600", "60:00", "1:00:00"
    episode: object = None  # itunes:episode
    image: object = None  # itunes:image's href: the episode's picture


NO_MEDIA = RawMedia()


@dataclass(frozen=True, slots=True)
class MediaOf:
    """What `read_media` keeps of an item's media."""

    media: tuple[Media, ...] = ()
    picture: Picture | None = None
    duration: int | None = None
    episode: int | None = None


def read_media(raw: RawMedia, base: str, title: str, content_html: str) -> MediaOf:
    """The players, the picture (the feed's, else the body's first image), the duration and
    episode number an item shows. `content_html` is the sanitised body."""
    media: list[Media] = []
    pictures: list[Picture] = []
    for href, kind, length in raw.enclosures:
        link, mime = http_url(href, base), _type(kind)
        _add(media, pictures, link, mime, _number(length, MAX_BYTES), title)
    for url, kind, medium, width, height in raw.contents:
        mime = _type(kind) or (f"{medium}/*" if medium in ("audio", "video", "image") else None)
        if mime and mime.startswith("image/"):
            picture = _picture(url, base, width, height, title)
            pictures.extend([picture] if picture else [])
        else:
            _add(media, pictures, http_url(url, base), mime, None, title)
    thumbnails = [_picture(url, base, w, h, title) for url, w, h in raw.thumbnails]
    # A thumbnail is made for listings; then an image enclosure or content; then the
    # episode's own image; then the first picture of the body.
    found = [*thumbnails, *pictures, _picture(raw.image, base, None, None, title)]
    picture = next((p for p in found if p is not None), None) or _body_picture(content_html, title)
    return MediaOf(
        tuple(dict.fromkeys(media))[:MAX_MEDIA],
        picture,
        _duration(raw.duration),
        _number(raw.episode, MAX_EPISODE),
    )


def _add(
    media: list[Media], pictures: list[Picture], url: str | None, kind: str | None,
    length: int | None, alt: str,
) -> None:  # fmt: skip
    if url is None or kind is None:
        return
    if kind.startswith("image/"):
        pictures.append(Picture(url, alt=alt))
    else:
        media.append(Media(url, kind, length))


def _type(value: object) -> str | None:
    """An audio, video or image MIME type, lower-cased; None for anything else."""
    if not isinstance(value, str):
        return None
    kind = value.strip().lower().split(";")[0].strip()
    return kind if _TYPE.fullmatch(kind) else None


def _number(value: object, most: int) -> int | None:
    """A whole number from 1 to `most` written in plain digits; None for anything else."""
    text = value.strip() if isinstance(value, str) else ""
    if not text.isascii() or not text.isdigit() or len(text) > len(str(most)):
        return None
    number = int(text)
    return number if 0 < number <= most else None


def _duration(value: object) -> int | None:
    """itunes:duration in seconds: "SS", "MM:SS" or "HH:MM:SS" (minutes and seconds under
    60 after the first field), at most `MAX_SECONDS`."""
    if not isinstance(value, str) or len(value) > 20:
        return None
    parts = value.strip().split(":")
    if not 1 <= len(parts) <= 3 or not all(p.isascii() and p.isdigit() for p in parts):
        return None
    numbers = [int(p) for p in parts]
    if any(n >= 60 for n in numbers[1:]):
        return None
    seconds = 0
    for n in numbers:
        seconds = seconds * 60 + n
    return seconds if 0 < seconds <= MAX_SECONDS else None


def _picture(url: object, base: str, width: object, height: object, alt: str) -> Picture | None:
    absolute = http_url(url, base)
    if absolute is None:
        return None
    return Picture(absolute, _number(width, MAX_PIXELS), _number(height, MAX_PIXELS), alt)


def _body_picture(content_html: str, alt: str) -> Picture | None:
    """The body's first image, as the sanitiser left it (an absolute http(s) URL, or none)."""
    match = _FIRST_IMG.search(content_html)
    if match is None or not match[1].startswith(("https://", "http://")):
        return None
    sizes = dict(_PIXELS_ATTR.findall(match[0]))
    width, height = sizes.get("width"), sizes.get("height")
    return Picture(
        match[1].replace("&amp;", "&"), _number(width, MAX_PIXELS), _number(height, MAX_PIXELS),
        alt,
    )  # fmt: skip
