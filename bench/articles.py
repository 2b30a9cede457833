"""Article pages in the shapes the web has, with their main text known: for measuring
article extraction (bench/extract.py) and for the full-text tests (tests/test_fulltext.py).

Each page wraps an article (paragraphs, sub-headings, lists, quotes, code) in the chrome
real sites put around one: navigation, breadcrumbs, sidebars, comments, cookie banners,
newsletter boxes, share buttons, advertisements, related links, author boxes, footers. The
pages are written to tests/data/articles/ as NAME.html and NAME.json: the article's text
blocks as they should come out (`text`), and the chrome's distinctive strings, none of which
should (`chrome`).

    python bench/articles.py            # (re)write tests/data/articles/
"""

from __future__ import annotations

import html
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "tests" / "data" / "articles"

# The prose: paragraphs an article is made of, in a few voices (news, blog, essay, how-to).
PARAGRAPHS = [
    "The city council voted on Tuesday to extend the night bus service to the northern "
    "suburbs, ending a two-year campaign by residents who said the last train left them "
    "stranded after late shifts. The new routes start in March and will run every twenty "
    "minutes until four in the morning.",
    "Officials estimate the extension will cost about 3.2 million a year, paid from the "
    "transport levy that was raised last spring. Opponents argued the money would be better "
    "spent on repairing the bridges on the ring road, several of which have weight limits.",
    "Maria Okafor, who organised the petition, said the decision showed that persistence "
    "pays. Nurses, cleaners and bakers work at night too, she told reporters outside the town "
    "hall, and until now the city behaved as if they did not exist.",
    "The transport authority will review ridership after six months. If fewer than forty "
    "passengers use a route on an average night, it may be cut back to weekends only, a "
    "spokesperson said, adding that early signs from a trial last autumn were encouraging.",
    "I have been keeping bees for eleven years, and every spring I still make the same "
    "mistake: I open the hive too early. The first warm afternoon of March is a trap, because "
    "the colony needs every bit of heat it has built up over the winter.",
    "This year I waited until the dandelions flowered, which is the rule my grandfather used. "
    "When I finally lifted the lid, the bees were calm, the brood pattern was solid, and there "
    "were still two frames of capped honey left from the autumn.",
    "The one thing I did differently was to put a feeder of thin syrup in early. It is not "
    "strictly necessary, but a strong start in April means a much stronger colony when the "
    "lime trees come into flower in June, and that is when the real harvest happens.",
    "If you are starting out, resist the urge to inspect every weekend. Each time you open "
    "the hive you break the seal of propolis the bees have made, and they spend days making "
    "it again instead of foraging.",
    "Most performance problems in web applications are not where the profiler first points. "
    "A slow page usually waits on the network or the database, and the function that shows "
    "up at the top of a CPU profile is often just the place where the waiting ends.",
    "Start by measuring the whole request from the outside, with the cache cold and then "
    "warm. Write the numbers down. Without a baseline you cannot tell whether a change helped, "
    "and memory is a poor substitute for a table of timings.",
    "Then look at the queries. An object mapper makes it easy to load a list of orders and "
    "then, one by one, the customer of each order. Fifty orders become fifty-one queries, and "
    "each one pays the round trip to the database server.",
    "The fix is rarely clever. Load the customers in one query, keyed by their identifier, and "
    "join them in memory. In our case the page went from 1.8 seconds to 140 milliseconds, and "
    "the code got shorter.",
    "Researchers at the coastal observatory have recorded the warmest sea surface "
    "temperatures in the bay since measurements began in 1921. The readings, taken by a buoy "
    "anchored four kilometres offshore, peaked at 24.6 degrees in the second week of August.",
    "Warmer water holds less oxygen, and the team has already seen shoals of sprat move into "
    "deeper, cooler layers. Fishermen working the inshore grounds report smaller catches of "
    "cod and larger ones of species usually found much further south, such as anchovy.",
    "The observatory's director cautioned against reading too much into a single summer. "
    "Year-to-year variation is large, she said, and what matters is the trend over decades, "
    "which points clearly upwards by about a quarter of a degree every ten years.",
    "The data from the buoy are published every hour and have been used by schools in the "
    "region for science projects. A second buoy, funded by a local foundation, will be placed "
    "at the mouth of the estuary next spring.",
    "Sourdough is a slow craft, and the slowness is the point. Flour, water and salt become "
    "bread through time rather than effort, and the baker's main job is to notice when the "
    "dough is ready rather than to make it ready.",
    "Feed the starter the evening before and leave it somewhere warm. By morning it should "
    "have doubled and smell pleasantly sour, like yoghurt. If it smells of nail varnish, it is "
    "hungry: feed it again and wait a few more hours.",
    "Mix the flour and most of the water first and let them rest for an hour before adding "
    "the starter and salt. This rest, which bakers call the autolyse, lets the flour absorb the "
    "water and makes the dough much easier to stretch later.",
    "Bake in a heavy pot with the lid on for the first twenty minutes, so the loaf steams in "
    "its own moisture, then take the lid off to let the crust colour. Wait at least an hour "
    "before cutting: the inside is still cooking as it cools.",
    "The library on Station Road reopened on Saturday after an eighteen-month renovation that "
    "added a children's wing, a workshop with sewing machines and 3D printers, and a reading "
    "room that stays open until ten in the evening.",
    "Hundreds of people queued before the doors opened. Among the first inside was "
    "ninety-year-old Harold Jenkins, who has held a library card since 1947 and who said the "
    "new building was brighter than any he had known.",
    "The renovation was paid for partly by the sale of the old annexe and partly by a "
    "community fund to which more than two thousand residents contributed, some giving as "
    "little as a pound.",
    "Staff say the most requested service so far is help with online forms, from pension "
    "claims to school applications. Volunteers will run drop-in sessions every weekday "
    "morning, and no appointment is needed.",
    "Version 4.0 of the library drops support for Python 3.8 and 3.9 and requires 3.10 or "
    "later. Type hints throughout the public interface now use the new union syntax, and the "
    "package ships a py.typed marker so that type checkers pick them up.",
    "The configuration loader has been rewritten. It reads TOML instead of INI files, reports "
    "every problem at once with the key that caused it, and refuses unknown keys instead of "
    "silently ignoring them, which was the most common source of bug reports.",
    "Upgrading is mostly mechanical. Run the migration command, which converts an old "
    "configuration file and prints what it changed, then run your tests. Deprecated functions "
    "that were marked in 3.x have been removed.",
    "We would like to thank the forty-two people who contributed to this release, half of "
    "them for the first time, and everyone who tested the release candidates and told us what "
    "broke.",
    "The mountain hut sits at 2,300 metres, three hours of steady climbing from the last "
    "village. There is no road, so everything from flour to gas bottles comes up by "
    "helicopter once a month, or on the backs of the wardens when the weather closes in.",
    "We arrived in the late afternoon, soaked by a storm that had come over the ridge faster "
    "than any forecast had promised. The warden handed us towels before we had even taken our "
    "boots off and pointed to a stove where a pot of soup was already simmering.",
    "Dinner was served at seven sharp at long tables, and by eight most of the climbers were "
    "in their bunks. We were woken at four by the clatter of crampons and the smell of coffee, "
    "and by five the first head torches were moving up the glacier.",
    "Chess engines have been stronger than any human for a quarter of a century, yet the game "
    "has never been more popular. Online platforms report millions of games a day, and the "
    "number of rated tournament players has grown every year since 2020.",
    "Part of the reason is that engines changed how people learn. A beginner can now replay a "
    "lost game and see, move by move, where it went wrong, something that once required a "
    "patient coach and many evenings.",
    "Professional players worry about a different effect. When every opening has been "
    "analysed to great depth by machines, preparation becomes a matter of memory, and some "
    "top players have turned to variants that shuffle the pieces to escape it.",
]

