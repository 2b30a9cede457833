"""Podcasts, video feeds and a picture per post (issue 22): read on both parse paths, shown
as players and pictures, carried on by the re-feeds, and never a script.

The fixtures have the shapes of a podcast host's RSS (enclosures, iTunes' duration, episode
and image) and of a video channel's Atom feed (`media:group` with a thumbnail and a
description, no content); tests/hostile/enclosures.rss has what a hostile feed may put there.
"""

from __future__ import annotations

import json
import re
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from atomcheck import check_atom_rules, validate_atom
from helpers import FeedServer

from digest.cli import main
from digest.models import Entry, Media, Picture
from digest.parse import parse_body

NOW = datetime(2026, 3, 24, tzinfo=UTC)
DATA = Path(__file__).parent / "data" / "fastparse"
PODCAST = DATA / "podcast.rss"
VIDEO = DATA / "video-channel.atom"
HOSTILE = Path(__file__).parent / "hostile" / "enclosures.rss"


def entries(path: Path) -> dict[str, Entry]:
    """The feed's entries by title, the same on the fast path and on feedparser's."""
    body = path.read_bytes()
    fast, slow = (
        parse_body(body, url="https://feeds.example/f", headers={}, source="s", now=NOW, fast=f)
        for f in (True, False)
    )
    assert fast == slow
    return {e.title: e for e in fast.entries}


def test_a_podcast_feed_gives_each_episode_its_audio_length_and_number() -> None:
    episodes = entries(PODCAST)
    audio = episodes["Episode 42: Feeds all the way down"]
    assert audio.media == (Media("https://cdn.podcast.example/42.mp3", "audio/mpeg", 48213760),)
    assert (audio.duration, audio.episode) == (3723, 42)  # 1:02:03
    assert audio.picture == Picture("https://podcast.example/42.jpg", alt=audio.title)
    video = episodes["Episode 41: A video one"]
    assert video.media == (Media("https://cdn.podcast.example/41.mp4", "video/mp4", 912345678),)
    assert video.duration == 3125 and video.episode is None
    assert video.picture == Picture("https://podcast.example/41-thumb.jpg", 640, 360, video.title)


def test_a_video_channel_feed_gives_the_thumbnail_and_the_description() -> None:
    (video,) = entries(VIDEO).values()
    assert video.link == "https://video.example/watch?v=abc123"
    assert video.picture == Picture(
        "https://i.video.example/vi/abc123/hqdefault.jpg", 480, 360, video.title
    )
    assert video.media == ()  # a Flash player's URL is no file to play
    assert video.content_html.startswith("What a feed is")


def test_hostile_media_values_are_dropped_not_shown() -> None:
    found = entries(HOSTILE)
    assert found["CONTROL enclosures"].media[0].url == "https://enclosures.example/control.mp3"
    scripts = found["Script URLs"]
    assert (scripts.media, scripts.picture) == ((), None)
    absurd = found["Absurd numbers"]
    assert [m.length for m in absurd.media] == [None, None]
    assert (absurd.duration, absurd.episode) == (None, None)
    assert absurd.picture == Picture("https://enclosures.example/2.jpg", alt="Absurd numbers")


