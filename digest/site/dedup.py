"""Part of stage 6, group: the same post from two feeds, shown once. Pure.

Two entries of different feeds are one post when (`[dedup] mode`):

- "link": their links are equal after `normalise_link` (scheme, host case, `www.`, default
  port, trailing slash, fragment and tracking parameters such as `utm_*` do not count);
- "content" (the default, and the link rule too): across hosts and ids, their titles are equal
  after `normalise_title`, their texts are near-identical (the estimated Jaccard similarity of
  their word 3-shingles, a bottom-k MinHash sketch of `SKETCH` hashes, is at least
  `threshold`), and their dates are at most `window` apart.

The false-positive guard: a text with fewer than `MIN_WORDS` words once the title, links and
boilerplate ("Discuss", "Read more", "Continue reading", ...) are taken out never merges by
content: with such bodies only the link rule can. Posts titled "Weekly thread" whose bodies
say "Discuss" stay apart.

Cost: linear in entries. Per entry: a link normalised and a title folded. Texts are read and
sketched only for entries whose folded title another feed's entry shares, and each such entry
is compared with at most `MAX_COMPARED` others within the window, never all pairs.

One copy of each post is shown: the copy from the feed `prefer` names first, else the
earliest (by date, then source, then id). It carries its copies' tags (their feeds' config
tags too) in `tags`, so every page counts the post once with the union of its tags. A post has
at most one copy per feed: two entries of one feed are never merged, even through a third.
"""

from __future__ import annotations

import hashlib
import html
import re
import string
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from digest.models import (
    POSTS_SOURCE,
    DedupConfig,
    DedupRule,
    Duplicate,
    Entry,
    Whole,
    as_is,
    edited,
)

# A text needs this many words of its own (not the title, links or boilerplate) to merge two
# posts by content: about two sentences. A cross-post worth merging is longer; an announcement
# ("New post: <title>. Discuss") is not, and two of those with one title are two posts.
MIN_WORDS = 40
SKETCH = 128  # hashes kept per text (bottom-k MinHash): the estimate's error is ~0.03 at 0.8
MAX_COMPARED = 16  # entries one entry is compared with (same title, in the window)

