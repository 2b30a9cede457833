"""OPML: the site's feeds as OPML 2.0, and `digest import-opml` from a feed reader's export."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from helpers import write_config

from digest.cli import main
from digest.cli.import_opml import parse_opml
from digest.config import load_config
from digest.errors import OpmlError
from digest.render.opml import OpmlFeed, opml_document

FEEDS = [
    OpmlFeed("LessWrong", "https://www.lesswrong.com/feed.xml", "https://www.lesswrong.com/",
             ("Rationality", "AI")),
    OpmlFeed("Import AI", "https://importai.substack.com/feed", None, ("AI",)),
    OpmlFeed("No tags", "http://plain.example/rss", "http://plain.example/", ()),
]  # fmt: skip

COMMENTED = """\
# My digest. These comments must survive an import.

[site]
title = "Mine"                                  # the name
base_url = "https://example.github.io/mine/"    # where it lives
timezone = "Europe/Berlin"

[[feeds]]
url = "https://www.lesswrong.com/feed.xml"   # already here
name = "LW"
tags = ["Mine"]

# Politeness.
[fetch]
timeout = 20   # seconds
"""


def site_only(folder: Path) -> Path:
    path = folder / "config.toml"
    path.write_text(
        '[site]\ntitle = "T"\nbase_url = "https://example.github.io/t/"\n', encoding="utf-8"
    )
    return path


# --- writing ---------------------------------------------------------------------------------


def test_document_is_opml_2_with_one_outline_per_feed() -> None:
    data = opml_document("Alignment Digest", FEEDS)
    assert data.startswith(b'<?xml version="1.0" encoding="utf-8"?>\n<opml version="2.0">')
    root = ET.fromstring(data)
    assert root.tag == "opml" and root.get("version") == "2.0"
    assert root.findtext("head/title") == "Alignment Digest"
    outlines = root.findall("body/outline")
    assert [o.attrib for o in outlines] == [
        {
            "type": "rss", "text": "LessWrong", "title": "LessWrong",
            "xmlUrl": "https://www.lesswrong.com/feed.xml",
            "htmlUrl": "https://www.lesswrong.com/", "category": "Rationality,AI",
        },
        {
            "type": "rss", "text": "Import AI", "title": "Import AI",
            "xmlUrl": "https://importai.substack.com/feed", "category": "AI",
        },
        {
            "type": "rss", "text": "No tags", "title": "No tags",
            "xmlUrl": "http://plain.example/rss", "htmlUrl": "http://plain.example/",
        },
    ]  # fmt: skip


def test_document_is_deterministic_and_escapes_everything() -> None:
    nasty = OpmlFeed(
        'Tom & "Jerry" <b>\'s</b>\tblog\x07',
        "https://x.example/feed?a=1&b=<2>",
        "https://x.example/?q=\"'",
        ("R&D", "a,b", "x<y", "new\nline"),
    )
    first = opml_document("A & B <digest>", [nasty])
    assert first == opml_document("A & B <digest>", [nasty])
    assert b"<b>" not in first and b"\x07" not in first and b"& " not in first
    root = ET.fromstring(first)  # well-formed
    assert root.findtext("head/title") == "A & B <digest>"
    outline = root.find("body/outline")
    assert outline is not None
    assert outline.get("text") == 'Tom & "Jerry" <b>\'s</b>\tblog'
    assert outline.get("xmlUrl") == "https://x.example/feed?a=1&b=<2>"
    assert outline.get("htmlUrl") == "https://x.example/?q=\"'"
    assert outline.get("category") == "R&D,a b,x<y,new line"
    assert first.endswith(b"</opml>\n") and b"\r" not in first


def test_document_without_feeds_is_valid() -> None:
    root = ET.fromstring(opml_document("Empty", []))
    body = root.find("body")
    assert body is not None and list(body) == []


# --- reading ---------------------------------------------------------------------------------


def test_round_trip_into_an_empty_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    opml = tmp_path / "feeds.opml"
    opml.write_bytes(opml_document("Mine", FEEDS))
    config = site_only(tmp_path)
    assert main(["import-opml", str(opml), "--config", str(config)]) == 0
    feeds = load_config(config).feeds
    assert [(f.name, f.url, f.tags) for f in feeds] == [(f.name, f.xml_url, f.tags) for f in FEEDS]
    err = capsys.readouterr().err
    assert all(f"added {f.name}: {f.xml_url}" in err for f in FEEDS)
    assert "3 feed(s) added, 0 already there" in err

    # importing the same file again adds nothing and says why, feed by feed
    before = config.read_bytes()
    assert main(["import-opml", str(opml), "--config", str(config)]) == 0
    assert config.read_bytes() == before
    err = capsys.readouterr().err
    assert all(f"skipped {f.xml_url}: already in" in err for f in FEEDS)
    assert "0 feed(s) added, 3 already there" in err


def test_import_keeps_comments_and_skips_known_urls(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(COMMENTED, encoding="utf-8")
    opml = tmp_path / "feeds.opml"
    # the same LessWrong feed, spelled with another scheme and host case: still the same feed
    opml.write_text(
        '<?xml version="1.0"?><opml version="1.0"><head><title>t</title></head><body>'
        '<outline text="LessWrong" xmlUrl="http://WWW.LessWrong.com/feed.xml"/>'
        '<outline text="Fresh" type="rss" xmlUrl="https://fresh.example/atom"/>'
        "</body></opml>",
        encoding="utf-8",
    )
    assert main(["import-opml", str(opml), "--config", str(config)]) == 0
    text = config.read_text(encoding="utf-8")
    assert text.startswith(COMMENTED)  # every byte that was there is still there
    assert text[len(COMMENTED) :] == (
        '\n[[feeds]]\nurl = "https://fresh.example/atom"\nname = "Fresh"\n'
    )
    config_now = load_config(config)
    assert [f.name for f in config_now.feeds] == ["LW", "Fresh"]
    assert config_now.fetch.timeout == 20
    err = capsys.readouterr().err
    assert "skipped http://WWW.LessWrong.com/feed.xml: already in" in err and "'LW'" in err


def test_folders_and_categories_become_tags(tmp_path: Path) -> None:
    opml = tmp_path / "export.opml"
    opml.write_text(
        """<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0">
  <head><title>Reader export</title></head>
  <body>
    <outline text="Loose" xmlUrl="https://loose.example/feed" htmlUrl="https://loose.example/"/>
    <outline title="Tech">
      <outline text="Programming">
        <outline type="rss" text="Deep" xmlUrl="https://deep.example/rss" category="/Python,go"/>
      </outline>
      <outline text="Shallow" xmlUrl="https://shallow.example/atom.xml"/>
    </outline>
    <outline text="News">
      <outline text="Deep again" xmlUrl="https://deep.example/rss"/>
      <outline text="No URL here"/>
      <outline text="Mail" xmlUrl="mailto:someone@example.org"/>
    </outline>
    <outline text="Blog" xmlUrl="https://one.example/feed"/>
    <outline text="Blog" xmlUrl="https://two.example/feed"/>
  </body>