@pytest.fixture(scope="module")
def media_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A site of the podcast and the video channel, built from the files (real files)."""
    root = tmp_path_factory.mktemp("media")
    for path in (PODCAST, VIDEO):
        shutil.copy(path, root)
    (root / "config.toml").write_text(
        '[site]\ntitle = "Listen and watch"\nbase_url = "https://example.github.io/m/"\n'
        'timezone = "UTC"\nper_page = 2\n\n'
        '[[feeds]]\nurl = "podcast.rss"\nname = "The Long Listen"\n\n'
        '[[feeds]]\nurl = "video-channel.atom"\nname = "A Video Channel"\n',
        encoding="utf-8",
    )
    mp = pytest.MonkeyPatch()
    mp.setenv("SOURCE_DATE_EPOCH", str(int(NOW.timestamp())))
    assert main(["build", "-q", "--config", str(root / "config.toml")]) == 0
    mp.undo()
    return root / "output"


def test_an_episode_plays_on_its_day_page_and_never_by_itself(media_site: Path) -> None:
    day = (media_site / "2026" / "03" / "21" / "index.html").read_text(encoding="utf-8")
    assert '<audio controls preload="none" src="https://cdn.podcast.example/42.mp3">' in day
    assert "Episode 42 · " in day and '<time datetime="PT3723S">1:02:03</time>' in day
    assert "48.2 MB" in day
    # the episode's own picture beside its audio, its size set
    assert (
        '<img class="entry-media-image" src="https://podcast.example/42.jpg" alt="" '
        'loading="lazy" decoding="async" width="96" height="96">'
    ) in day
    for page in media_site.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert "autoplay" not in text and "<iframe" not in text, page
        for player in re.findall(r"<(?:audio|video)\b[^>]*>", text):
            assert 'preload="none"' in player and "controls" in player, player


def test_a_video_shows_its_picture_leading_to_it(media_site: Path) -> None:
    day = (media_site / "2026" / "03" / "20" / "index.html").read_text(encoding="utf-8")
    picture = re.search(r'<a class="entry-picture" href="([^"]+)"[^>]*><img ([^>]+)>', day)
    assert picture is not None and picture[1] == "https://video.example/watch?v=abc123"
    assert 'width="480" height="360"' in picture[2] and 'loading="lazy"' in picture[2]


def test_listings_show_each_post_picture_with_its_size_set(media_site: Path) -> None:
    """Not the first, full page: the older pages of a source, with excerpts."""
    thumbs = []
    for page in media_site.glob("sources/*/index.html"):
        thumbs += re.findall(r'<a class="entry-thumb"[^>]*><img ([^>]+)>', page.read_text())
    assert thumbs, "no listing shows a picture"
    for img in thumbs:
        assert re.search(r'width="\d+" height="\d+"', img) and 'loading="lazy"' in img, img


def test_the_refeeds_carry_the_enclosures_for_podcast_apps(media_site: Path) -> None:
    atom = media_site / "atom.xml"
    assert validate_atom(atom) == [] and check_atom_rules(atom) == []
    assert (
        '<link rel="enclosure" type="audio/mpeg" length="48213760" '
        'href="https://cdn.podcast.example/42.mp3"/>'
    ) in atom.read_text(encoding="utf-8")
    items = json.loads((media_site / "feed.json").read_bytes())["items"]
    attached = {i["title"]: i.get("attachments") for i in items}
    assert attached["Episode 42: Feeds all the way down"] == [
        {
            "url": "https://cdn.podcast.example/42.mp3",
            "mime_type": "audio/mpeg",
            "size_in_bytes": 48213760,
            "duration_in_seconds": 3723,
        }
    ]
    assert attached["How feeds work, in ten minutes"] is None


@pytest.mark.slow  # a real browser
@pytest.mark.parametrize("width", [390, 1280])
def test_player_and_picture_pages_pass_axe(media_site: Path, width: int) -> None:
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import sync_playwright
    from test_browser import CHROMIUM, open_page

    with FeedServer(folder=media_site) as server, sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        # the player, the video's picture, and a listing of pictures
        for path in ("2026/03/21/index.html", "2026/03/20/index.html", "2026/03/index.html"):
            assert (media_site / path).is_file(), path
            page, errors = open_page(
                browser, server.url("/" + path), viewport={"width": width, "height": 900}
            )
            results = Axe().run(page, options={"resultTypes": ["violations"]})
            bad = [
                f"{v['id']}: {v['help']}"
                for v in results.response["violations"]
                if v["impact"] in ("serious", "critical")
            ]
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            page.close()
            assert errors == [] and bad == [] and overflow <= 0, (path, width, errors, bad)
        browser.close()
