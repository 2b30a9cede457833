"""Each post once: the same post from two feeds is shown once, with "also in" linking to the
other copy (digest/site/dedup.py, `[dedup]`), and the other copy is listed on its own source's
pages only, linking to it. Unit tests of the rules and the guard, the config, then `digest
build` over two loopback feeds and over caches, and incremental builds where a copy arrives
or the post it is shown under moves."""

from __future__ import annotations

import json
import random
import re
import string
import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from helpers import (
    FeedServer,
    Item,
    committed_example,
    html_pages,
    page_text,
    rss,
    tree,
    write_config,
)
from htmlcheck import validate_html
from test_incremental import add_entries, fresh, project, run, to_render

from digest import routes
from digest.cli import main
from digest.config import parse_config
from digest.errors import ConfigError
from digest.models import POSTS_SOURCE, DedupConfig, Entry
from digest.site.dedup import MIN_WORDS, dedup, normalise_link, normalise_title, similarity, text_of

NOW = datetime(2026, 3, 22, 12, 0, tzinfo=UTC)
# A vocabulary large enough that two texts drawn from it share few word triples.
WORDS = """model models agent agents reward training gradient circuit circuits neuron feature
    features layer attention head heads token tokens loss policy value alignment inner outer
    goal goals behaviour interpret interpretability mechanistic activation activations probe
    probes sparse dictionary superposition evidence argument claim result results experiment
    we they it this that which shows suggests implies because although however therefore and
    or but not with without into over under between across large small simple complex early
    late new old first second third next previous paper post essay draft note thread"""
VOCABULARY = WORDS.split()


def prose(seed: int, words: int = 300) -> str:
    """`words` words of text, the same for the same seed."""
    rng = random.Random(seed)
    text = " ".join(rng.choice(VOCABULARY) for _ in range(words))
    return f"<p>{text}.</p>"


def entry(
    source: str,
    n: int,
    title: str,
    body: str,
    hours: float = 0,
    link: str | None = None,
    tags: tuple[str, ...] = (),
) -> Entry:
    when = NOW - timedelta(hours=hours)
    return Entry(
        id=f"{source}-{n}",
        source=source,
        title=title,
        link=link if link is not None else f"https://{source}.example/posts/{n}",
        author=None,
        published=when,
        updated=None,
        first_seen=when,
        tags=tags,
        content_html=body,
    )


def shown(entries: list[Entry], config: DedupConfig | None = None) -> list[str]:
    result = dedup(tuple(entries), config or DedupConfig())
    return [e.id for e in result.entries]


# --- the link rule ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("https://www.Example.COM/posts/1/", "https://example.com/posts/1"),
        ("HTTP://example.com:80/posts/1", "https://example.com:443/posts/1"),
        ("https://example.com/p?utm_source=rss&utm_medium=feed", "https://example.com/p"),
        ("https://example.com/p?b=2&fbclid=x&a=1&gclid=y", "https://example.com/p?a=1&b=2"),
        ("https://example.com/p?ref=hn&mc_cid=1&mc_eid=2&ref_src=t", "https://example.com/p"),
        ("https://medium.com/p?source=rss----abc", "https://medium.com/p"),
        ("https://example.com/p#comments", "https://example.com/p"),
    ],
)
def test_links_that_name_one_page_normalise_alike(a: str, b: str) -> None:
    assert normalise_link(a) == normalise_link(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("https://example.com/p?id=1", "https://example.com/p?id=2"),
        ("https://example.com/Posts/1", "https://example.com/posts/1"),  # paths keep their case
        ("https://example.com:8080/p", "https://example.com/p"),
        ("https://example.com/p?source=newsletter-7", "https://example.com/p"),
        ("https://lesswrong.com/posts/x/s", "https://alignmentforum.org/posts/x/s"),
    ],
)
def test_links_to_different_pages_stay_different(a: str, b: str) -> None:
    assert normalise_link(a) != normalise_link(b)


