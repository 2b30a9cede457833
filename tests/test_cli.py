"""The command line contract: config errors, exit codes, refusing unsafe output folders."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import write_config

from digest import __version__
from digest.cli import main


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit:
        main(["--version"])
    assert exit.value.code == 0
    assert capsys.readouterr().out.strip() == f"digest {__version__}"


def test_usage_error_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit:
        main(["build", "--no-such-flag"])
    assert exit.value.code == 2
    with pytest.raises(SystemExit) as exit:
        main([])
    assert exit.value.code == 2


def test_config_with_three_mistakes_reports_all_three(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        '[site]\ntitle = "T"\nbase_url = "https://x.example/"\ntimezone = "Mars/Olympus"\n'
        'per_pgae = 10\n\n[[feeds]]\nurl = "https://a.example/feed"\nname = "A"\n\n'
        '[[feeds]]\nurl = "htp:/nowhere"\nname = "B"\n',
        encoding="utf-8",
    )
    assert main(["build", "--config", str(config)]) == 1
    err = capsys.readouterr().err
    assert str(config) in err
    assert "site.timezone: 'Mars/Olympus' is not an IANA time zone" in err
    assert "site.per_pgae: unknown key" in err
    assert "feeds[1].url: 'htp:/nowhere' is not an http(s) URL or an existing file" in err
    assert "3 problem(s)" in err
    assert not (tmp_path / "output").exists()


def test_broken_toml_names_the_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[site]\ntitle = "unterminated\n', encoding="utf-8")
    assert main(["build", "--offline", "--config", str(config)]) == 1
    err = capsys.readouterr().err
    assert str(config) in err and "not valid TOML" in err and "line 2" in err


def test_missing_config_says_what_to_do(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["build", "--config", str(tmp_path / "nope.toml")]) == 1
    assert "no such file" in capsys.readouterr().err


def test_local_feed_file_and_relative_paths(tmp_path: Path, epoch: int) -> None:
    (tmp_path / "feeds").mkdir()
    (tmp_path / "feeds" / "local.xml").write_text(
        '<?xml version="1.0"?><rss version="2.0"><channel><title>L</title><link>https://l.example/</link>'
        "<description>d</description><item><title>Local item</title><link>https://l.example/1</link>"
        "<pubDate>Sat, 21 Mar 2026 10:00:00 GMT</pubDate><description>Hi</description></item>"
        "</channel></rss>",
        encoding="utf-8",
    )
    config = write_config(tmp_path, [{"url": "feeds/local.xml", "name": "Local"}])
    assert main(["build", "--config", str(config), "-q"]) == 0
    assert "Local item" in (tmp_path / "output" / "index.html").read_text(encoding="utf-8")
    assert (tmp_path / "output" / "2026" / "03" / "21" / "index.html").is_file()


def test_refuses_an_output_folder_that_holds_a_project(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], epoch: int
) -> None:
    config = write_config(tmp_path, [])
    (tmp_path / "output" / "content").mkdir(parents=True)
    (tmp_path / "output" / "keep.txt").write_text("mine")
    assert main(["build", "--offline", "--config", str(config)]) == 1
    assert "refusing to write" in capsys.readouterr().err
    assert (tmp_path / "output" / "keep.txt").read_text() == "mine"


def test_unwritable_output_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], epoch: int
) -> None:
    config = write_config(tmp_path, [])
    (tmp_path / "output").write_text("a file where the folder should be")
    assert main(["build", "--offline", "--config", str(config)]) == 1
    err = capsys.readouterr().err
    assert "cannot write the site" in err and "output" in err


def test_stale_pages_are_removed(tmp_path: Path, epoch: int) -> None:
    config = write_config(tmp_path, [])
    (tmp_path / "output" / "old" / "deep").mkdir(parents=True)
    (tmp_path / "output" / "old" / "deep" / "index.html").write_text("stale")
    assert main(["build", "--offline", "--config", str(config)]) == 0
    assert not (tmp_path / "output" / "old").exists()
    assert (tmp_path / "output" / "index.html").is_file()


def test_corrupt_cache_stops_with_the_file_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], epoch: int
) -> None:
    config = write_config(tmp_path, [{"url": "https://x.example/feed", "name": "X"}])
    cache = tmp_path / "content" / "feeds" / "x.json"
    cache.parent.mkdir(parents=True)
    cache.write_text('{"schema": 1, "entries": [')
    assert main(["build", "--offline", "--config", str(config)]) == 1
    err = capsys.readouterr().err
    assert str(cache) in err and "not a valid cache file" in err
    assert cache.read_text() == '{"schema": 1, "entries": ['


def test_unchanged_inputs_skip_rendering_but_any_change_rebuilds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], epoch: int
) -> None:
    config = write_config(tmp_path, [])
    posts = tmp_path / "content" / "posts"
    posts.mkdir(parents=True)
    (posts / "a.md").write_text("---\ntitle: First title\ndate: 2026-03-01\n---\nHi\n")
    assert main(["build", "--offline", "--config", str(config)]) == 0
    capsys.readouterr()
    assert main(["build", "--offline", "--config", str(config)]) == 0
    assert "0 files written" in capsys.readouterr().err

    (posts / "a.md").write_text("---\ntitle: Second title\ndate: 2026-03-01\n---\nHi\n")
    assert main(["build", "--offline", "--config", str(config)]) == 0
    assert "Second title" in (tmp_path / "output/posts/a/index.html").read_text()

    (tmp_path / "output" / "tags" / "index.html").unlink()
    assert main(["build", "--offline", "--config", str(config)]) == 0
    assert (tmp_path / "output" / "tags" / "index.html").is_file()