RUSSIAN = [
    "Городская библиотека на Садовой улице вновь открылась после ремонта, который длился "
    "почти два года. В здании появились детский зал, мастерская и читальный зал, открытый до "  # noqa: RUF001
    "десяти вечера.",
    "Первыми посетителями стали школьники и пенсионеры, которые пришли ещё до открытия "
    "дверей. Многие из них признались, что скучали по тишине читального зала и по "
    "библиотекарям, знающим всех читателей по именам.",
    "Ремонт оплатили из городского бюджета и из пожертвований жителей. Более двух тысяч "
    "человек перевели деньги на обновление фонда, и теперь в библиотеке почти вдвое больше "
    "новых книг, чем до закрытия.",
    "По словам директора, самой востребованной услугой стала помощь с электронными "  # noqa: RUF001
    "заявлениями. Волонтёры будут принимать посетителей каждое утро по будним дням без "
    "предварительной записи.",
]

COMMENTS = [
    (
        "Dave from Leeds",
        "Great write-up, thanks. I had exactly the same problem last year "
        "and ended up giving up on it, maybe I will try again with your approach this spring.",
    ),
    (
        "anna_k",
        "Not sure I agree with the second point. In my experience the cost is much "
        "higher than you suggest, especially if you count the time it takes to learn it properly.",
    ),
    (
        "Peter",
        "Does anyone know whether this works in colder climates? We get frost until "
        "late May where I live and everything seems to start a month later than in these guides.",
    ),
    (
        "M. Rossi",
        "Bookmarked. My grandmother used to say the same thing and I never "
        "believed her until I tried it myself, now I tell everyone who asks me.",
    ),
]