def test_plain_links_normalise_as_the_same_links_with_an_empty_query() -> None:
    """Most links (a lower-case host, a path, nothing else) take a short way; a link with a
    query, even an empty one, goes through urlsplit. Both must read them alike."""
    rng = random.Random(5)
    hosts = ["example.com", "www.example.com", "www.www.x", "a", "x.example.", "1.2.3.4", "a-b.c"]
    path_chars = string.ascii_letters + string.digits + "./_~%:@!$&'()*+,;=-éü"
    for _ in range(3_000):
        path = "".join(rng.choice(path_chars) for _ in range(rng.randrange(12)))
        link = f"{rng.choice(['http', 'https'])}://{rng.choice(hosts)}/{path}".rstrip()
        assert normalise_link(link) == normalise_link(link + "?"), link
    assert normalise_link("http://www.example.com/a/b/") == "https://example.com/a/b"


@pytest.mark.parametrize(
    "link",
    [
        *("", "https://[::1", "https://[::1]:99999/x", "https://x.example/?a=%zz&&=&utm_="),
        *("mailto:a@b", "https://x.example:0/", "//x.example/p", "https://u:p@X.example/p?r=1"),
        "\x00",
    ],
)
def test_odd_links_normalise_without_failing(link: str) -> None:
    a = entry("alpha", 1, "T", "", 1, link)
    b = entry("beta", 1, "T", "", 2, link)
    assert isinstance(normalise_link(link), str)
    assert shown([a, b]) == ["beta-1"]  # the same text is the same link, whatever it says


def test_the_same_link_from_two_feeds_is_one_post_shown_under_the_earlier_copy() -> None:
    a = entry("alpha", 1, "Title", "<p>x</p>", hours=1, link="https://www.x.example/p/1/")
    b = entry("beta", 1, "Other title", "<p>y</p>", hours=3, link="https://x.example/p/1?utm_x=1")
    c = entry("beta", 2, "Unrelated", "<p>z</p>", hours=2)
    result = dedup((a, c, b), DedupConfig(mode="link"))
    assert [e.id for e in result.entries] == ["beta-2", "beta-1"]
    assert result.also_in == {("beta", "beta-1"): (a,)}
    assert [(d.shown.id, d.copy.id, d.rule) for d in result.duplicates] == [
        ("beta-1", "alpha-1", "link")
    ]


def test_two_entries_of_one_feed_are_never_merged_even_through_a_third() -> None:
    link = "https://x.example/p"
    a1, a2 = entry("alpha", 1, "T", "", 1, link), entry("alpha", 2, "T", "", 2, link)
    b = entry("beta", 1, "T", "", 3, link)
    result = dedup((a1, a2, b), DedupConfig())
    assert [e.id for e in result.entries] == ["alpha-2", "beta-1"]  # b with a1, not a2 too
    assert result.also_in == {("beta", "beta-1"): (a1,)}


def test_hand_written_posts_are_never_merged() -> None:
    body = prose(10)
    post = entry(POSTS_SOURCE, 1, "Note", body, hours=1, link="https://x.example/p")
    copy = entry("alpha", 1, "Note", body, hours=2, link="https://x.example/p")
    assert shown([post, copy]) == [post.id, copy.id]


# --- the content rule and its guard -------------------------------------------------------


def test_titles_fold_case_punctuation_and_spacing() -> None:
    assert normalise_title("Hello, World of  Mechanistic Interpetability!") == normalise_title(
        "hello world of mechanistic interpetability"
    )
    assert normalise_title("\uff26\uff55\uff4c\uff4c\u2014width: \uff21") == "full width a"
    assert normalise_title("Part 1") != normalise_title("Part 2")


def test_near_identical_texts_with_one_title_on_two_hosts_are_one_post() -> None:
    body = prose(1)
    a = entry("lw", 1, "The Artificial Self", body + "<p>Discuss</p>", hours=2)
    b = entry("af", 1, "The artificial self.", body + "<p>Read more on the forum</p>", hours=5)
    result = dedup((a, b), DedupConfig())
    assert [e.id for e in result.entries] == ["af-1"]  # the earlier copy
    (merge,) = result.duplicates
    assert merge.rule == "content" and merge.similarity >= 0.9