# Query parameters that say where a reader came from, not what they read.
_TRACKING = frozenset(
    {
        "fbclid", "gclid", "dclid", "msclkid", "yclid", "igshid", "mc_cid", "mc_eid",
        "ref", "ref_src", "ref_url", "_hsenc", "_hsmi",
    }
)  # fmt: skip
# `source=rss` and the like (Medium writes `source=rss----<id>`); another `source` is kept.
_FEED_SOURCE = re.compile(r"^(rss|atom|feed)", re.IGNORECASE)
_DEFAULT_PORTS = {"http": 80, "https": 443}
_WORD = re.compile(r"\w+")
_URL = re.compile(r"(?:https?://|www\.)\S+")  # in casefolded text
_PUNCTUATION = "".join(chr(c) for c in range(0x2000, 0x206F)) + string.punctuation + "«»¡¿"
# Words of the lines feeds put under a post ("Discuss", "Read more", "Continue reading →",
# "The post X appeared first on Y", "Comments", "via"): they do not make a text a post's own.
_BOILERPLATE = frozenset(
    {
        "discuss", "discussion", "read", "more", "continue", "reading", "comments", "comment",
        "permalink", "via", "appeared", "click", "here", "link", "original",
    }
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Deduped:
    """What `dedup` found. `entries` are the shown entries, in the order given."""

    entries: tuple[Entry, ...]
    also_in: dict[tuple[str, str], tuple[Entry, ...]]  # shown (source, id) -> its copies
    duplicates: tuple[Duplicate, ...]  # one per copy, in the order of `entries`


# A link with nothing to normalise but its scheme, "www." and a trailing slash: most links.
# No port, user, query or fragment, a host in lower case, no character urlsplit drops.
_PLAIN_LINK = re.compile(r"https?://([a-z0-9][a-z0-9.-]*)((?:/[^?#\x00-\x20\\]*)?)", re.ASCII)


def normalise_link(link: str) -> str:
    """The part of a link that says which page it is: `HTTPS://www.Example.com:443/a/?utm_source
    =x&b=2&a=1#top` is `https://example.com/a?a=1&b=2`. http and https are one page."""
    link = link.strip()
    plain = _PLAIN_LINK.fullmatch(link)
    if plain is not None and plain[1] != "www.":
        # What the general way below makes of it, without urlsplit (a tenth of the cost).
        return f"https://{plain[1].removeprefix('www.')}{plain[2].rstrip('/')}"
    try:
        parts = urlsplit(link)
        port = parts.port
    except ValueError:  # a port out of range: compare the text as it is
        return link
    scheme = parts.scheme.lower()
    scheme = "https" if scheme == "http" else scheme
    host = (parts.hostname or "").removeprefix("www.")
    if port is not None and port != _DEFAULT_PORTS.get(parts.scheme.lower()):
        host += f":{port}"
    path = parts.path.rstrip("/")
    query = ""
    if parts.query:
        kept = [
            (name, value)
            for name, value in parse_qsl(parts.query, keep_blank_values=True)
            if not _is_tracking(name, value)
        ]
        query = urlencode(sorted(kept))
    return urlunsplit((scheme, host, path, query, ""))


def _is_tracking(name: str, value: str) -> bool:
    name = name.lower()
    return (
        name.startswith("utm_")
        or name in _TRACKING
        or (name == "source" and _FEED_SOURCE.match(value) is not None)
    )


def normalise_title(title: str) -> str:
    """A title as compared: compatibility forms folded, case folded, punctuation and runs of
    whitespace read as one space ("Hello, World!" is "hello world")."""
    text = unicodedata.normalize("NFKC", title).casefold()
    return " ".join(_WORD.findall(text.replace("_", " ")))


@dataclass(frozen=True, slots=True)
class Text:
    """What the content rule compares of one entry."""

    words: int  # words of its own (not the title's, links or boilerplate), up to MIN_WORDS
    sketch: frozenset[int]  # the SKETCH smallest shingle hashes

    @property
    def short(self) -> bool:
        return self.words < MIN_WORDS


def text_of(entry: Entry, known: dict[str, tuple[int, int, int]] | None = None) -> Text:
    """The entry's text as the content rule reads it (an entry's HTML is read only here);
    `known` remembers words' hashes from text to text."""
    # Sanitised HTML: a "<" in text is always "&lt;", so this drops tags and nothing else.
    text = html.unescape(_TAG.sub(" ", entry.content_html)).casefold()
    if "://" in text or "www." in text:
        text = _URL.sub(" ", text)
    # Words as split by spaces, punctuation attached: copies of one text split alike, and
    # this is several times faster than a \w+ expression over a long text.
    words = text.split()
    title = set(_WORD.findall(entry.title.casefold()))
    own = 0
    for word in words:  # counted up to MIN_WORDS only: all the guard needs
        word = word.strip(_PUNCTUATION)
        if word and word not in title and word not in _BOILERPLATE:
            own += 1
            if own == MIN_WORDS:
                break
    # A shingle's hash from its words' hashes, each rotated by its place (a cyclic polynomial
    # hash, as in rolling hashes): one blake2b per distinct word, not one per shingle.
    known = {} if known is None else known
    ids = [known.get(w) or known.setdefault(w, _word_hash(w)) for w in words] or [(0, 0, 0)]
    shingles = {
        a[0] ^ b[1] ^ c[2] for a, b, c in zip(ids, ids[1:] or ids, ids[2:] or ids, strict=False)
    }
    return Text(words=own, sketch=frozenset(sorted(shingles)[:SKETCH]))


_TAG = re.compile(r"<[^>]*>")
_MASK = (1 << 64) - 1


def _word_hash(word: str) -> tuple[int, int, int]:
    """A word's 64-bit hash as the first, second and third word of a shingle (rotated by 0,
    21 and 42 bits, so "a b c" and "c b a" differ). blake2b, not hash(): the same on every
    run (hash() of a str changes from process to process)."""
    h = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=8).digest(), "big")
    return h, ((h << 21) | (h >> 43)) & _MASK, ((h << 42) | (h >> 22)) & _MASK


def similarity(a: Text, b: Text) -> float:
    """The estimated Jaccard similarity of two texts' shingle sets (bottom-k MinHash: of the k
    smallest hashes of the union, the share that both texts have)."""
    union = sorted(a.sketch | b.sketch)[:SKETCH]
    if not union:
        return 0.0
    both = a.sketch & b.sketch
    return sum(1 for h in union if h in both) / len(union)


def dedup(
    entries: tuple[Entry, ...],
    config: DedupConfig,
    feed_tags: Mapping[str, tuple[str, ...]] | None = None,
    bodies: Whole = as_is,
) -> Deduped:
    """The entries to show (in the order given) and each one's copies; `feed_tags` are the
    feeds' config tags (slug -> tags), which a shown entry takes from its copies' feeds.
    `bodies` reads the body of an entry read from the index: the content rule compares the
    texts of the few posts whose titles match."""
    if config.mode == "off":
        return Deduped(entries, {}, ())
    merger = _Merger(entries)
    merger.by_link()
    if config.mode == "content":
        merger.by_content(config.threshold, config.window, bodies)
    return merger.result(config.prefer, feed_tags or {})


