"""`digest fetch --shard I/N` and `digest init --shards N`.

N shards fetched one after another leave exactly the `content/` one whole fetch leaves, each
touching only its own feeds' cache files; the sharded workflow passes actionlint.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from faults import feed_body
from helpers import FeedServer, stats, tree, write_config
from test_init import actionlint, lint, load_workflow

from digest.cli import main
from digest.cli.init import WORKFLOW, pinned_install, workflow_text
from digest.feeds.shard import Shard
from digest.models import FeedConfig

SHARDS = 3


def feed(url: str) -> FeedConfig:
    return FeedConfig(url=url, name=url, slug="x")


def test_every_feed_is_in_exactly_one_shard_and_stays_there() -> None:
    urls = [f"https://feeds{n}.example/feed.xml" for n in range(300)]
    shards = [Shard(i, SHARDS) for i in range(1, SHARDS + 1)]
    holders = [[s for s in shards if s.holds(feed(url))] for url in urls]
    assert all(len(h) == 1 for h in holders)
    sizes = [sum(h[0] == s for h in holders) for s in shards]
    assert all(60 < size < 140 for size in sizes), sizes  # spread out
    # A hash of the URL, the same in every process (Python's hash() of a str is salted).
    assert Shard(3, 3).holds(feed("https://example.org/feed.xml"))
    code = (
        "from digest.feeds.shard import Shard; from digest.models import FeedConfig; print(Shard("
        "3, 3).holds(FeedConfig(url='https://example.org/feed.xml', name='n', slug='n')))"
    )
    for seed in ("1", "2"):
        run = subprocess.run(
            [sys.executable, "-c", code], env={"PYTHONHASHSEED": seed}, capture_output=True,
            text=True, check=True,
        )  # fmt: skip
        assert run.stdout == "True\n"


def sharded_feeds(server: FeedServer, per_shard: int = 2) -> list[dict[str, object]]:
    """Feeds served by `server`, at least `per_shard` in each shard (their URLs, with the
    server's port, decide which)."""
    taken: dict[int, int] = {}
    feeds: list[dict[str, object]] = []
    n = 0
    while len(taken) < SHARDS or min(taken.values()) < per_shard:
        url = server.serve(f"/f{n}", feed_body(f"f{n}", 2 + n % 4), ETag=f'"f{n}"')
        shard = next(i for i in range(1, SHARDS + 1) if Shard(i, SHARDS).holds(feed(url)))
        taken[shard] = taken.get(shard, 0) + 1
        feeds.append({"url": url, "name": f"Feed {n}"})
        n += 1
    return feeds


def test_the_shards_one_after_another_fetch_what_one_fetch_does(
    server: FeedServer, tmp_path: Path, epoch: int, capsys: pytest.CaptureFixture[str]
) -> None:
    feeds = sharded_feeds(server)
    whole = write_config(tmp_path / "whole", feeds)
    assert main(["fetch", "-q", "--config", str(whole)]) == 0
    expected = tree(tmp_path / "whole" / "content")
    assert {Path(name).stem for name in expected} == {f"feed-{n}" for n in range(len(feeds))}

    config = write_config(tmp_path / "sharded", feeds)
    content = tmp_path / "sharded" / "content"
    slugs = {f"/f{n}": f"feed-{n}" for n in range(len(feeds))}
    for index in range(1, SHARDS + 1):
        before = stats(content)
        asked = len(server.requests)
        assert main(["fetch", "--shard", f"{index}/{SHARDS}", "--config", str(config)]) == 0
        mine = set(server.paths()[asked:])
        assert mine and all(Shard(index, SHARDS).holds(feed(server.url(p))) for p in mine)
        after = stats(content)
        changed = {name for name in after if before.get(name) != after[name]}
        # Only its own feeds' files (a state file and the month files of each), all of them.
        assert changed == {name for name in after if Path(name).stem in {slugs[p] for p in mine}}
        assert set(before) <= set(after)
        assert f"shard {index}/{SHARDS}: {len(mine)} of {len(feeds)} feeds" in (
            capsys.readouterr().err
        )
    assert tree(content) == expected


@pytest.mark.parametrize("value", ["0/3", "4/3", "x", "3", "1/0", "-1/3", "1/3/3", ""])
def test_a_bad_shard_is_a_usage_error(
    value: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit:
        main(["fetch", f"--shard={value}", "--config", str(tmp_path / "config.toml")])
    assert exit.value.code == 2
    err = capsys.readouterr().err
    assert f"argument --shard: {value!r}: expected I/N" in err and "such as 1/3" in err


# --- the sharded workflow ------------------------------------------------------------------


def test_init_shards_writes_a_workflow_of_parallel_fetch_jobs(tmp_path: Path, epoch: int) -> None:
    assert main(["init", str(tmp_path), "--shards", "3"]) == 0
    text = (tmp_path / WORKFLOW).read_text(encoding="utf-8")
    wf = load_workflow(text)
    fetch, build, deploy = wf["jobs"]["fetch"], wf["jobs"]["build"], wf["jobs"]["deploy"]
    assert fetch["strategy"]["matrix"] == {"shard": [1, 2, 3]}
    assert fetch["strategy"]["fail-fast"] is False
    runs = [s.get("run", "") for s in fetch["steps"]]
    assert "digest fetch --shard ${{ matrix.shard }}/3" in runs
    upload = next(s for s in fetch["steps"] if s.get("uses", "").startswith("actions/upload-art"))
    assert upload["with"]["name"] == "feeds-${{ matrix.shard }}"

    assert build["needs"] == "fetch"
    download = next(s for s in build["steps"] if "download-artifact" in s.get("uses", ""))
    assert download["with"] == {"pattern": "feeds-*", "merge-multiple": True, "path": "content"}
    order = [s.get("uses", "").split("@")[0] or s["run"] for s in build["steps"]]
    built = 'digest build --offline --base-url "${{ steps.pages.outputs.base_url }}/"'
    commit = next(run for run in order if "git push" in run)
    assert order.index("actions/download-artifact") < order.index(built) < order.index(commit)
    assert order[-1] == "actions/upload-pages-artifact"
    assert deploy["needs"] == "build"
    assert [s["uses"].split("@")[0] for s in deploy["steps"] if "uses" in s] == [
        "actions/deploy-pages", "actions/cache/save",
    ]  # fmt: skip

    # As the one-job workflow: triggers, permissions, one run at a time, the install line,
    # and the steps that restore the last build and publish only a new site.
    single = load_workflow(workflow_text(pinned_install()))
    shared = [s for s in single["jobs"]["build"]["steps"] if "cache" in s.get("uses", "")]
    shared += [s for s in single["jobs"]["build"]["steps"] if s.get("id") == "publish"]
    assert len(shared) == 4 and all(s in build["steps"] for s in shared)
    assert build["outputs"] == single["jobs"]["build"]["outputs"]
    assert deploy == single["jobs"]["deploy"]
    for key in ("on", "permissions", "concurrency"):
        assert wf[key] == single[key]
    install = next(s["run"] for s in single["jobs"]["build"]["steps"] if "pip" in s.get("run", ""))
    assert [s.get("run") for s in fetch["steps"]].count(install) == 1
    assert [s.get("run") for s in build["steps"]].count(install) == 1

    (tmp_path / ".git").mkdir()  # actionlint looks for the repository's workflows
    assert actionlint() and lint(tmp_path) == []


def test_the_shards_workflow_for_other_counts(tmp_path: Path) -> None:
    for count in (2, 16):
        wf = load_workflow(workflow_text(pinned_install(), count))
        assert wf["jobs"]["fetch"]["strategy"]["matrix"]["shard"] == list(range(1, count + 1))
    assert "fetch" not in load_workflow(workflow_text(pinned_install(), 1))["jobs"]


@pytest.mark.parametrize("value", ["0", "x", "257", "-2"])
def test_a_bad_shard_count_is_a_usage_error(
    value: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit:
        main(["init", str(tmp_path), f"--shards={value}"])
    assert exit.value.code == 2
    assert f"argument --shards: {value!r}: expected a number of jobs, 1 to 256" in (
        capsys.readouterr().err
    )
    assert not (tmp_path / "config.toml").exists()