def test_different_texts_with_one_title_are_two_posts() -> None:
    a = entry("lw", 1, "Open Thread", prose(1), hours=2)
    b = entry("af", 1, "Open Thread", prose(2), hours=5)
    assert similarity(text_of(a), text_of(b)) < 0.2
    assert shown([a, b]) == ["lw-1", "af-1"]


def test_the_threshold_decides_how_similar_is_the_same() -> None:
    words = prose(3, 400)[3:-5].split()
    half = " ".join(words[:200])
    a = entry("lw", 1, "Post", f"<p>{half} {' '.join(words[200:])}</p>", hours=1)
    b = entry("af", 1, "Post", f"<p>{half} {prose(4, 200)[3:-5]}</p>", hours=2)
    score = similarity(text_of(a), text_of(b))
    assert 0.2 < score < 0.6
    assert shown([a, b], DedupConfig(threshold=0.8)) == ["lw-1", "af-1"]
    assert shown([a, b], DedupConfig(threshold=score - 0.05)) == ["af-1"]


@pytest.mark.parametrize(
    "body",
    [
        "<p>Discuss</p>",
        "<p>Read more</p>",
        '<p><a href="https://x.example/p">Continue reading →</a></p>',
        "<p>Weekly Open Thread</p>",  # the title again
        "<p>https://x.example/posts/1</p>",  # a link
        "<p>Weekly Open Thread. Read more at https://x.example/p. Discuss.</p>",
        prose(5, MIN_WORDS - 5),
    ],
)
def test_short_or_boilerplate_bodies_never_merge_two_posts_by_content(body: str) -> None:
    a = entry("lw", 1, "Weekly Open Thread", body, hours=1)
    b = entry("af", 1, "Weekly open thread", body, hours=2)
    assert text_of(a).short
    assert shown([a, b]) == ["lw-1", "af-1"]
    # ...but the same link still does.
    same = entry("af", 1, "Weekly open thread", body, hours=2, link=a.link)
    assert shown([a, same]) == ["af-1"]


def test_a_text_just_long_enough_merges() -> None:
    body = prose(6, MIN_WORDS + 5)
    a, b = entry("lw", 1, "Note", body, hours=1), entry("af", 1, "Note", body, hours=2)
    assert not text_of(a).short
    assert shown([a, b]) == ["af-1"]


def test_copies_further_apart_than_the_window_are_two_posts() -> None:
    body = prose(7)
    a = entry("lw", 1, "Annual Review", body, hours=0)
    b = entry("af", 1, "Annual Review", body, hours=24 * 4)
    assert shown([a, b]) == ["lw-1", "af-1"]  # 3 days by default
    assert shown([a, b], DedupConfig(window=5 * 86400)) == ["af-1"]
    assert shown([a, b], DedupConfig(mode="link")) == ["lw-1", "af-1"]
    assert shown([a, b], DedupConfig(mode="off")) == ["lw-1", "af-1"]


def test_prefer_picks_the_shown_copy_and_tags_are_the_union() -> None:
    body = prose(8)
    a = entry("lw", 1, "Post", body, hours=1, tags=("AI",))
    b = entry("af", 1, "Post", body, hours=2, tags=("ai-alignment",))
    feed_tags = {"lw": ("Rationality",), "af": ("Alignment",)}
    result = dedup((a, b), DedupConfig(prefer=("lw",)), feed_tags)
    (kept,) = result.entries
    assert kept.id == "lw-1"
    assert set(kept.tags) == {"AI", "ai-alignment", "Alignment"}  # lw's own come from group
    assert result.also_in == {("lw", "lw-1"): (b,)}


def test_the_shown_copy_does_not_depend_on_input_order() -> None:
    body = prose(9)
    a = entry("lw", 1, "Post", body, hours=1)
    b = entry("af", 1, "Post", body, hours=1)  # same date: the source decides
    assert shown([a, b]) == shown([b, a]) == ["af-1"]


# --- [dedup] in config.toml ---------------------------------------------------------------

FEEDS = [
    {"url": "https://lw.example/feed", "name": "LessWrong"},
    {"url": "https://af.example/feed", "name": "AI Alignment Forum"},
]