NAV = ["Home", "World", "Politics", "Business", "Technology", "Science", "Culture", "Sport"]
FOOTER = "© 2026 Example Media Group. All rights reserved. Registered in England No. 0412345."
COOKIE = (
    "We use cookies and similar technologies to personalise content and adverts, to provide "
    "social media features and to analyse our traffic. By clicking Accept all you agree to "
    "the storing of cookies on your device."
)
NEWSLETTER = "Sign up for the Morning Briefing and get our best stories in your inbox daily."
RELATED = [
    "Five things we learned from the spring budget",
    "Why the housing market is cooling faster than expected",
    "The quiet return of the neighbourhood cinema",
    "Inside the race to build a better battery",
]
RECENT = ["Spring cleaning my workshop", "A year of learning the cello", "Notes on walking"]


@dataclass
class Article:
    """A page's main text: a title and its blocks (tag, text), in order."""

    title: str
    blocks: list[tuple[str, str]]
    lang: str = "en"

    def body(self, between: Callable[[int], str] = lambda n: "") -> str:
        """The article's HTML; `between(n)` is put after block n (ads, boxes)."""
        out = []
        for n, (tag, text) in enumerate(self.blocks):
            if tag == "ul":
                items = "".join(f"<li>{html.escape(t)}</li>" for t in text.split("\n"))
                out.append(f"<ul>{items}</ul>")
            elif tag == "pre":
                out.append(f"<pre><code>{html.escape(text)}</code></pre>")
            elif tag == "blockquote":
                out.append(f"<blockquote><p>{html.escape(text)}</p></blockquote>")
            else:
                out.append(f"<{tag}>{html.escape(text)}</{tag}>")
            out.append(between(n))
        return "\n".join(out)

    def text(self) -> list[str]:
        """The blocks as they should come out: list items one by one."""
        return [t for tag, text in self.blocks for t in text.split("\n")]


@dataclass
class Page:
    name: str
    article: Article
    chrome: list[str] = field(default_factory=list)
    html: str = ""
    encoding: str = "utf-8"


def _p(*indices: int) -> list[tuple[str, str]]:
    return [("p", PARAGRAPHS[i]) for i in indices]


def _doc(title: str, head: str, body: str, lang: str = "en", charset: str = "utf-8") -> str:
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}"><head><meta charset="{charset}">'
        f"<title>{html.escape(title)} | Example</title>"
        f'<meta name="viewport" content="width=device-width">{head}</head>\n'
        f"<body>\n{body}\n</body></html>\n"
    )


def _nav() -> str:
    items = "".join(f'<li><a href="/{n.lower()}/">{n}</a></li>' for n in NAV)
    return (
        '<header class="site-header"><a class="logo" href="/">Example</a>'
        f"<nav><ul>{items}</ul></nav></header>"
    )


def _footer() -> str:
    links = " | ".join(
        f'<a href="/{n}">{n.title()}</a>' for n in ("privacy", "terms", "contact", "careers")
    )
    return f'<footer class="site-footer"><p>{links}</p><p>{FOOTER}</p></footer>'


def _related() -> str:
    items = "".join(f'<li><a href="/news/{n}">{t}</a></li>' for n, t in enumerate(RELATED))
    return f'<aside class="related"><h2>Related stories</h2><ul>{items}</ul></aside>'


def _comments(count: int = 4) -> str:
    parts = ['<section id="comments" class="comments"><h2>4 comments</h2><ol>']
    for n, (who, text) in enumerate(COMMENTS[:count]):
        parts.append(
            f'<li class="comment" id="c{n}"><div class="comment-author">{who} says:</div>'
            f'<div class="comment-body"><p>{html.escape(text)}</p></div>'
            f'<a class="reply" href="#reply-{n}">Reply</a></li>'
        )
    parts.append(
        '</ol><form class="comment-form"><h3>Leave a reply</h3><textarea name="c"></textarea>'
        '<button type="submit">Post comment</button></form></section>'
    )
    return "".join(parts)


def _cookie() -> str:
    return (
        f'<div id="cookie-banner" class="cookie-consent" role="dialog"><p>{COOKIE}</p>'
        "<button>Accept all</button><button>Manage settings</button></div>"
    )


def _share() -> str:
    return (
        '<div class="share"><span>Share this article</span> <a href="#">Facebook</a> '
        '<a href="#">Twitter</a> <a href="#">Email</a></div>'
    )


def _byline(author: str) -> str:
    return (
        f'<p class="byline">By <a href="/authors/x">{author}</a> · 12 March 2026 · 4 min read</p>'
    )