class _Merger:
    """Union-find over entry indexes, each cluster holding at most one entry per source."""

    def __init__(self, entries: tuple[Entry, ...]) -> None:
        self.entries = entries
        self.parent = list(range(len(entries)))
        self.sources: dict[int, set[str]] = {}  # root -> its members' sources (clusters > 1)
        # index -> (rule, similarity) of the first merge that took it in (for the report)
        self.why: dict[int, tuple[DedupRule, float]] = {}

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, i: int, j: int, rule: DedupRule, score: float) -> bool:
        a, b = self.find(i), self.find(j)
        if a == b:
            return False
        sa = self.sources.get(a) or {self.entries[a].source}
        sb = self.sources.get(b) or {self.entries[b].source}
        if sa & sb:  # one post has one copy per feed: never merge two entries of a feed
            return False
        self.parent[b] = a
        self.sources[a] = sa | sb
        self.sources.pop(b, None)
        self.why.setdefault(i, (rule, score))
        self.why.setdefault(j, (rule, score))
        return True

    def by_link(self) -> None:
        first: dict[str, int] = {}
        for i, entry in enumerate(self.entries):
            if entry.link is None or entry.source == POSTS_SOURCE:
                continue
            key = normalise_link(entry.link)
            if key in first:
                self.union(first[key], i, "link", 1.0)
            else:
                first[key] = i

    def by_content(self, threshold: float, window: int, bodies: Whole) -> None:
        buckets: dict[str, list[int]] = {}
        for i, entry in enumerate(self.entries):
            if entry.source != POSTS_SOURCE:
                title = normalise_title(entry.title)
                if title:
                    buckets.setdefault(title, []).append(i)
        texts: dict[int, Text] = {}
        word_hashes: dict[str, tuple[int, int, int]] = {}

        def text(i: int) -> Text:
            known = texts.get(i)
            if known is None:
                known = texts[i] = text_of(bodies(self.entries[i]), word_hashes)
            return known

        for members in buckets.values():
            if len(members) < 2 or len({self.entries[i].source for i in members}) < 2:
                continue
            # Oldest first: each entry is compared with the next ones in the window only.
            members.sort(key=lambda i: (self.entries[i].date, self.entries[i].source, i))
            for n, i in enumerate(members):
                end = self.entries[i].date.timestamp() + window
                for j in members[n + 1 : n + 1 + MAX_COMPARED]:
                    other = self.entries[j]
                    if other.date.timestamp() > end:
                        break
                    # Cheap checks first: a text is read only for a pair still apart.
                    if other.source == self.entries[i].source or self.find(i) == self.find(j):
                        continue
                    if text(i).short:
                        break
                    if text(j).short:
                        continue
                    score = similarity(text(i), text(j))
                    if score >= threshold:
                        self.union(i, j, "content", score)

    def result(self, prefer: tuple[str, ...], feed_tags: Mapping[str, tuple[str, ...]]) -> Deduped:
        if not self.sources:
            return Deduped(self.entries, {}, ())
        rank = {slug: n for n, slug in enumerate(prefer)}
        clusters: dict[int, list[int]] = {}
        for i in range(len(self.entries)):
            root = self.find(i)
            if root in self.sources:
                clusters.setdefault(root, []).append(i)

        def order(i: int) -> tuple[int, float, str, str]:
            e = self.entries[i]
            return (rank.get(e.source, len(rank)), e.date.timestamp(), e.source, e.id)

        shown_as: dict[int, Entry] = {}  # index of a shown entry -> it, with the copies' tags
        hidden: set[int] = set()
        also_in: dict[tuple[str, str], tuple[Entry, ...]] = {}
        copies_of: dict[int, list[int]] = {}
        for members in clusters.values():
            members.sort(key=order)
            head, rest = members[0], members[1:]
            shown = self.entries[head]
            copies = [self.entries[i] for i in rest]
            tags = dict.fromkeys(shown.tags)
            for copy in copies:
                tags.update(dict.fromkeys((*feed_tags.get(copy.source, ()), *copy.tags)))
            if len(tags) > len(shown.tags):
                shown = edited(shown, tags=tuple(tags))
            shown_as[head] = shown
            also_in[(shown.source, shown.id)] = tuple(copies)
            copies_of[head] = rest
            hidden.update(rest)
        kept = []
        duplicates = []
        for i, entry in enumerate(self.entries):
            if i in hidden:
                continue
            kept.append(shown_as.get(i, entry))
            for c in copies_of.get(i, ()):
                rule, score = self.why[c]
                duplicates.append(Duplicate(shown_as[i], self.entries[c], rule, score))
        return Deduped(tuple(kept), also_in, tuple(duplicates))