def config_with(dedup_table: dict[str, Any]) -> DedupConfig:
    data = {"site": {"title": "T", "base_url": "https://x.example/"}, "feeds": FEEDS}
    return parse_config({**data, "dedup": dedup_table}, Path("/p/config.toml")).dedup


def test_dedup_config_reads_as_meant() -> None:
    assert config_with({}) == DedupConfig(mode="content", threshold=0.8, window=3 * 86400)
    parsed = config_with(
        {"mode": "link", "threshold": 0.9, "window": "2d", "prefer": ["ai-alignment-forum"]}
    )
    assert parsed == DedupConfig("link", 0.9, 2 * 86400, ("ai-alignment-forum",))
    assert config_with({"prefer": ["AI Alignment Forum", "LessWrong"]}).prefer == (
        "ai-alignment-forum",
        "lesswrong",
    )


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"mode": "fuzzy"}, 'dedup.mode: must be "off", "link"'),
        ({"threshold": 1.5}, "dedup.threshold: must be a number from 0 to 1"),
        ({"threshold": "high"}, "dedup.threshold: must be a number from 0 to 1"),
        ({"window": "3 days"}, "dedup.window: a duration such as"),
        ({"prefer": "LessWrong"}, "dedup.prefer: must be a list of feed names"),
        ({"prefer": ["LessWrong", "Hacker News"]}, "dedup.prefer[1]: 'Hacker News' names no feed"),
        ({"similarity": 0.9}, "dedup.similarity: unknown key"),
    ],
)
def test_a_bad_dedup_value_is_a_config_error_naming_the_key(
    table: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError) as raised:
        config_with(table)
    assert len(raised.value.problems) == 1 and raised.value.problems[0].startswith(message)


# --- end to end: two loopback feeds that cross-post ----------------------------------------

LW, AF = "https://www.lesswrong.com/", "https://www.alignmentforum.org/"
AF_NAME = "AI Alignment Forum"
CROSS = ["Hello, World of Mechanistic Interpetability", "The Artificial Self"]
CROSS += ["Sparse Autoencoders: A Primer", "Why Not Just Ask?"]


def cross_posting_feeds(server: FeedServer) -> None:
    """LessWrong and the Alignment Forum publish four posts each (different links and
    guids), LessWrong one post of its own, and each an "Open Thread" that only says Discuss."""
    start = datetime(2026, 3, 22, 9, 0, tzinfo=UTC)
    lw: list[Item] = []
    af: list[Item] = []
    for n, title in enumerate(CROSS):
        when = start - timedelta(hours=10 * n)
        body = prose(100 + n)
        # The first copy is LessWrong's for posts 0, 2, 3 and the Forum's for post 1.
        lw_when, af_when = (when, when + timedelta(hours=1))[:: -1 if n == 1 else 1]
        lw.append(Item(title, f"p{n}/post-{n}", lw_when, body + "<p>Discuss</p>", ("AI",)))
        af_slug = f"p{n}/post-{n}" if n else "p0/post-0/?utm_source=rss&amp;utm_medium=feed"
        af_title = title.upper() if n == 3 else title  # a title as the other feed writes it
        af.append(Item(af_title, af_slug, af_when, body, ("Interpretability",)))
    # Post 0 on the Forum is LessWrong's own link with tracking parameters.
    lw.append(Item("Only on LessWrong", "solo/only", start - timedelta(hours=50), prose(200)))
    lw.append(Item("Open Thread", "ot/lw", start - timedelta(hours=60), "<p>Discuss</p>"))
    af.append(Item("Open thread", "ot/af", start - timedelta(hours=61), "<p>Discuss</p>"))
    server.serve("/lw.xml", rss("LessWrong", LW, lw))
    af_feed = rss("AI Alignment Forum", AF, af)
    # The Forum's copy of post 0 links to LessWrong (its guid stays the Forum's own).
    af_feed = af_feed.replace(
        f"<link>{AF}posts/p0/".encode(), f"<link>{LW.replace('www.', '')}posts/p0/".encode()
    )
    server.serve("/af.xml", af_feed)


