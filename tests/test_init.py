"""`digest init`: a new digest that builds at once, never overwrites, and a workflow that lints.

The workflows (the scaffolded one and this repository's own) are parsed as YAML and checked
by actionlint, the binary that the test extra installs.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers import page_text

from digest import __version__
from digest.cli import main
from digest.cli.init import SOURCE_INSTALL, WORKFLOW, pinned_install, workflow_text
from digest.config import FEED_KEYS, FETCH_KEYS, RETENTION_KEYS, SITE_KEYS, load_config

REPO = Path(__file__).resolve().parent.parent
SCAFFOLD = ("config.toml", "content/posts/welcome.md", ".gitignore", WORKFLOW)


def test_init_then_build_gives_a_site_with_the_welcome_post(
    tmp_path: Path, epoch: int, capsys: pytest.CaptureFixture[str]
) -> None:
    site = tmp_path / "new-digest"  # does not exist yet
    assert main(["init", str(site)]) == 0
    assert sorted(p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file()) == sorted(
        SCAFFOLD
    )
    err = capsys.readouterr().err
    assert all(str(site / name) in err for name in SCAFFOLD)

    config = load_config(site / "config.toml")  # every key of the template is valid
    assert len(config.feeds) == 2 and all(f.url.startswith("https://") for f in config.feeds)

    assert main(["build", "--offline", "--config", str(site / "config.toml")]) == 0
    index = site / "output" / "index.html"
    assert index.is_file() and (site / "output" / "atom.xml").is_file()
    text = page_text(index)
    assert "My Digest" in text
    assert "Welcome to your digest" in text
    post = site / "output" / "posts" / "welcome" / "index.html"
    assert "digest add https://example.org/" in page_text(post)
    # dated from SOURCE_DATE_EPOCH (2026-03-23 12:00 UTC)
    assert "date: 2026-03-23 12:00\n" in (site / "content/posts/welcome.md").read_text()


def test_config_template_explains_every_key(tmp_path: Path, epoch: int) -> None:
    assert main(["init", str(tmp_path)]) == 0
    text = (tmp_path / "config.toml").read_text(encoding="utf-8")
    lines = text.splitlines()
    # every key the config knows, so that a new one is documented for new digests too
    for key in sorted(SITE_KEYS | FETCH_KEYS | RETENTION_KEYS | FEED_KEYS):
        at = [i for i, line in enumerate(lines) if re.match(rf"(# )?{key} = ", line)]
        assert at, f"{key} is not in the config template"
        line, above = lines[at[0]], lines[at[0] - 1]
        assert "#" in line.split(" = ", 1)[1] or above.startswith("#"), f"{key}: no comment"
    for table in ("[site]", "[fetch]", "# [retention]", "[[feeds]]"):
        assert table in text
    ignored = (tmp_path / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert "output/" in ignored and ".venv/" in ignored and "__pycache__/" in ignored
    assert not any(line.startswith("content") for line in ignored)


def test_init_in_the_current_folder_by_default(
    tmp_path: Path, epoch: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["init"]) == 0
    assert all((tmp_path / name).is_file() for name in SCAFFOLD)


def test_init_refuses_to_overwrite_and_names_every_file(
    tmp_path: Path, epoch: int, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "config.toml").write_text("# mine\n", encoding="utf-8")
    (tmp_path / ".gitignore").write_text("mine/\n", encoding="utf-8")
    assert main(["init", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "digest: error:" in err and "--force" in err
    assert str(tmp_path / "config.toml") in err and str(tmp_path / ".gitignore") in err
    assert "2 existing file(s)" in err
    # nothing written, not even the files that were missing
    assert (tmp_path / "config.toml").read_text() == "# mine\n"
    assert (tmp_path / ".gitignore").read_text() == "mine/\n"
    assert not (tmp_path / "content").exists() and not (tmp_path / ".github").exists()

    assert main(["init", str(tmp_path), "--force"]) == 0
    assert "[site]" in (tmp_path / "config.toml").read_text()
    assert "output/" in (tmp_path / ".gitignore").read_text()
    assert (tmp_path / WORKFLOW).is_file()


def test_init_into_a_file_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "file"
    target.write_text("x", encoding="utf-8")
    assert main(["init", str(target)]) == 1
    assert f"{target}: exists and is not a folder" in capsys.readouterr().err


# --- the workflow ----------------------------------------------------------------------------


def load_workflow(text: str) -> dict[str, Any]:
    data = yaml.safe_load(text)
    assert isinstance(data, dict)
    if True in data:  # YAML 1.1 reads the key `on` as a boolean
        data["on"] = data.pop(True)
    return data


def check_workflow(text: str, install: str) -> None:
    wf = load_workflow(text)
    assert set(wf["on"]) == {"schedule", "workflow_dispatch", "push"}
    assert wf["on"]["schedule"] == [{"cron": "17 * * * *"}]
    assert wf["on"]["push"] == {"branches": ["main"]}
    assert wf["permissions"] == {"contents": "write", "pages": "write", "id-token": "write"}
    assert wf["concurrency"]["cancel-in-progress"] is False and wf["concurrency"]["group"]
    build, deploy = wf["jobs"]["build"], wf["jobs"]["deploy"]
    steps = build["steps"]
    uses = [step["uses"] for step in steps if "uses" in step] + [
        step["uses"] for step in deploy["steps"] if "uses" in step
    ]
    assert all(re.fullmatch(r"actions/[a-z-]+(/[a-z]+)?@v\d+", u) for u in uses), uses
    assert [u.split("@")[0] for u in uses] == [
        "actions/checkout", "actions/setup-python", "actions/configure-pages",
        "actions/cache/restore", "actions/cache/restore", "actions/cache/save",
        "actions/upload-pages-artifact", "actions/deploy-pages", "actions/cache/save",
    ]  # fmt: skip
    python = next(s for s in steps if s.get("uses", "").startswith("actions/setup-python"))
    assert python["with"]["cache"] == "pip"
    runs = [step["run"] for step in steps if "run" in step]
    assert install in runs
    pages = next(s for s in steps if s.get("uses", "").startswith("actions/configure-pages"))
    assert pages["id"] == "pages"
    assert 'digest build --base-url "${{ steps.pages.outputs.base_url }}/"' in runs
    commit = next(run for run in runs if "git push" in run)
    assert 'git config user.name "github-actions[bot]"' in commit
    assert "git add content\ngit diff --cached --quiet || (git commit -m " in commit
    assert commit.rstrip().endswith("&& git push)")
    upload = next(s for s in steps if s.get("uses", "").startswith("actions/upload-pages"))
    assert upload["with"] == {"path": "output"}
    order = [s["uses"].split("@")[0] if "uses" in s else s["run"] for s in steps]
    assert order.index("actions/configure-pages") < order.index(runs[1]) < order.index(commit)
    assert deploy["needs"] == "build"
    assert deploy["environment"]["name"] == "github-pages"
    comments = " ".join(re.sub(r"\n\s*#", " ", text).split())
    assert "60 days without activity" in comments and "edit the cron expression" in comments


def actionlint() -> str:
    """The actionlint binary of the test extra (pip install '.[test]')."""
    found = shutil.which("actionlint") or shutil.which(
        "actionlint", path=str(Path(sys.executable).parent)
    )
    if found is None:
        pytest.fail("actionlint is not installed: pip install -e '.[test]'")
    return found


def lint(root: Path, *files: str) -> list[dict[str, Any]]:
    """actionlint's findings, as JSON, for workflow files in the repository at `root`."""
    run = subprocess.run(
        [actionlint(), "-no-color", "-format", "{{json .}}", *files],
        cwd=root, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert run.returncode in (0, 1), run.stderr  # 0 clean, 1 findings; others: it failed
    findings: list[dict[str, Any]] = json.loads(run.stdout or "[]")
    assert (run.returncode == 0) == (not findings)
    return findings


def test_scaffolded_workflow_parses_and_passes_actionlint(tmp_path: Path, epoch: int) -> None:
    assert main(["init", str(tmp_path)]) == 0
    text = (tmp_path / WORKFLOW).read_text(encoding="utf-8")
    check_workflow(
        text, f'pip install "digest-site @ git+https://github.com/OWNER/digest@v{__version__}"'
    )
    assert "git+https://" in text  # says how to install from git instead
    (tmp_path / ".git").mkdir()  # actionlint looks for the repository's workflows
    assert lint(tmp_path) == []


def test_repository_workflow_is_the_template_and_passes_actionlint() -> None:
    path = REPO / WORKFLOW
    text = path.read_text(encoding="utf-8")
    assert text == workflow_text(SOURCE_INSTALL), (
        f"{path} differs from digest/skeleton/digest.yml; rewrite it with: python -c "
        "\"from digest.cli.init import *; open('.github/workflows/digest.yml', 'w')"
        '.write(workflow_text(SOURCE_INSTALL))"'
    )
    check_workflow(text, "pip install .")
    assert lint(REPO, WORKFLOW) == []


def test_only_the_install_step_differs() -> None:
    pinned = workflow_text(pinned_install()).splitlines()
    source = workflow_text(SOURCE_INSTALL).splitlines()
    changed = {line.strip() for line in set(pinned) ^ set(source)}
    assert all(
        line.startswith(("#", "run: pip install", "cache-dependency-path:")) for line in changed
    ), changed


def test_actionlint_finds_mistakes(tmp_path: Path) -> None:
    """The check above can fail: a broken workflow gets findings."""
    text = workflow_text(pinned_install())
    broken = text.replace("steps.pages.outputs.base_url", "steps.pages.outputs.base_ur1")
    broken = broken.replace("needs: build", "needs: buld")
    (tmp_path / ".github/workflows").mkdir(parents=True)
    (tmp_path / WORKFLOW).write_text(broken, encoding="utf-8")
    (tmp_path / ".git").mkdir()
    messages = " ".join(f["message"] for f in lint(tmp_path))
    assert "base_ur1" in messages and "buld" in messages


def test_init_writes_the_install_spec_it_is_given(tmp_path: Path, epoch: int) -> None:
    spec = "digest-site @ git+https://github.com/someone/digest@v9.9.9"
    assert main(["init", str(tmp_path / "d"), "--install", spec]) == 0
    text = (tmp_path / "d" / ".github" / "workflows" / "digest.yml").read_text()
    assert f'run: pip install "{spec}"' in text