</opml>""",
        encoding="utf-8",
    )
    config = site_only(tmp_path)
    assert main(["import-opml", str(opml), "--config", str(config)]) == 0
    feeds = {f.url: f for f in load_config(config).feeds}
    assert list(feeds) == [
        "https://loose.example/feed", "https://deep.example/rss",
        "https://shallow.example/atom.xml", "https://one.example/feed", "https://two.example/feed",
    ]  # fmt: skip
    assert feeds["https://loose.example/feed"].tags == ()
    assert feeds["https://deep.example/rss"].tags == ("Tech", "Programming", "Python", "go", "News")
    assert feeds["https://deep.example/rss"].name == "Deep"
    assert feeds["https://shallow.example/atom.xml"].tags == ("Tech",)
    # two feeds with one name: the second is renamed, since names give the cache file
    assert feeds["https://one.example/feed"].name == "Blog"
    assert feeds["https://two.example/feed"].name == "Blog (2)"


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (b"", "not well-formed XML"),
        (b"<opml><body><outline", "not well-formed XML"),
        (b"<html><body/></html>", "the root element is <html>"),
        (b'<opml version="2.0"><head/></opml>', "no <body> element"),
        (b'<opml version="2.0"><body><outline text="folder"/></body></opml>', "no feeds"),
        (
            b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 '
            b'"&lol;&lol;&lol;&lol;">]><opml><body><outline text="&lol2;" '
            b'xmlUrl="https://x.example/"/></body></opml>',
            "refused: the file declares a DOCTYPE",
        ),
        (
            b'<?xml version="1.0"?><!DOCTYPE opml SYSTEM "file:///etc/passwd">'
            b'<opml><body><outline xmlUrl="https://x.example/"/></body></opml>',
            "refused: the file declares a DOCTYPE",
        ),
    ],
)
def test_bad_opml_is_an_error_naming_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], data: bytes, says: str
) -> None:
    opml = tmp_path / "subscriptions.opml"
    opml.write_bytes(data)
    config = site_only(tmp_path)
    before = config.read_bytes()
    assert main(["import-opml", str(opml), "--config", str(config)]) == 1
    err = capsys.readouterr().err
    assert f"digest: error: {opml}: " in err and says in err
    assert config.read_bytes() == before
    with pytest.raises(OpmlError):
        parse_opml(data, "x")


def test_missing_opml_file_and_broken_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = site_only(tmp_path)
    missing = tmp_path / "nope.opml"
    assert main(["import-opml", str(missing), "--config", str(config)]) == 1
    assert f"{missing}: cannot read" in capsys.readouterr().err

    opml = tmp_path / "ok.opml"
    opml.write_bytes(opml_document("x", FEEDS))
    broken = write_config(tmp_path / "b", [], per_page=0)
    before = broken.read_bytes()
    assert main(["import-opml", str(opml), "--config", str(broken)]) == 1
    assert "site.per_page" in capsys.readouterr().err
    assert broken.read_bytes() == before


def test_inline_feeds_array_grows_in_place(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        'feeds = [{ url = "https://a.example/feed", name = "A" }]  # inline\n\n'
        '[site]\ntitle = "T"\nbase_url = "https://example.github.io/t/"\n',
        encoding="utf-8",
    )
    opml = tmp_path / "f.opml"
    opml.write_bytes(opml_document("x", [OpmlFeed("B", "https://b.example/feed", None, ("t",))]))
    assert main(["import-opml", str(opml), "--config", str(config)]) == 0
    assert [(f.name, f.tags) for f in load_config(config).feeds] == [("A", ()), ("B", ("t",))]
    assert "# inline" in config.read_text(encoding="utf-8")