def cross_post_project(
    root: Path, server: FeedServer, language: str = "en", **dedup_table: object
) -> Path:
    path = write_config(
        root,
        [
            {"url": server.url("/lw.xml"), "name": "LessWrong", "tags": ["Rationality"]},
            {"url": server.url("/af.xml"), "name": "AI Alignment Forum", "tags": ["Alignment"]},
        ],
        per_page=20,
        language=language,
    )
    if dedup_table:
        lines = [f"{k} = {json.dumps(v)}" for k, v in dedup_table.items()]
        path.write_text(path.read_text() + "\n[dedup]\n" + "\n".join(lines) + "\n")
    return path


def titles(html: str) -> list[str]:
    return re.findall(r'class="entry-title"><a href="[^"]*">([^<]*)</a>', html)


def also_in(html: str) -> list[tuple[str, str]]:
    """(link, feed name) of every "Also in" link, in page order."""
    return re.findall(r'class="entry-also-in">Also in: <a href="([^"]*)">([^<]*)<span', html)


def shown_under(html: str) -> list[tuple[str, str]]:
    """(link, text) of every "Shown under" link (a merged copy on its source's page)."""
    return re.findall(r'class="entry-shown-under"><a href="([^"]*)">([^<]*)<span', html)


def test_each_cross_post_is_shown_once_with_also_in(
    tmp_path: Path, server: FeedServer, epoch: int, capsys: pytest.CaptureFixture[str]
) -> None:
    cross_posting_feeds(server)
    config = cross_post_project(tmp_path / "site", server)
    assert main(["build", "-v", "--config", str(config)]) == 0
    out = tmp_path / "site" / "output"
    home = (out / "index.html").read_text()

    folded = [t.casefold() for t in titles(home)]
    for title in CROSS:
        assert folded.count(title.casefold()) == 1, title
    assert folded.count("only on lesswrong") == 1
    assert folded.count("open thread") == 2, "short bodies with one title are two posts"
    assert len(folded) == 4 + 1 + 2
    # The earlier copy is shown (the Forum's for post 1), "also in" links the other one.
    assert also_in(home) == [
        (f"{LW.replace('www.', '')}posts/p0/post-0/?utm_source=rss&amp;utm_medium=feed", AF_NAME),
        (f"{LW}posts/p1/post-1", "LessWrong"),
        (f"{AF}posts/p2/post-2", AF_NAME),
        (f"{AF}posts/p3/post-3", AF_NAME),
    ]  # fmt: skip
    assert home.count('class="entry-also-in"') == 4  # not on the single or open-thread posts

    # Every listing and count sees each post once; tags are the union of both copies'.
    tags_index = page_text(out / "tags" / "index.html")
    assert "Interpretability (4)" in tags_index and "AI (4)" in tags_index
    assert "Alignment (5)" in tags_index and "Rationality (6)" in tags_index
    # The Forum's page lists all it published: its copies shown under LessWrong link there.
    forum_page = (out / "sources" / "ai-alignment-forum" / "index.html").read_text()
    assert [t.casefold() for t in titles(forum_page)] == [
        *(t.casefold() for t in CROSS),
        "open thread",
    ]
    assert [text for _, text in shown_under(forum_page)] == ["Shown under LessWrong"] * 3
    assert "AI Alignment Forum <small>(5)</small>" in forum_page

    a = "{http://www.w3.org/2005/Atom}"
    atom = ET.parse(out / "atom.xml").getroot().findall(f"{a}entry")
    atom_titles = [(e.findtext(f"{a}title") or "").casefold() for e in atom]
    assert len(atom_titles) == 7 and all(atom_titles.count(t.casefold()) == 1 for t in CROSS)
    tag_feed = ET.parse(out / "tags" / "interpretability" / "atom.xml").getroot()
    assert len(tag_feed.findall(f"{a}entry")) == 4
    items = json.loads((out / "feed.json").read_text())["items"]
    assert len(items) == 7 and sorted(len(i.get("tags", [])) for i in items)[-4:] == [4] * 4
    assert [i["_digest"].get("also_in") for i in items][1:3] == [
        [{"title": "LessWrong", "url": f"{LW}posts/p1/post-1"}],
        [{"title": AF_NAME, "url": f"{AF}posts/p2/post-2"}],
    ]

    duplicates = json.loads((out / "feeds.json").read_text())["duplicates"]
    assert [(d["shown"]["source"], d["copy"]["source"], d["rule"]) for d in duplicates] == [
        ("lesswrong", "ai-alignment-forum", "link"),
        ("ai-alignment-forum", "lesswrong", "content"),
        ("lesswrong", "ai-alignment-forum", "content"),
        ("lesswrong", "ai-alignment-forum", "content"),
    ]
    log = capsys.readouterr().err
    assert log.count("merged ") == 4
    assert "(LessWrong) with 'https://lesswrong.com/posts/p0/post-0/?utm_source" in log
    assert re.search(r"\(AI Alignment Forum\): same title and \d+% similar text", log)