CHROME_NEWS = [COOKIE[:60], NEWSLETTER, RELATED[0], FOOTER, "Share this article"]
CHROME_BLOG = [COMMENTS[0][1][:60], COMMENTS[1][1][:60], "Leave a reply", RECENT[0]]


def news() -> Page:
    """A news site: cookie banner, navigation, breadcrumb, byline, share buttons, newsletter
    box, related stories, footer."""
    a = Article("Night buses to run to northern suburbs", _p(0, 1, 2, 3))
    body = (
        _cookie() + _nav()
        + '<main><nav class="breadcrumb"><a href="/">Home</a> › <a href="/local/">Local</a></nav>'
        + f"<article><h1>{a.title}</h1>{_byline('Sam Reed')}{_share()}"
        + f'<div class="article-body">{a.body()}</div></article>'
        + f'<div class="newsletter"><p>{NEWSLETTER}</p><input type="email">'
        + "<button>Sign up</button></div>"
        + _related() + "</main>" + _footer()
    )  # fmt: skip
    return Page("news", a, CHROME_NEWS, _doc(a.title, "", body))


def blog() -> Page:
    """A WordPress-style blog: sidebar widgets (recent posts, categories, archives, tags)
    and a comment thread with a reply form."""
    a = Article("Opening the hive in spring", _p(4, 5, 6, 7))
    recent = "".join(f'<li><a href="/p/{n}">{t}</a></li>' for n, t in enumerate(RECENT))
    cats = "".join(f'<li><a href="/c/{c}">{c}</a> (12)</li>' for c in ("Bees", "Garden", "Food"))
    sidebar = (
        f'<aside id="sidebar"><section class="widget"><h2>Recent posts</h2><ul>{recent}</ul>'
        f'</section><section class="widget"><h2>Categories</h2><ul>{cats}</ul></section>'
        '<section class="widget"><h2>Archives</h2><ul><li><a href="/2026/02">February 2026'
        '</a></li><li><a href="/2026/01">January 2026</a></li></ul></section>'
        '<section class="widget tagcloud"><a href="/t/hives">hives</a> <a href="/t/honey">honey'
        '</a> <a href="/t/winter">winter</a></section></aside>'
    )
    body = (
        '<div id="page"><header id="masthead"><h1 class="site-title"><a href="/">Hum and '
        'Honey</a></h1><p class="site-description">A beekeeper\'s notebook</p></header>'
        '<div id="content"><div id="primary"><article class="post"><header>'
        '<h2 class="entry-title">'
        f'{a.title}</h2><span class="posted-on">Posted on March 3, 2026</span></header>'
        f'<div class="entry-content">{a.body()}</div><footer class="entry-footer">Posted in '
        '<a href="/c/Bees">Bees</a> | Tagged <a href="/t/spring">spring</a></footer></article>'
        f"{_comments()}</div>{sidebar}</div>"
        '<footer id="colophon">Proudly powered by WordPress</footer></div>'
    )
    return Page("blog", a, [*CHROME_BLOG, "Proudly powered by WordPress"], _doc(a.title, "", body))


def newsletter() -> Page:
    """A newsletter platform: subscribe boxes inside the post, a paywall teaser, share and
    like buttons, a footer of the platform."""
    a = Article("Profile before you optimise", _p(8, 9, 10, 11))
    box = (
        '<div class="subscription-widget"><p>Thanks for reading Slow Code! Subscribe for free '
        'to receive new posts and support my work.</p><input type="email"><button>Subscribe'
        "</button></div>"
    )
    body = (
        '<div class="topbar"><a href="/">Slow Code</a> <a href="/archive">Archive</a> '
        '<a href="/about">About</a> <button>Subscribe</button> <a href="/signin">Sign in</a></div>'
        f'<div class="post"><h1 class="post-title">{a.title}</h1><h3 class="subtitle">What a '
        'CPU profile does not tell you</h3><div class="post-meta">Jun 4 · 612 likes · 38 '
        f'comments</div><div class="body markup">{a.body(lambda n: box if n == 1 else "")}</div>'
        '<div class="post-footer"><button>Like</button><button>Comment</button><button>Restack'
        '</button><button>Share</button></div></div><div class="footer">© 2026 Jo Smith · '
        "Privacy · Terms · Collection notice · Start writing · Get the app</div>"
    )
    chrome = ["Thanks for reading Slow Code!", "Collection notice", "612 likes", "Restack"]
    return Page("newsletter", a, chrome, _doc(a.title, "", body))


