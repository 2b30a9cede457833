#!/usr/bin/env python3
"""Build the offline sample feeds in `samples/` from the saved aggregator page.

Input:  samples/seed/aggregator-page.txt -- the plain text of an RSS aggregator page that
        showed ~20 LessWrong posts in full (two lines of page chrome, then for each post a
        title line, body lines and a closing "Discuss" line, then a pager from "Страницы").
Output: samples/lesswrong.xml       RSS 2.0, every post
        samples/alignmentforum.xml  Atom 1.0, the posts listed in AF_TITLES

The text is real; links, ids, authors (except where the body names the author), dates and
tags are synthetic and derived from the titles only, so the same seed always gives
byte-identical files. No wall-clock time is read.

The page text lost its markup; `parse_body` rebuilds what can be rebuilt reliably: "- "
lines become <ul>, "1. " runs become <ol>, trailing "- ^" footnote sections become
<ol class="footnotes">, and headings glued onto the next paragraph ("How It StartedIt was")
become <h2> when the join is unambiguous (see `heading_cut`).

    python scripts/make_samples.py           # (re)write the two feeds
    python scripts/make_samples.py --check   # verify the files are up to date, print a table
"""

from __future__ import annotations

import argparse
import hashlib
import html
import re
import sys
import unicodedata
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "samples" / "seed" / "aggregator-page.txt"
LW_OUT = ROOT / "samples" / "lesswrong.xml"
AF_OUT = ROOT / "samples" / "alignmentforum.xml"

CHROME = ("Вы здесь", "Сборщик RSS-лент")
PAGER = "Страницы"
DISCUSS = "Discuss"

LW_SITE = "https://www.lesswrong.com"
AF_SITE = "https://www.alignmentforum.org"
LW_DESCRIPTION = "A community blog devoted to refining the art of rationality"
AF_SUBTITLE = "A community blog devoted to technical AI alignment research"

# The posts that are most clearly technical alignment research; they appear in both feeds,
# as LessWrong cross-posts Alignment Forum posts.
AF_TITLES = (
    "Hello, World of Mechanistic Interpetability",
    "The Artificial Self",
    "How post-training shapes legal representations: probing SCOTUS opinions across model families",
    "LLM Misalignment Can be One Gradient Step Away, and Blackbox Evaluation Cannot Detect It.",
    "Self-Recognition Finetuning can Reverse and Prevent Emergent Misalignment",
)

# Synthetic, made-up handles. A post whose body names its author uses that name instead.
AUTHORS = (
    "quietprior",
    "tangent_space",
    "Halcyon",
    "bayes_otter",
    "Ferrous Wheel",
    "lumenkeeper",
    "Orthogonal Owl",
    "driftwood",
)
AUTHOR_OVERRIDES = {
    # "Nataliia plans the work and turns research drafts into posts ... corresponding author"
    "Hello, World of Mechanistic Interpetability": "Nataliia Povarova",
    # "entirely self-funded by its director (me)" ... "Core Team- Jessica P. Wang, Director"
    "Safe AI Germany (SAIGE)": "Jessica P. Wang",
}

# Publication dates are spread over this window; the page's first post is the newest.
DATE_START = datetime(2026, 3, 16, tzinfo=UTC)
DATE_END = datetime(2026, 3, 23, tzinfo=UTC)  # exclusive: the window is 16..22 March