def test_prefer_and_mode_off_change_what_is_shown(
    tmp_path: Path, server: FeedServer, epoch: int
) -> None:
    cross_posting_feeds(server)
    preferred = cross_post_project(tmp_path / "a", server, prefer=["AI Alignment Forum"])
    off = cross_post_project(tmp_path / "b", server, mode="off")
    link = cross_post_project(tmp_path / "c", server, mode="link")
    for config in (preferred, off, link):
        assert main(["build", "-q", "--config", str(config)]) == 0

    home = (tmp_path / "a" / "output" / "index.html").read_text()
    assert [name for _, name in also_in(home)] == ["LessWrong"] * 4
    assert (tmp_path / "a" / "output" / "sources" / "lesswrong" / "index.html").is_file()

    home = (tmp_path / "b" / "output" / "index.html").read_text()
    assert len(titles(home)) == 11 and also_in(home) == []
    assert json.loads((tmp_path / "b" / "output" / "feeds.json").read_text())["duplicates"] == []

    home = (tmp_path / "c" / "output" / "index.html").read_text()
    assert len(titles(home)) == 10 and len(also_in(home)) == 1  # the tracked link only


# --- incremental: a copy that arrives later -----------------------------------------------


def test_a_copy_arriving_later_re_renders_the_pages_of_the_first(tmp_path: Path) -> None:
    first = entry("alpha", 1, "Cross-post", prose(300), hours=30, link="https://a.example/x")
    path = project(tmp_path / "p", {"alpha": (first,), "beta": ()})
    run(path)
    output = tmp_path / "p" / "output"
    day = next(n for n in tree(output) if re.fullmatch(r"\d{4}/\d\d/\d\d/index.html", n))
    assert "entry-also-in" not in (output / day).read_text()

    copy = entry("beta", 1, "Cross-post", prose(300), hours=29, link="https://a.example/x?ref=b")
    add_entries(path, "beta", copy)
    rendered = to_render(path)
    assert {"index.html", day, "sources/alpha/index.html", "feeds.json"} <= rendered
    assert "sources/beta/index.html" in rendered  # it lists its copy
    run(path)

    for page in ("index.html", day, "sources/alpha/index.html"):
        assert also_in((output / page).read_text()) == [("https://a.example/x?ref=b", "Beta")]
    anchor = routes.entry_anchor("alpha", first.id)
    beta = (output / "sources" / "beta" / "index.html").read_text()
    assert shown_under(beta) == [(f"../../{day}#{anchor}", "Shown under Alpha")]
    assert tree(output) == fresh(path, tmp_path / "full")


# --- every source page lists its own copies -----------------------------------------------


def listed(folder: Path) -> list[str]:
    """The titles of a whole listing (entries and lines), each once: its front page, which
    shows its newest numbered page too, and the numbered pages below that."""
    numbered = sorted(int(p.parent.name) for p in (folder / "page").glob("*/index.html"))
    pages = [
        folder / "index.html",
        *(folder / "page" / str(n) / "index.html" for n in numbered[:-1]),
    ]
    pattern = r'class="entry-(?:title"><a|line") href="[^"]*">([^<]*)</a>'
    return [title for page in pages for title in re.findall(pattern, page.read_text())]