def howto() -> Page:
    """A technical post: sub-headings, a list, code blocks, a table of contents sidebar."""
    blocks = [
        ("p", PARAGRAPHS[24]),
        ("h2", "Installing"),
        ("p", PARAGRAPHS[26]),
        ("pre", "pip install --upgrade example-lib\nexample-lib migrate settings.ini"),
        ("h2", "What changed"),
        ("ul", "TOML configuration files\nEvery problem reported at once\nUnknown keys refused"),
        ("p", PARAGRAPHS[25]),
        ("p", PARAGRAPHS[27]),
    ]
    a = Article("Example-lib 4.0 released", blocks)
    toc = (
        '<nav class="toc"><h2>On this page</h2><ul><li><a href="#installing">Installing</a></li>'
        '<li><a href="#what-changed">What changed</a></li></ul></nav>'
    )
    side = (
        '<nav class="docs-nav"><h2>Documentation</h2><ul><li><a href="/docs/">Getting started'
        '</a></li><li><a href="/docs/api">API reference</a></li><li><a href="/docs/faq">'
        "Frequently asked questions</a></li></ul></nav>"
    )
    body = (
        f'<div class="layout">{side}<main class="content"><h1>{a.title}</h1>'
        f'<p class="meta">Release notes · 2026-03-01</p>{a.body()}'
        '<p class="edit"><a href="/edit">Edit this page on GitHub</a></p></main>'
        f"{toc}</div><footer>Built with Sphinx using a theme provided by Read the Docs.</footer>"
    )
    chrome = ["Frequently asked questions", "Edit this page on GitHub", "On this page", "Sphinx"]
    return Page("howto", a, chrome, _doc(a.title, "", body))


def ads() -> Page:
    """Short paragraphs with advertisements and "read also" boxes between them."""
    a = Article("Bay records its warmest summer", _p(12, 13, 14, 15))

    def between(n: int) -> str:
        if n == 0:
            return '<div class="ad-slot"><span>Advertisement</span><div id="gpt-ad-1"></div></div>'
        if n == 2:
            return (
                '<div class="read-also"><strong>Read also:</strong> <a href="/x">Storm season '
                "arrives early on the east coast</a></div>"
            )
        return ""

    body = (
        _nav() + '<div class="container"><div class="col-main">'
        + f"<h1>{a.title}</h1>{_byline('Lena Holt')}<div class=\"text\">{a.body(between)}</div>"
        + '</div><div class="col-side"><div class="ad-slot"><span>Advertisement</span></div>'
        + '<div class="most-read"><h3>Most read</h3><ol><li><a href="/1">Council approves new '
        + 'cycle lanes</a></li><li><a href="/2">Local team wins regional final</a></li></ol></div>'
        + "</div></div>" + _footer()
    )  # fmt: skip
    chrome = ["Advertisement", "Storm season arrives early", "Most read", FOOTER]
    return Page("ads", a, chrome, _doc(a.title, "", body))


def divsoup() -> Page:
    """An old CMS: tables for layout, divs with no meaning, the text in a td."""
    a = Article("How to bake sourdough at home", _p(16, 17, 18, 19))
    paras = "".join(f'<div class="txt">{html.escape(t)}<br><br></div>' for _, t in a.blocks)
    links = "".join(f'<a href="/r/{n}">{r}</a><br>' for n, r in enumerate(RECENT))
    body = (
        '<table width="100%"><tr><td colspan="2" class="top"><img src="/logo.gif" alt="Home '
        'Baking Corner"> <a href="/">Home</a> | <a href="/recipes">Recipes</a> | <a href="/forum">'
        'Forum</a> | <a href="/links">Links</a></td></tr><tr><td width="180" class="left">'
        f"<b>Latest</b><br>{links}<br><b>Visitors:</b> 104,233</td>"
        f'<td class="main"><font size="5"><b>{a.title}</b></font><br><br>{paras}</td></tr>'
        '<tr><td colspan="2" class="bottom">Copyright 2004-2026 Home Baking Corner. Best viewed '
        "in any browser.</td></tr></table>"
    )
    # The expected text: each div is one block.
    chrome = ["Visitors:", "Best viewed in any browser", RECENT[1]]
    return Page("divsoup", a, chrome, _doc(a.title, "", body))


def teasers() -> Page:
    """The article beside many <article> teasers of other stories."""
    a = Article("Library reopens after renovation", _p(20, 21, 22, 23))
    teaser = "".join(
        f'<article class="teaser"><h3><a href="/t/{n}">{t}</a></h3><p>{s}</p></article>'
        for n, (t, s) in enumerate(
            [
                (RELATED[1], "Prices fell for the third month in a row, new figures show."),
                (RELATED[2], "Small screens are drawing audiences back to the high street."),
                (RELATED[3], "Engineers hope cheaper materials will cut costs by half."),
            ]
        )
    )
    body = (
        _nav() + f'<main><article class="story"><h1>{a.title}</h1>{_byline("Priya Nair")}'
        + f'{a.body()}</article><section class="more"><h2>More from Local</h2>{teaser}</section>'
        + "</main>" + _footer()
    )  # fmt: skip
    chrome = ["More from Local", "Prices fell for the third month", RELATED[3], FOOTER]
    return Page("teasers", a, chrome, _doc(a.title, "", body))