# Tag vocabulary, in display order, with the patterns that vote for each tag.
TAG_RULES: tuple[tuple[str, str], ...] = (
    (
        "AI",
        r"\bAIs?\b|\bLLMs?\b|\bAGI\b|\bASIs?\b|(?i:language models?|neural net|finetun"
        r"|fine-tun|superintelligen)|\bGPT|\bClaude\b|Anthropic|OpenAI|Gemini|DeepSeek|\bQwen",
    ),
    (
        "Interpretability",
        r"(?i:interpretab|mechinterp|\bprob(?:e|es|ing)\b|activations?\b|residual stream"
        r"|attention heads?|steering|representations?\b)",
    ),
    (
        "Alignment",
        r"(?i:\balign(?:ed|ment)\b|misalign|AI safety|AI risk|\bs-risks?\b|corrigib|oversight"
        r"|takeover|self-replicat|scheming|harmless|harmful|refus(?:al|e))",
    ),
    (
        "Rationality",
        r"(?i:rational(?:ity|ist)?\b|epistem|\bbeliefs?\b|Bayes|intuitions?\b|calibrat"
        r"|justif|truth|defeaters?|reflective equilibrium)",
    ),
    (
        "Community",
        r"(?i:communit|LessWrong|\bLW\b|Discord|co-founder|navigators?|field-building"
        r"|incubator|mentor|volunteer|sign(?:ing)? up|register)",
    ),
    (
        "Practical",
        r"(?i:meetings?\b|schedul|productiv|practicing|running|runners?|marathon|sprint"
        r"|\bwalk|mental math|health|longevity)",
    ),
    (
        "World Modeling",
        r"(?i:econom|\blabou?r\b|migra|remittance|poverty|wages?\b|salary|cities\b|children"
        r"|school|government|history|historical)",
    ),
    ("Meetups", r"(?i:meetup|\bseder\b|potluck|this event|will be held|RSVP)"),
)
TAG_PATTERNS = tuple((tag, re.compile(rx)) for tag, rx in TAG_RULES)
TAG_MIN_SCORE = 4.0
TAG_MAX = 3

# --- reading the page ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RawPost:
    title: str
    lines: tuple[str, ...]


def read_posts(text: str) -> list[RawPost]:
    """Split the page into posts: title line, body lines, "Discuss"; chrome and pager dropped."""
    lines = [line.rstrip() for line in text.split("\n")]
    if tuple(lines[: len(CHROME)]) != CHROME:
        raise SystemExit(f"seed: expected the page chrome {CHROME!r} on the first lines")
    try:
        end = lines.index(PAGER)
    except ValueError:
        raise SystemExit(f"seed: no pager line {PAGER!r}") from None
    posts: list[RawPost] = []
    current: list[str] = []
    for line in lines[len(CHROME) : end]:
        if line == DISCUSS:
            body = [x for x in current[1:] if x.strip()]
            if not current or not body:
                raise SystemExit(f"seed: a post without a title or body before line {line!r}")
            posts.append(RawPost(current[0].strip(), tuple(body)))
            current = []
        elif line.strip() or current:
            current.append(line)
    if any(x.strip() for x in current):
        raise SystemExit(f"seed: text after the last {DISCUSS!r}: {current[0][:60]!r}")
    return posts


# --- rebuilding structure -----------------------------------------------------------------

# MathJax's CSS leaked into two paragraphs; the formulas themselves are lost.
MATH_CSS = re.compile(r'mjx-container\[jax="CHTML"\].*\}')
MATH = "[math]"

# The joins the flattening produced. A glued pair such as "StartedIt" occurs once in the
# page and its right half ("It") is a word of its own elsewhere, while real CamelCase names
# recur (LessWrong, OpenRouter) or have no such half (CourtListener): see Page.camel_join.
WORD_L = r"[A-Za-z]+"
HEADING_MAX_WORDS = 8
LEAD_MAX_WORDS = 6
SENTENCE_STARTERS = frozenset(
    {"The", "This", "That", "These", "Those", "When", "We", "It", "In", "Our", "So", "But"}
    | {"And", "If", "As", "For", "Then", "There", "Here", "What", "How", "Why"}
)
URL = re.compile(r"https?://[^\s<>\"]+")
URL_TRAILING = ".,;:!?)'\"\u201d\u2019"


