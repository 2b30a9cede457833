"""Tags that mean something: rules, aliases, ignore, min_entries, readable and distinct slugs,
the tag index by count and A-Z, and the log of every rename, merge and drop.

`tests/fixtures/topics` is built once (from its local feed files, at a fixed
SOURCE_DATE_EPOCH); its tag pages and home page must equal `tests/golden_topics/` byte for
byte. After an intended change: `pytest tests/test_topics.py --regen-golden`, then read the
diff. The rest are unit tests on `make_site` and small offline builds.
"""

from __future__ import annotations

import logging
import re
import shutil
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from helpers import page_text, tree, write_config
from htmlcheck import validate_html
from test_incremental import NOW, add_entries, entry, project, run

from digest.cli import main
from digest.config import load_config
from digest.errors import ConfigError
from digest.models import (
    Config,
    Entry,
    FeedCache,
    FeedConfig,
    Site,
    SiteConfig,
    TagField,
    TagRule,
    TagsConfig,
)
from digest.site.group import make_site

FIXTURE = Path(__file__).parent / "fixtures" / "topics"
GOLDEN = Path(__file__).parent / "golden_topics"
EPOCH = 1774267200  # 2026-03-23 12:00 UTC, as the `epoch` fixture


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture built once; its output folder."""
    root = tmp_path_factory.mktemp("topics") / "site"
    shutil.copytree(FIXTURE, root)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SOURCE_DATE_EPOCH", str(EPOCH))
        assert main(["build", "-q", "--config", str(root / "config.toml")]) == 0
    return root / "output"


def golden_part(output: Path) -> dict[str, bytes]:
    """What the golden files hold: every file under tags/, and the home page."""
    files = {f"tags/{name}": data for name, data in tree(output / "tags").items()}
    files["index.html"] = (output / "index.html").read_bytes()
    return files


def test_tag_pages_match_golden(built: Path, request: pytest.FixtureRequest) -> None:
    made = golden_part(built)
    if request.config.getoption("--regen-golden"):
        shutil.rmtree(GOLDEN, ignore_errors=True)
        for name, data in made.items():
            (GOLDEN / name).parent.mkdir(parents=True, exist_ok=True)
            (GOLDEN / name).write_bytes(data)
    golden = tree(GOLDEN)
    assert sorted(made) == sorted(golden), "files differ from tests/golden_topics"
    for name in golden:
        assert made[name] == golden[name], f"{name} differs from tests/golden_topics"


def test_fixture_tags_come_from_config_categories_and_rules(built: Path) -> None:
    folders = {p.name for p in (built / "tags").iterdir() if p.is_dir()}
    assert folders == {
        "rationality",  # the feed's config tags
        "ml",  # "Machine Learning", "machine-learning" (aliases) and "ml"
        "python",  # "Python", "PYTHON"
        "ai-safety",  # a rule over title and content
        "yudkowsky",  # a rule over the author
        "lesswrong",  # a rule over the link
        "obuchenie",  # "Обучение", "обучение": transliterated
        "ji-qi-xue-xi",  # 机器学习
    }
    # Ignored ("Uncategorized", "BLOG") and once-only ("Opinion") tags have no page or feed.
    for gone in ("uncategorized", "blog", "opinion", "machine-learning"):
        assert not (built / "tags" / gone).exists(), gone
    ml = page_text(built / "tags" / "ml" / "index.html")
    for title in ("Interpretability of small transformers", "Scaling laws revisited"):
        assert title in ml or title in page_text(
            built / "tags" / "ml" / "page" / "1" / "index.html"
        )
    assert (built / "tags" / "ml" / "atom.xml").is_file()


def test_a_tag_below_min_entries_is_plain_text_on_its_entry(built: Path) -> None:
    day = (built / "2026" / "03" / "19" / "index.html").read_text(encoding="utf-8")
    assert '<span class="tag-unlisted">Opinion</span>' in day
    assert "tags/opinion/" not in day
    assert 'href="../../../tags/ji-qi-xue-xi/index.html">机器学习</a>' in day
    assert "tags/opinion" not in (built / "tags" / "index.html").read_text(encoding="utf-8")


def test_tag_index_lists_tags_a_to_z_and_by_count(built: Path) -> None:
    html = (built / "tags" / "index.html").read_text(encoding="utf-8")
    a_z, by_count = html.split('id="tags-a-z"')[1].split('id="tags-by-count"')
    names = re.compile(r'tags/[^/]+/index\.html">([^<]+)</a> <span class="count">\((\d+)\)')
    alphabetical = names.findall(a_z)
    counted = names.findall(by_count)
    assert [n for n, _ in alphabetical] == sorted((n for n, _ in alphabetical), key=str.casefold)
    assert sorted(alphabetical) == sorted(counted)  # the same tags, twice
    assert [int(c) for _, c in counted] == sorted((int(c) for _, c in counted), reverse=True)
    assert counted[0] == ("LessWrong", "3")  # 3 entries each: A-Z among equals
    assert counted[-1] == ("机器学习", "2")
    # In-page links reach both lists, without JavaScript.
    assert 'href="#tags-a-z"' in html and 'href="#tags-by-count"' in html


def test_verbose_build_shows_every_rename_merge_and_drop(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], epoch: int
) -> None:
    shutil.copytree(FIXTURE, tmp_path / "site")
    assert main(["build", "-v", "--config", str(tmp_path / "site" / "config.toml")]) == 0
    err = capsys.readouterr().err
    assert "tag 'Machine Learning' renamed 'ML' (tags.aliases) on 1 entry" in err
    assert "tag 'BLOG' dropped (tags.ignore) from 1 entry" in err
    assert "tag 'Uncategorized' dropped (tags.ignore) from 2 entries" in err
    assert "tags 'ML', 'ml' merged into 'ML' (tags/ml/)" in err
    assert "tag 'Opinion' is on 1 entry, fewer than tags.min_entries = 2: no page" in err
    assert "tags.rules[2] ('^https://lesswrong\\\\.example/' over link) tagged 3 entries" in err


# --- unit tests on the site model -------------------------------------------------------------

WHEN = datetime(2026, 3, 23, 12, 0, tzinfo=UTC)


def item(n: int, tags: tuple[str, ...] = (), source: str = "a", **fields: str | None) -> Entry:
    base = Entry(
        id=f"e{n}",
        source=source,
        title=f"Post {n}",
        link=f"https://{source}.example/{n}",
        author="Ann",
        published=WHEN - timedelta(hours=n),
        updated=None,
        first_seen=WHEN,
        tags=tags,
        content_html=f"<p>Body {n}.</p>",
    )
    return replace(base, **fields)  # type: ignore[arg-type]


def site_of(*entries: Entry, tags: TagsConfig | None = None) -> Site:
    feeds = (
        FeedConfig(url="https://a.example/feed", name="A", slug="a"),
        FeedConfig(url="https://b.example/feed", name="B", slug="b"),
    )
    config = Config(
        path=Path("/nowhere/config.toml"),
        site=SiteConfig(title="T", base_url="https://t.example/", timezone="UTC"),
        feeds=feeds,
        tags=tags or TagsConfig(),
    )
    caches = [
        FeedCache(f.slug, entries=tuple(e for e in entries if e.source == f.slug)) for f in feeds
    ]
    return make_site(config, caches, ())


def listed(site: Site) -> dict[str, tuple[str, int]]:
    return {t.slug: (t.name, len(t.entries)) for t in site.tags}


def test_aliases_are_case_insensitive() -> None:
    aliases = TagsConfig(aliases=(("Machine Learning", "ml"),))
    site = site_of(
        item(1, ("machine learning",)),
        item(2, ("MACHINE  LEARNING",), source="b"),
        item(3, ("ML",)),
        item(4, ("Machine Learning",)),
        tags=aliases,
    )
    assert listed(site) == {"ml": ("ml", 4)}  # named as the alias says


def test_ignored_tags_are_dropped_whatever_their_case() -> None:
    ignore = TagsConfig(ignore=("Uncategorized",), aliases=(("misc", "uncategorized"),))
    site = site_of(
        item(1, ("UNCATEGORIZED", "News")), item(2, ("uncategorized", "news", "Misc")), tags=ignore
    )
    assert listed(site) == {"news": ("News", 2)}  # an alias onto an ignored tag drops it too


def test_min_entries_keeps_a_rare_tag_on_its_entry_without_a_page() -> None:
    first, second = item(1, ("Rare", "Common")), item(2, ("common",))
    site = site_of(first, second)
    assert listed(site) == {"common": ("Common", 2)}
    shown = {t.name: t.listed for t in site.tags_of(first)}
    assert shown == {"Common": True, "Rare": False}
    assert not [p for p in site.pages if p.tag is not None and p.tag.slug == "rare"]
    three = site_of(first, second, tags=TagsConfig(min_entries=3))
    assert listed(three) == {}
    assert listed(site_of(first, second, tags=TagsConfig(min_entries=1))) == {
        "common": ("Common", 2), "rare": ("Rare", 1),
    }  # fmt: skip


@pytest.mark.parametrize(
    ("field", "match", "hit", "miss"),
    [
        ("title", "^Special", {"title": "Special title"}, {"title": "Not Special"}),
        (
            "content",
            r"\bspecial words\b",
            {"content_html": "<p>Some <b>special</b> words.</p>"},
            {},
        ),
        ("author", "^Eliezer", {"author": "Eliezer Y"}, {"author": "Ann Eliezer"}),
        # (Each its own post: one link on two entries would be one post shown once, [dedup].)
        ("link", r"lesswrong\.com/posts/", {"link": "https://lesswrong.com/posts/{n}"}, {}),
    ],
)
def test_a_rule_tags_entries_whose_field_matches(
    field: TagField, match: str, hit: dict[str, str], miss: dict[str, str]
) -> None:
    rule = TagRule(match=match, tags=("Found", "Also"), fields=(field,))
    matching = [
        item(n, source=s, **{k: v.format(n=n) for k, v in hit.items()})
        for n, s in ((1, "a"), (3, "b"))
    ]
    others = [item(2, **miss), item(4)]
    site = site_of(*matching, *others, tags=TagsConfig(rules=(rule,)))
    tag = {t.slug: t for t in site.tags}["found"]
    assert [e.id for e in tag.entries] == ["e1", "e3"]
    assert [t.name for t in site.tags_of(matching[0])] == ["Also", "Found"]
    assert site.tags_of(others[0]) == ()


def test_a_rule_over_title_and_content_by_default_ignores_author_and_link() -> None:
    rule = TagRule(match="(?i)alignment", tags=("AI Safety",))
    site = site_of(
        item(1, title="Alignment news"),
        item(2, content_html="<p>On <em>alignment</em>.</p>"),
        item(3, author="Alignment Team"),
        item(4, link="https://a.example/alignment"),
        tags=TagsConfig(rules=(rule,)),
    )
    assert [e.id for e in site.tags[0].entries] == ["e1", "e2"]


def test_non_ascii_tags_get_transliterated_slugs() -> None:
    site = site_of(
        item(1, ("Машинное обучение", "机器学习")), item(2, ("машинное  обучение", "机器学习"))
    )
    assert listed(site) == {
        "mashinnoe-obuchenie": ("Машинное обучение", 2),
        "ji-qi-xue-xi": ("机器学习", 2),
    }


def test_tags_whose_slugs_collide_get_distinct_folders_the_same_every_time() -> None:
    entries = [
        item(1, ("Café", "C#")),
        item(2, ("CAFÉ",)),
        item(3, ("Cafe", "C#")),
        item(4, ("cafe",)),
    ]
    site = site_of(*entries)
    slugs = listed(site)
    assert slugs["cafe"] == ("Cafe", 2)  # the folded name sorting first keeps the plain slug
    other = [s for s in slugs if s.startswith("cafe-")]
    assert len(other) == 1 and re.fullmatch(r"cafe-[0-9a-f]{8}", other[0])
    assert slugs[other[0]] == ("CAFÉ", 2)
    assert slugs["c-sharp"] == ("C#", 2)
    # The same folders whatever the order the entries arrive in, and with a third name.
    again = listed(site_of(*reversed(entries), item(5, ("CaFe!",)), item(6, ("cafe!",))))
    assert {s: again[s] for s in slugs} == slugs
    assert len([s for s in again if s.startswith("cafe")]) == 3


# --- incremental builds: a tag reaching min_entries --------------------------------------------


def test_a_tag_reaching_min_entries_becomes_a_link_on_its_older_entries(tmp_path: Path) -> None:
    old = entry("alpha", 1, NOW - timedelta(days=3), ("Rare",))
    path = project(tmp_path / "p", {"alpha": (old,)})
    run(path)
    day = tmp_path / "p" / "output" / "2026" / "03" / "20" / "index.html"
    assert '<span class="tag-unlisted">Rare</span>' in day.read_text(encoding="utf-8")
    assert not (tmp_path / "p" / "output" / "tags" / "rare").exists()

    add_entries(path, "alpha", entry("alpha", 2, NOW - timedelta(hours=1), ("rare",)))
    run(path)

    # The old entry's day page did not change otherwise: only the key's `listed` re-renders it.
    assert 'tags/rare/index.html">Rare</a>' in day.read_text(encoding="utf-8")
    assert (tmp_path / "p" / "output" / "tags" / "rare" / "atom.xml").is_file()


def test_tags_config_errors_name_the_key(tmp_path: Path) -> None:
    path = write_config(tmp_path, [{"url": "https://a.example/feed", "name": "A"}])
    with path.open("a", encoding="utf-8") as f:
        f.write(
            "\n[tags]\nmin_entries = 0\nignore = 'Blog'\ncolour = 1\n"
            "[tags.aliases]\nML = ''\n"
            "[[tags.rules]]\nmatch = '(unclosed'\ntags = ['x']\n"
            "[[tags.rules]]\nmatch = 'ok'\nfields = ['body']\n"
        )
    with pytest.raises(ConfigError) as error:
        load_config(path)
    message = str(error.value)
    for where in (
        "tags.min_entries:", "tags.ignore:", "tags.colour: unknown key", "tags.aliases:",
        "tags.rules[0].match: not a valid regular expression: missing ), unterminated subpattern",
        "tags.rules[1].fields:", "tags.rules[1].tags: required",
    ):  # fmt: skip
        assert where in message, where


def test_logging_is_quiet_without_verbose(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="digest"):
        site_of(item(1, ("Rare",)), tags=TagsConfig(ignore=("x",)))
    assert not caplog.records


@pytest.mark.slow  # the Nu Html Checker over the fixture's pages
def test_tag_pages_are_valid_html5(built: Path) -> None:
    errors = validate_html([built])
    assert errors == [], "\n".join(errors[:40])