def scripts() -> Page:
    """A script-laden page: inline and external scripts, JSON-LD, event handlers,
    javascript: links, an iframe, noscript, a tracking pixel."""
    a = Article("Warm water drives fish north", _p(13, 14, 15))
    js = (
        "<script>window.dataLayer=window.dataLayer||[];function gtag(){dataLayer.push("
        'arguments)}gtag("js",new Date());document.write("INJECTED BY SCRIPT")</script>'
        '<script type="application/ld+json">{"@type":"NewsArticle","headline":"LDJSON HEADLINE"}'
        "</script>"
    )
    body = (
        js + _nav() + f'<article><h1 onclick="track()">{a.title}</h1>'
        + '<div class="body" onmouseover="alert(1)">'
        + a.body(lambda n: "<script>evil()</script>" if n == 0 else "")
        + '<p><a href="javascript:alert(document.cookie)">Open the interactive map</a></p>'
        + '<iframe src="https://ads.example/frame" width="300" height="250"></iframe>'
        + '<noscript><img src="https://track.example/p.gif"></noscript>'
        + '<img src="/chart.png" alt="Chart of temperatures" onerror="steal()"></div></article>'
        + _footer() + '<script src="https://cdn.example/tracker.js"></script>'
    )  # fmt: skip
    chrome = ["INJECTED BY SCRIPT", "LDJSON HEADLINE", "dataLayer", FOOTER]
    return Page("scripts", a, chrome, _doc(a.title, "", body))


def long_comments() -> Page:
    """A short post under a comment thread longer than itself."""
    a = Article("Why chess is booming", _p(31, 32))
    thread = "".join(
        f'<div class="comment"><b>{who}</b><p>{html.escape(text)} {html.escape(text2)}</p></div>'
        for (who, text), (_, text2) in zip(
            COMMENTS + COMMENTS, COMMENTS[1:] + COMMENTS[:1] * 5, strict=True
        )
    )
    body = (
        _nav() + f'<div class="post"><h1>{a.title}</h1>{a.body()}</div>'
        + f'<div class="discussion"><h2>Discussion (8)</h2>{thread}</div>' + _footer()
    )  # fmt: skip
    chrome = [COMMENTS[2][1][:60], COMMENTS[3][1][:60], "Discussion (8)"]
    return Page("long-comments", a, chrome, _doc(a.title, "", body))


def short() -> Page:
    """A three-paragraph story under heavy chrome."""
    a = Article("Hut warden welcomes storm-soaked climbers", _p(28, 29, 30))
    body = (
        _cookie() + _nav() + '<div class="promo-bar">Subscribe now: first month free</div>'
        + f"<main><article><h1>{a.title}</h1>{_byline('Tom Berg')}{a.body()}</article>"
        + _related() + f'<div class="newsletter"><p>{NEWSLETTER}</p></div></main>' + _footer()
    )  # fmt: skip
    chrome = ["Subscribe now: first month free", *CHROME_NEWS]
    return Page("short", a, chrome, _doc(a.title, "", body))


def russian() -> Page:
    """A Russian page in windows-1251, declared in a meta tag."""
    a = Article("Библиотека открылась после ремонта", [("p", t) for t in RUSSIAN], "ru")
    nav = "".join(
        f'<a href="/{n}">{t}</a> ' for n, t in enumerate(["Главная", "Новости", "Город", "Спорт"])
    )
    body = (
        f'<div class="header">{nav}</div><div class="news-item"><h1>{a.title}</h1>'
        f'<div class="date">12 марта 2026</div>{a.body()}</div>'
        '<div class="comments-block"><h3>Комментарии</h3><p>Наконец-то! Ждали этого целый год, '
        "спасибо всем, кто помогал.</p></div>"
        '<div class="footer">© 2026 Городские новости. Все права защищены.</div>'  # noqa: RUF001
    )
    chrome = ["Все права защищены", "Ждали этого целый год", "Комментарии"]  # noqa: RUF001
    return Page("russian", a, chrome, _doc(a.title, "", body, "ru", "windows-1251"), "cp1251")