class Page:
    """The whole seed text, for the uniqueness test on glued tokens."""

    def __init__(self, text: str) -> None:
        self.text = text

    def unique(self, token: str) -> bool:
        return self.text.count(token) == 1

    def standalone(self, word: str, flags: int = 0) -> bool:
        pattern = r"(?<![A-Za-z;])" + re.escape(word) + r"(?![A-Za-z])"
        return re.search(pattern, self.text, flags) is not None

    def camel_join(self, left: str, right: str) -> bool:
        """Whether "leftRight" is two words run together rather than one CamelCase name:
        the pair occurs only here, and the right half is a word found on its own elsewhere
        ("StartedIt": yes; "LessWrong", "CourtListener": no)."""
        return self.unique(left + right) and self.standalone(right, re.IGNORECASE)


@dataclass(slots=True)
class Para:
    text: str
    lead: str | None = None  # a run-in heading, rendered bold
    caption: bool = False


@dataclass(slots=True)
class Heading:
    text: str


@dataclass(slots=True)
class ItemList:
    ordered: bool
    items: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Code:
    lines: list[str]


Block = Para | Heading | ItemList | Code


@dataclass(slots=True)
class Body:
    blocks: list[Block]
    footnotes: list[tuple[int, list[str]]]  # (number, paragraphs); empty ones left out
    notes: list[str]  # what was ambiguous or dropped, for the report


def clean_math(line: str) -> str:
    if not MATH_CSS.search(line):
        return line
    line = MATH_CSS.sub(f" {MATH} ", line)
    superscripts = "[\u2070\u00b9\u00b2\u00b3\u2074-\u2079]+"
    line = re.sub(rf"(?<!\S){superscripts}(?!\S)", MATH, line)  # remnants of a formula
    line = re.sub(r"(?<=[A-Za-z]) +([.,])(?=\s|$)", f" {MATH}\\1", line)  # a formula vanished
    line = re.sub(rf"{re.escape(MATH)}(?:\s+{re.escape(MATH)})+", MATH, line)
    line = re.sub(rf"(?<={re.escape(MATH)}) +([.,])", r"\1", line)
    return re.sub(r" {2,}", " ", line).strip()


def _word_count(text: str) -> int:
    return len(text.split())


def heading_cut(text: str, page: Page) -> int | None:
    """Where a heading glued to the start of `text` ends, or None.

    Accepted joins within the first HEADING_MAX_WORDS words: "?" or ")" followed by a
    capital ("Do system prompts need to match?The"); a lowercase letter followed by a
    capital where `Page.camel_join` says so ("How It StartedIt was"); a lowercase letter
    followed by a unique "1) " (a numbered sub-heading); an acronym that also stands alone
    in the page followed by a capitalised word, the pair being unique ("A Summary of
    SAIGEWe aim", "Findings / TL;DRAbstract"). The heading must start with a capital or
    "N) " and hold no sentence punctuation; the rest must be at least three words.
    """
    if not re.match(r"[A-Z]|\d+\) ", text):
        return None
    candidates: list[int] = []
    for m in re.finditer(r"(?<=[?)])(?=[A-Z])", text):
        candidates.append(m.start())  # "match?The", "(s)Word": never inside a word
    for m in re.finditer(r"(?<=[a-z])(?=[A-Z])", text):
        left = re.search(WORD_L + "$", text[: m.start()])
        right = re.match(WORD_L, text[m.start() :])
        if left and right and page.camel_join(left.group(), right.group()):
            candidates.append(m.start())
    for m in re.finditer(r"(?<=[a-z])(?=\d+\) [A-Z])", text):
        left = re.search(WORD_L + "$", text[: m.start()])
        right = re.match(r"\d+\)", text[m.start() :])
        if left and right and page.unique(left.group() + right.group()):
            candidates.append(m.start())
    for m in re.finditer(r"(?<=[A-Z])(?=[A-Z][a-z])", text):
        i = m.start()
        left = re.search(r"[A-Za-z;]+$", text[:i])
        right = re.match(WORD_L, text[i:])
        if (
            left
            and right
            and len(left.group()) >= 2
            and left.group().upper() == left.group()
            and page.standalone(left.group())
            and page.unique(left.group() + right.group())
        ):
            candidates.append(i)
    for i in sorted(candidates):
        head, rest = text[:i].strip(), text[i:]
        if _word_count(head) > HEADING_MAX_WORDS:
            break
        if re.search(r"[.!]|\?.", head) or _word_count(rest) < 3:
            continue
        return i
    return None