def linked(page: Path, href: str) -> tuple[str, str]:
    """The text of the page a relative link on `page` leads to, and the link's anchor."""
    target, _, anchor = href.partition("#")
    return (page.parent / target).read_text(), anchor


def test_each_source_page_lists_its_copy_and_links_it_to_the_post_shown(tmp_path: Path) -> None:
    """Beta carries two of Alpha's posts (the earlier copies, Alpha's, are shown, with the
    tags of both): the home page, the tag's page and the feeds show each once; Beta's pages
    list every post Beta published, each copy leading to the post on its day page (from an
    entry on the front page, from a line on an older page), and so does Beta's own feed."""
    old, new = prose(400), prose(401)
    alpha = (
        entry("alpha", 1, "Fresh cross-post", new, hours=3, link="https://a.example/y"),
        entry("alpha", 0, "Old cross-post", old, 40, "https://a.example/x", ("Topic",)),
    )
    beta = (
        entry("beta", 1, "Fresh cross-post", new, 2, "https://a.example/y?utm_id=1", ("Topic",)),
        *(entry("beta", n, f"Beta post {n}", prose(500 + n), hours=n) for n in (5, 10, 20, 30)),
        entry("beta", 0, "Old cross-post", old, hours=39, link="https://a.example/x?ref=b"),
    )
    path = project(tmp_path / "p", {"alpha": alpha, "beta": beta}, per_page=2, source_feeds=True)
    run(path)
    out = tmp_path / "p" / "output"

    shown = sorted(e.title for e in (*alpha, *beta[1:-1]))
    assert sorted(listed(out)) == shown  # each post once on the home page
    home = (out / "index.html").read_text()
    assert also_in(home) == [("https://a.example/y?utm_id=1", "Beta")]
    both = ["Fresh cross-post", "Old cross-post"]
    assert listed(out / "tags" / "topic") == both
    a = "{http://www.w3.org/2005/Atom}"

    def feed(name: str) -> list[str | None]:
        root = ET.parse(out / name).getroot()
        return sorted(e.findtext(f"{a}title") for e in root.iter(f"{a}entry"))

    assert feed("atom.xml") == shown and feed("tags/topic/atom.xml") == both

    # Alpha's pages list its posts as shown; Beta's every post it published, its copies too.
    assert sorted(listed(out / "sources" / "alpha")) == sorted(e.title for e in alpha)
    assert shown_under((out / "sources" / "alpha" / "index.html").read_text()) == []
    assert sorted(listed(out / "sources" / "beta")) == sorted(e.title for e in beta)
    assert feed("sources/beta/atom.xml") == sorted(e.title for e in beta)
    front_page = out / "sources" / "beta" / "index.html"
    front = front_page.read_text()
    assert "Beta <small>(6)</small>" in front
    assert titles(front) == ["Fresh cross-post", "Beta post 5"]
    copy_entry = front.split("Beta post 5")[0]
    assert "entry-summary" not in copy_entry and "read-more" not in copy_entry  # text: Alpha's
    [(href, text)] = shown_under(front)
    assert text == "Shown under Alpha"
    day, anchor = linked(front_page, href)
    assert anchor == routes.entry_anchor("alpha", alpha[0].id) and f'id="{anchor}"' in day
    assert "Fresh cross-post" in day

    oldest_page = out / "sources" / "beta" / "page" / "1" / "index.html"
    lines = re.findall(
        r'<li><a class="entry-line" href="([^"]*)">([^<]*)</a>(.*?)</li>', oldest_page.read_text()
    )
    assert [(title, "Shown under Alpha" in meta) for _, title, meta in lines] == [
        ("Beta post 30", False), ("Old cross-post", True)
    ]  # fmt: skip
    day, anchor = linked(oldest_page, lines[1][0])
    assert anchor == routes.entry_anchor("alpha", alpha[1].id) and f'id="{anchor}"' in day