def listicle() -> Page:
    """A list article: numbered sub-headings, figures with captions, a sponsored box."""
    blocks = [
        ("p", PARAGRAPHS[16]),
        ("h2", "1. Feed the starter the night before"),
        ("p", PARAGRAPHS[17]),
        ("h2", "2. Let the flour rest"),
        ("p", PARAGRAPHS[18]),
        ("h2", "3. Bake with the lid on"),
        ("p", PARAGRAPHS[19]),
    ]
    a = Article("Three rules for better bread", blocks)

    def between(n: int) -> str:
        if n == 2:
            return (
                '<figure><img src="/starter.jpg" alt="">'
                "<figcaption>Photo: Getty Images</figcaption></figure>"
            )
        if n == 4:
            return (
                '<div class="sponsored">Sponsored: Try KitchenPro mixers, 20% off this week</div>'
            )
        return ""

    body = (
        _nav() + f'<article><h1>{a.title}</h1>{_byline("Ana Silva")}{a.body(between)}</article>'
        + _related() + _footer()
    )  # fmt: skip
    chrome = ["Sponsored: Try KitchenPro", RELATED[0], FOOTER]
    return Page("listicle", a, chrome, _doc(a.title, "", body))


def interview() -> Page:
    """An interview: questions in bold paragraphs, an answer as a block quote, an author box."""
    blocks = [
        ("p", PARAGRAPHS[31]),
        ("h3", "How did engines change the way people learn?"),
        ("p", PARAGRAPHS[32]),
        ("h3", "And for professionals?"),
        ("blockquote", PARAGRAPHS[33]),
    ]
    a = Article("Interview: the engine age of chess", blocks)
    bio = (
        '<div class="author-box"><img src="/a.jpg" alt=""><p><b>Kim Lee</b> writes about games '
        "and the people who play them. Follow Kim on social media for daily puzzles.</p></div>"
    )
    body = (
        _nav() + f'<div class="main-column"><article><h1>{a.title}</h1>{a.body()}</article>'
        + f"{bio}{_share()}</div>" + _footer()
    )  # fmt: skip
    chrome = ["Follow Kim on social media", "Share this article", FOOTER]
    return Page("interview", a, chrome, _doc(a.title, "", body))


def semantic() -> Page:
    """A minimal, well-marked-up page: <main>, <article>, little chrome."""
    a = Article("Notes from a mountain hut", _p(28, 29, 30))
    body = (
        '<header><a href="/">J. Walker</a> <nav><a href="/posts">Posts</a> <a href="/about">'
        "About</a></nav></header>"
        f"<main><article><h1>{a.title}</h1><time>2026-02-02</time>{a.body()}</article></main>"
        "<footer><p>Written by J. Walker. Subscribe via RSS.</p></footer>"
    )
    chrome = ["Subscribe via RSS"]
    return Page("semantic", a, chrome, _doc(a.title, "", body))


def paywall() -> Page:
    """A paywalled page: two paragraphs shown, the rest behind a sign-up wall, and a modal."""
    a = Article("The bridges on the ring road", _p(1, 3))
    body = (
        _nav() + f"<article><h1>{a.title}</h1>{a.body()}"
        + '<div class="paywall"><h2>Continue reading</h2><p>Subscribe for unlimited access to '
        + "award-winning journalism. Cancel anytime.</p><button>See offers</button></div></article>"
        + '<div class="modal" aria-hidden="true"><p>You have 2 free articles left this month.'
        + "</p></div>"
        + _footer()
    )  # fmt: skip
    chrome = ["unlimited access to award-winning journalism", "free articles left", FOOTER]
    return Page("paywall", a, chrome, _doc(a.title, "", body))


def split() -> Page:
    """The body split across sibling containers (a CMS's "blocks"), promotions between them."""
    a = Article("What the profiler does not show", _p(8, 9, 10, 11))
    parts = [f'<div class="block block-text"><p>{html.escape(t)}</p></div>' for _, t in a.blocks]
    promo = (
        '<div class="block block-promo"><h4>Try our cloud profiler</h4><p>Find slow queries in '
        "minutes. Start a free trial, no credit card required.</p></div>"
    )
    body = (
        _nav() + f'<div class="page"><h1>{a.title}</h1>{_byline("Ravi Patel")}'
        + parts[0] + parts[1] + promo + parts[2] + parts[3]
        + f"</div>{_related()}{_footer()}"
    )  # fmt: skip
    chrome = ["Try our cloud profiler", "no credit card required", RELATED[2], FOOTER]
    return Page("split", a, chrome, _doc(a.title, "", body))