def lead_cut(text: str) -> int | None:
    """Where a short run-in heading ends ("Technical advisors:Advise", "The simulacra
    framework.The framing"), or None. A colon or full stop followed directly by a capital
    is not ordinary prose."""
    m = re.match(r"[A-Z][^.:!?]*?[a-z)][.:](?=[A-Z])", text)
    if not m or _word_count(m.group()) > LEAD_MAX_WORDS:
        return None
    return m.end()


def sentence_cut(text: str, page: Page) -> int | None:
    """The first place a paragraph break was lost mid-line, or None.

    "dataset.Methodology", "(bottom)When", "theoremThe": a sentence end, ")" or "%" with no space
    before a capital, or a lowercase letter run into a common sentence-starting word; the
    join must not be inside a URL, and a letter-letter join must pass `Page.camel_join`.
    """
    urls = [m.span() for m in URL.finditer(text)]
    for m in re.finditer(
        r"(?<=[a-z][.?!])(?=[A-Z])|(?<=[)%])(?=[A-Z][a-z])|(?<=[a-z])(?=[A-Z])", text
    ):
        i = m.start()
        if any(a <= i < b for a, b in urls):
            continue
        left = re.search(WORD_L + "$", text[:i])
        right = re.match(WORD_L, text[i:])
        if _word_count(text[:i]) < 2 or not right:
            continue
        if not left:
            return i  # after ".", "?", "!" or ")"
        if right.group() in SENTENCE_STARTERS and page.camel_join(left.group(), right.group()):
            return i
    return None


def split_paragraph(text: str, page: Page) -> list[Block]:
    """One flattened line -> headings and paragraphs, undoing the joins found above."""
    blocks: list[Block] = []
    rest = text
    while rest:
        cut = heading_cut(rest, page)
        if cut is not None:
            blocks.append(Heading(rest[:cut].strip()))
            rest = rest[cut:]
            continue
        lead = None
        cut = lead_cut(rest)
        if cut is not None:
            lead, rest = rest[:cut].strip(), rest[cut:]
        cut = sentence_cut(rest, page)
        para_text, rest = (rest, "") if cut is None else (rest[:cut], rest[cut:])
        blocks.append(Para(para_text.strip(), lead, para_text.startswith("Figure ")))
    return blocks