def test_a_copy_is_rendered_again_when_the_post_it_is_shown_under_moves(tmp_path: Path) -> None:
    """Beta's page shows nothing of Alpha's entry but where it is: when that entry moves to
    another day, Beta's page is rendered again (a copy's key holds the entry shown)."""
    body = prose(300)
    first = entry("alpha", 1, "Cross-post", body, hours=30, link="https://a.example/x")
    copy = entry("beta", 1, "Cross-post", body, hours=29, link="https://a.example/x?ref=b")
    path = project(tmp_path / "p", {"alpha": (first,), "beta": (copy,)})
    run(path)
    output = tmp_path / "p" / "output"
    [(before, _)] = shown_under((output / "sources" / "beta" / "index.html").read_text())
    assert before.startswith("../../2026/03/21/index.html#")

    moved = replace(first, published=first.date - timedelta(days=1))
    project(tmp_path / "p", {"alpha": (moved,), "beta": (copy,)})
    assert "sources/beta/index.html" in to_render(path)
    run(path)
    [(after, _)] = shown_under((output / "sources" / "beta" / "index.html").read_text())
    assert after == before.replace("/21/", "/20/")
    assert tree(output) == fresh(path, tmp_path / "full")


def test_the_example_source_pages_list_every_post_of_their_feed(tmp_path: Path) -> None:
    """The example digest as committed: LessWrong and the Alignment Forum cross-post five
    posts (the Forum's copies are shown): LessWrong's pages list all 20 it published, the
    Forum's its 5, the home page each post once."""
    config = committed_example(tmp_path)
    assert main(["build", "--offline", "-q", "--config", str(config)]) == 0
    out = tmp_path / "output"
    health = json.loads((out / "feeds.json").read_text())
    published = {feed["slug"]: feed["entries"] for feed in health["feeds"]}
    assert published["lesswrong"] == 20 and published["ai-alignment-forum"] == 5
    copies = [d["copy"]["source"] for d in health["duplicates"]]
    assert copies == ["lesswrong"] * 5
    for slug in ("lesswrong", "ai-alignment-forum"):
        assert len(listed(out / "sources" / slug)) == published[slug], slug
    home = listed(out)
    posts = len(listed(out / "sources" / POSTS_SOURCE))
    assert len(home) == sum(published.values()) - len(copies) + posts


@pytest.mark.slow
def test_pages_with_also_in_are_valid_html(tmp_path: Path, server: FeedServer, epoch: int) -> None:
    cross_posting_feeds(server)
    config = cross_post_project(tmp_path, server, language="ru")
    assert main(["build", "-q", "--config", str(config)]) == 0
    home = (tmp_path / "output" / "index.html").read_text()
    assert "Также в: <a" in home
    forum = (tmp_path / "output" / "sources" / "ai-alignment-forum" / "index.html").read_text()
    assert [text for _, text in shown_under(forum)] == ["Показано в ленте LessWrong"] * 3
    assert validate_html(html_pages(tmp_path / "output")) == []


@pytest.mark.slow
def test_also_in_reads_well_in_a_browser(tmp_path: Path, server: FeedServer, epoch: int) -> None:
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import sync_playwright
    from test_browser import CHROMIUM, open_page

    cross_posting_feeds(server)
    config = cross_post_project(tmp_path, server)
    assert main(["build", "-q", "--config", str(config)]) == 0
    with FeedServer(folder=tmp_path / "output") as site, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        for scheme in ("light", "dark"):
            page, errors = open_page(browser, site.url("/index.html"), color_scheme=scheme)
            assert errors == []
            article = page.locator("article", has_text="The Artificial Self")
            also = article.locator(".entry-also-in")
            assert also.is_visible() and also.inner_text().startswith("Also in: LessWrong")
            # Named for screen readers by feed and post, as the "Discuss" links are.
            name = re.compile(r"^LessWrong\s*: The Artificial Self$")
            link = also.get_by_role("link", name=name)
            assert link.get_attribute("href") == f"{LW}posts/p1/post-1"
            violations = [
                f"{v['id']}: {v['help']}"
                for v in Axe().run(page).response["violations"]
                if v["impact"] in ("serious", "critical")
            ]
            assert violations == [], scheme
            page.close()
        browser.close()