def article_comments() -> Page:
    """Comments marked up as <article> elements, each as long as a paragraph of the post."""
    a = Article("Lessons from a season of bread", _p(16, 17, 19))
    thread = "".join(
        f'<article class="comment"><footer><b>{who}</b> on March 4, 2026</footer>'
        f"<p>{html.escape(text)}</p></article>"
        for who, text in COMMENTS
    )
    body = (
        _nav() + f'<main><article class="post"><h1>{a.title}</h1>{a.body()}</article>'
        + f'<section class="comments"><h2>Responses</h2>{thread}</section></main>' + _footer()
    )  # fmt: skip
    chrome = [COMMENTS[0][1][:60], COMMENTS[2][1][:60], "Responses"]
    return Page("article-comments", a, chrome, _doc(a.title, "", body))


ABOUT = (
    "Hello, I am Jo. I have been writing this blog since 2009 about walking, climbing and the "
    "small villages of the high valleys, where I spend every summer and most of my savings. "
    "When I am not on a mountain I teach geography at a secondary school in the lowlands."
)


def about_sidebar() -> Page:
    """A short post beside a long "about me" sidebar paragraph."""
    a = Article("A night at the hut", _p(29, 30))
    body = (
        '<div class="wrap"><header><a href="/">High Valleys</a></header><div class="main">'
        f'<div class="post"><h2>{a.title}</h2>{a.body()}</div></div>'
        f'<div class="sidebar"><div class="about"><h3>About</h3><p>{ABOUT}</p></div>'
        '<div class="blogroll"><h3>Blogroll</h3><a href="/x">Peaks and passes</a></div></div>'
        "</div>"
    )
    chrome = [ABOUT[:60], "Blogroll", "Peaks and passes"]
    return Page("about-sidebar", a, chrome, _doc(a.title, "", body))


def live() -> Page:
    """A live blog: timestamped updates, each a short block, a "key events" box."""
    updates = [("p", PARAGRAPHS[i]) for i in (0, 1, 2, 3)]
    a = Article("Live: council votes on night buses", updates)
    posts = "".join(
        f'<div class="update"><time>1{n}:0{n}</time><p>{html.escape(t)}</p></div>'
        for n, (_, t) in enumerate(updates)
    )
    body = (
        _cookie() + _nav()
        + '<div class="key-events"><h2>Key events</h2><ul><li><a href="#u3">Vote passes</a></li>'
        + '<li><a href="#u0">Debate opens</a></li></ul></div>'
        + f'<div class="live-blog"><h1>{a.title}</h1>{posts}</div>{_related()}{_footer()}'
    )  # fmt: skip
    chrome = ["Key events", "Vote passes", COOKIE[:60], FOOTER]
    return Page("live", a, chrome, _doc(a.title, "", body))


# Pages with no article at all, where a link may lead: the right answer is nothing (the
# entry keeps its summary), and what comes out is chrome.


def consent_wall() -> Page:
    """A consent wall in front of the article: the page has nothing else."""
    a = Article("", [])
    body = (
        '<div class="consent"><h1>Before you continue</h1><p>We and our 842 partners use '
        "cookies and data to deliver and maintain services, measure audience engagement and "
        "show personalised advertising. Select Reject all to decline, or More options to see "
        "what we use.</p><form><button>Reject all</button><button>Accept all</button>"
        '<a href="/options">More options</a></form></div>'
    )
    chrome = ["our 842 partners", "Before you continue"]
    return Page("consent-wall", a, chrome, _doc("Before you continue", "", body))


def section_front() -> Page:
    """A section front: teasers of many stories, no article of its own."""
    a = Article("", [])
    cards = "".join(
        f'<div class="card"><h3><a href="/s/{n}">{t}</a></h3><p>{html.escape(PARAGRAPHS[n][:90])}'
        "...</p></div>"
        for n, t in enumerate(RELATED)
    )
    body = _nav() + f'<main><h1>Business</h1><div class="cards">{cards}</div></main>' + _footer()
    chrome = [RELATED[1], RELATED[3], FOOTER]
    return Page("section-front", a, chrome, _doc("Business", "", body))


SHAPES = (
    news, blog, newsletter, howto, ads, divsoup, teasers, scripts, long_comments, short,
    russian, listicle, interview, semantic, paywall, split, article_comments, about_sidebar,
    live, consent_wall, section_front,
)  # fmt: skip


def pages() -> list[Page]:
    return [shape() for shape in SHAPES]


def write(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for page in pages():
        (folder / f"{page.name}.html").write_bytes(page.html.encode(page.encoding))
        expected = {
            "title": page.article.title,
            "lang": page.article.lang,
            "encoding": page.encoding,
            "text": page.article.text(),
            "chrome": page.chrome,
        }
        text = json.dumps(expected, indent=1, ensure_ascii=False) + "\n"
        (folder / f"{page.name}.json").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    write(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT)
    print(f"wrote {len(SHAPES)} pages to {OUT}")