def split_footnotes(lines: list[str]) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Split off a trailing footnote section: "- ^" markers, each followed by its text."""
    start = next((i for i, line in enumerate(lines) if line == "- ^"), None)
    if start is None:
        return lines, []
    tail = lines[start:]
    if any(line.startswith("-") and line != "- ^" for line in tail):
        return lines, []  # not clearly a trailing section
    notes: list[tuple[int, list[str]]] = []
    for line in tail:
        if line == "- ^":
            notes.append((len(notes) + 1, []))
        else:
            notes[-1][1].append(line)
    return lines[:start], [note for note in notes if note[1]]


def parse_body(raw: RawPost, page: Page) -> Body:
    notes: list[str] = []
    lines, footnotes = split_footnotes([clean_math(line) for line in raw.lines])
    blocks: list[Block] = []

    def add_item(text: str, ordered: bool = False) -> None:
        last = blocks[-1] if blocks else None
        if not (isinstance(last, ItemList) and last.ordered == ordered):
            last = ItemList(ordered)
            blocks.append(last)
        last.items.append(text)

    i = 0
    while i < len(lines):
        line = lines[i].strip()
        i += 1
        if not line or re.fullmatch(r"[,;]+", line):
            if line:
                notes.append(f"dropped stray {line!r}")
            continue
        if line in ("-", "- ^"):
            nxt = lines[i].strip() if i < len(lines) else ""
            if line == "-" and nxt and not nxt.startswith("-"):
                add_item(nxt)  # the bullet and its text ended up on separate lines
                i += 1
            else:
                notes.append(f"dropped stray {line!r}")
            continue
        if line.startswith("- "):
            # "... Nuremberg. - Phase II:" -- two items run together
            for item in re.split(r"(?<=[.;]) - (?=[A-Z])", line[2:]):
                add_item(item.strip())
            continue
        if m := re.match(r"(\d+)\. (.+)", line):
            last = blocks[-1] if blocks else None
            expected = len(last.items) + 1 if isinstance(last, ItemList) and last.ordered else 1
            if int(m.group(1)) == expected:
                add_item(m.group(2), ordered=True)
                continue
        if line.startswith(("{%", "{{")):
            last = blocks[-1] if blocks else None
            if isinstance(last, Code):
                last.lines.append(line)
            else:
                blocks.append(Code([line]))
            continue
        # "Links- Website: lensacademy.org": a heading glued to the first item of a list
        m = re.match(r"([A-Z][^.!?:-]*[a-z])- (\S.*)", line)
        if m and _word_count(m.group(1)) <= HEADING_MAX_WORDS:
            blocks.append(Heading(m.group(1)))
            add_item(m.group(2))
            continue
        blocks.extend(split_paragraph(line, page))
    return Body(blocks, footnotes, notes)


# --- rendering ------------------------------------------------------------------------------


def esc(text: str) -> str:
    return html.escape(text, quote=False)


def inline(text: str, refs: dict[int, str] | None = None) -> str:
    """Escape text; link bare URLs; turn [n] into footnote references when n is a footnote."""
    out: list[str] = []
    pos = 0
    for m in URL.finditer(text):
        url = m.group().rstrip(URL_TRAILING)
        out.append(_refs(esc(text[pos : m.start()]), refs))
        out.append(f'<a href="{html.escape(url)}">{esc(url)}</a>')
        pos = m.start() + len(url)
    out.append(_refs(esc(text[pos:]), refs))
    return "".join(out)


def _refs(escaped: str, refs: dict[int, str] | None) -> str:
    if not refs:
        return escaped

    def sub(m: re.Match[str]) -> str:
        n = int(m.group(1))
        if n not in refs:
            return m.group()
        return f'<sup class="footnote-ref"><a href="#{refs[n]}">[{n}]</a></sup>'

    return re.sub(r"\[(\d+)\]", sub, escaped)


def render_body(body: Body, post_id: str, link: str) -> str:
    refs = {n: f"fn-{post_id}-{n}" for n, _ in body.footnotes}
    parts: list[str] = []
    for block in body.blocks:
        if isinstance(block, Heading):
            parts.append(f"<h2>{inline(block.text)}</h2>")
        elif isinstance(block, ItemList):
            tag = "ol" if block.ordered else "ul"
            items = "".join(f"<li>{inline(item, refs)}</li>" for item in block.items)
            parts.append(f"<{tag}>{items}</{tag}>")
        elif isinstance(block, Code):
            parts.append("<pre><code>" + esc("\n".join(block.lines)) + "</code></pre>")
        else:
            text = inline(block.text, refs)
            if block.caption:
                text = f"<em>{text}</em>"
            if block.lead:
                text = f"<strong>{inline(block.lead)}</strong> {text}"
            parts.append(f"<p>{text}</p>")
    if body.footnotes:
        notes: list[str] = []
        previous = 0
        for n, paras in body.footnotes:
            value = "" if n == previous + 1 else f' value="{n}"'
            previous = n
            content = (
                inline(paras[0], refs)
                if len(paras) == 1
                else "".join(f"<p>{inline(p, refs)}</p>" for p in paras)
            )
            notes.append(f'<li id="{refs[n]}"{value}>{content}</li>')
        parts.append('<ol class="footnotes">' + "".join(notes) + "</ol>")
    parts.append(f'<p><a href="{html.escape(link)}#comments">Discuss</a></p>')
    return "\n".join(parts)


# --- synthetic metadata ---------------------------------------------------------------------


def _digest(kind: str, title: str) -> int:
    return int.from_bytes(hashlib.sha1(f"{kind}\0{title}".encode()).digest(), "big")


def post_id(title: str) -> str:
    """17 lowercase base-36 characters from a sha1 of the title (LessWrong ids have 17)."""
    n = int.from_bytes(hashlib.sha1(title.encode()).digest(), "big")
    alphabet = "0123456789abcdefghijklmnopqrstuvwxyz"
    chars = []
    for _ in range(17):
        n, r = divmod(n, 36)
        chars.append(alphabet[r])
    return "".join(chars)


def slugify(title: str) -> str:
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")


def pick_author(title: str) -> str:
    return AUTHOR_OVERRIDES.get(title) or AUTHORS[_digest("author", title) % len(AUTHORS)]


def pick_tags(title: str, text: str) -> tuple[str, ...]:
    """Score = 4 per title match + body matches per 1,000 words (capped at 8); best 1-3."""
    words = max(_word_count(text), 1)
    scored: list[tuple[float, int, str]] = []
    for rank, (tag, pattern) in enumerate(TAG_PATTERNS):
        score = 4.0 * len(pattern.findall(title)) + min(
            8.0, 1000.0 * len(pattern.findall(text)) / words
        )
        scored.append((-score, rank, tag))
    scored.sort()
    chosen = [(rank, tag) for neg, rank, tag in scored if -neg >= TAG_MIN_SCORE][:TAG_MAX]
    chosen = chosen or [(scored[0][1], scored[0][2])]
    return tuple(tag for _, tag in sorted(chosen))


def pick_dates(titles: list[str]) -> list[datetime]:
    """One date per post, newest first: each post gets its own slot of the window, and a
    title-derived moment inside it (away from the slot edges), so the order is strict."""
    slot = (DATE_END - DATE_START) / len(titles)
    margin = timedelta(minutes=20)
    room = int((slot - 2 * margin).total_seconds())
    dates = []
    for i, title in enumerate(titles):
        slot_start = DATE_START + slot * (len(titles) - 1 - i)
        offset = timedelta(seconds=_digest("date", title) % room)
        dates.append((slot_start + margin + offset).replace(microsecond=0))
    return dates


@dataclass(frozen=True, slots=True)
class Post:
    title: str
    id: str
    slug: str
    author: str
    tags: tuple[str, ...]
    published: datetime
    body: Body
    in_af: bool

    def link(self, site: str) -> str:
        return f"{site}/posts/{self.id}/{self.slug}"


def build_posts(text: str) -> list[Post]:
    page = Page(text)
    raws = read_posts(text)
    titles = [raw.title for raw in raws]
    if len(set(titles)) != len(titles):
        raise SystemExit("seed: two posts share a title")
    missing = [t for t in AF_TITLES if t not in titles]
    if missing:
        raise SystemExit(f"seed: AF_TITLES not found in the page: {missing}")
    dates = pick_dates(titles)
    posts = []
    for raw, published in zip(raws, dates, strict=True):
        posts.append(
            Post(
                title=raw.title,
                id=post_id(raw.title),
                slug=slugify(raw.title),
                author=pick_author(raw.title),
                tags=pick_tags(raw.title, "\n".join(map(clean_math, raw.lines))),
                published=published,
                body=parse_body(raw, page),
                in_af=raw.title in AF_TITLES,
            )
        )
    return posts


# --- feeds ------------------------------------------------------------------------------------


def cdata(text: str) -> str:
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def rfc822(when: datetime) -> str:
    return format_datetime(when, usegmt=True)


def rfc3339(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def render_rss(posts: list[Post]) -> str:
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"'
        ' xmlns:atom="http://www.w3.org/2005/Atom">',
        "<channel>",
        "<title>LessWrong</title>",
        f"<link>{LW_SITE}</link>",
        f"<description>{esc(LW_DESCRIPTION)}</description>",
        "<language>en</language>",
        f"<lastBuildDate>{rfc822(posts[0].published)}</lastBuildDate>",
        f'<atom:link href="{LW_SITE}/feed.xml" rel="self" type="application/rss+xml"/>',
    ]
    for post in posts:
        link = post.link(LW_SITE)
        out += [
            "<item>",
            f"<title>{esc(post.title)}</title>",
            f"<link>{esc(link)}</link>",
            f'<guid isPermaLink="true">{esc(link)}</guid>',
            f"<comments>{esc(link)}#comments</comments>",
            f"<dc:creator>{esc(post.author)}</dc:creator>",
            *(f"<category>{esc(tag)}</category>" for tag in post.tags),
            f"<pubDate>{rfc822(post.published)}</pubDate>",
            f"<description>{cdata(render_body(post.body, post.id, link))}</description>",
            "</item>",
        ]
    out += ["</channel>", "</rss>", ""]
    return "\n".join(out)


def render_atom(posts: list[Post]) -> str:
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en">',
        "<title>AI Alignment Forum</title>",
        f"<subtitle>{esc(AF_SUBTITLE)}</subtitle>",
        f'<link rel="alternate" type="text/html" href="{AF_SITE}"/>',
        f'<link rel="self" type="application/atom+xml" href="{AF_SITE}/feed.xml"/>',
        f"<id>{AF_SITE}/feed.xml</id>",
        f"<updated>{rfc3339(posts[0].published)}</updated>",
    ]
    for post in posts:
        link = html.escape(post.link(AF_SITE))
        out += [
            "<entry>",
            f"<title>{esc(post.title)}</title>",
            f'<link rel="alternate" type="text/html" href="{link}"/>',
            f'<link rel="replies" type="text/html" href="{link}#comments"/>',
            f"<id>{link}</id>",
            f"<published>{rfc3339(post.published)}</published>",
            f"<updated>{rfc3339(post.published)}</updated>",
            f"<author><name>{esc(post.author)}</name></author>",
            *(f'<category term="{html.escape(tag)}"/>' for tag in post.tags),
            f'<content type="html">{esc(render_body(post.body, post.id, post.link(AF_SITE)))}'
            "</content>",
            "</entry>",
        ]
    out += ["</feed>", ""]
    return "\n".join(out)


def render_all(seed_text: str) -> tuple[list[Post], dict[Path, str]]:
    posts = build_posts(seed_text)
    return posts, {
        LW_OUT: render_rss(posts),
        AF_OUT: render_atom([post for post in posts if post.in_af]),
    }


# --- command line -----------------------------------------------------------------------------


def summary(posts: list[Post]) -> str:
    rows = [("#", "title", "published (UTC)", "feeds", "tags", "author", "html")]
    for i, post in enumerate(posts, 1):
        body = render_body(post.body, post.id, post.link(LW_SITE))
        rows.append(
            (
                str(i),
                post.title if len(post.title) <= 44 else post.title[:43] + "…",
                post.published.strftime("%a %m-%d %H:%M"),
                "LW+AF" if post.in_af else "LW",
                ", ".join(post.tags),
                post.author,
                str(len(body)),
            )
        )
    widths = [max(len(row[c]) for row in rows) for c in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )


def _same(path: Path, text: str) -> bool:
    return path.exists() and path.read_bytes() == text.encode("utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; fail if the feeds differ from a fresh build; print a summary",
    )
    args = parser.parse_args(argv)
    posts, files = render_all(SEED.read_text(encoding="utf-8"))
    if args.check:
        stale = [path for path, text in files.items() if not _same(path, text)]
        for text in files.values():
            ET.fromstring(text.encode("utf-8"))  # well-formed XML, or this raises
        print(summary(posts))
        for post in posts:
            for note in post.body.notes:
                print(f"note: {post.title[:40]}: {note}")
        if stale:
            names = ", ".join(str(p.relative_to(ROOT)) for p in stale)
            print(f"out of date: {names}; run python scripts/make_samples.py", file=sys.stderr)
            return 1
        return 0
    for path, text in files.items():
        path.write_bytes(text.encode("utf-8"))
        print(f"wrote {path.relative_to(ROOT)}")
    print(f"{len(posts)} posts, {sum(p.in_af for p in posts)} of them also on the AF feed")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
