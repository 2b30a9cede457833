"""The hourly job as GitHub Actions runs it (issue 20), from the workflow `digest init` writes.

Each run is a fresh `git clone` of the site's repository (output/ is not committed), as
actions/checkout makes it. The workflow's own steps run here: its shell steps with bash, with
`${{ }}` expressions filled in and step outputs read from a GITHUB_OUTPUT file, as Actions
does; actions/cache/restore and save as tarballs made with tar, restored by key prefix,
newest first; the Pages upload and deployment as a record of what was published. So the test
checks the workflow's real wiring: the restore, `digest build`'s step outputs, the cache
commit, when the site is published, and what a failed deployment leaves for the next run.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from helpers import FeedServer, make_items, rss, stats, tree, write_config
from test_init import load_workflow

from digest.cli.init import SOURCE_INSTALL, workflow_text

NOW = datetime(2026, 3, 23, 12, tzinfo=UTC)
BASE_URL = "https://user.github.io/site"
_EXPRESSION = re.compile(r"\$\{\{\s*(.+?)\s*\}\}")


@dataclass
class Run:
    """What one run of the workflow did."""

    outputs: dict[str, dict[str, str]] = field(default_factory=dict)  # step id -> outputs
    summary: str = ""
    published: bool = False  # the Pages artifact was uploaded
    deployed: bool = False
    build_wrote: int = 0  # files of output/ the build step wrote or removed


class Actions:
    """GitHub Actions, as far as this workflow needs it, for one repository."""

    def __init__(self, tmp: Path, repo: Path, workflow: str) -> None:
        self.tmp, self.repo, self.workflow = tmp, repo, load_workflow(workflow)
        self.caches: list[tuple[str, Path]] = []  # (key, tarball), oldest first
        self.runs = 0

    def run(self, event: str, now: datetime, deploy_fails: bool = False) -> Run:
        self.runs += 1
        context: dict[str, Any] = {
            "github": {"run_id": str(1000 + self.runs), "run_attempt": "1", "event_name": event},
            "steps": {},
            "needs": {},
        }
        work = self.tmp / f"run{self.runs}"
        env = dict(os.environ, SOURCE_DATE_EPOCH=str(int(now.timestamp())))
        env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
        env.pop("GITHUB_OUTPUT", None)
        env["GITHUB_STEP_SUMMARY"] = str(self.tmp / f"summary{self.runs}.md")
        result = Run()
        build = self.workflow["jobs"]["build"]
        for step in build["steps"]:
            self.step(step, context, work, env, result)
        context["needs"]["build"] = {
            "outputs": {k: self.fill(v, context) for k, v in build["outputs"].items()}
        }
        deploy = self.workflow["jobs"]["deploy"]
        if self.condition(deploy.get("if"), context):
            context["steps"] = {}
            for step in deploy["steps"]:
                if step.get("uses", "").startswith("actions/deploy-pages"):
                    if deploy_fails:
                        break  # the job fails here: the steps after it do not run
                    result.deployed = True
                else:
                    self.step(step, context, self.tmp / f"deploy{self.runs}", env, result)
        summary = Path(env["GITHUB_STEP_SUMMARY"])
        result.summary = summary.read_text(encoding="utf-8") if summary.exists() else ""
        return result

    def step(
        self, step: dict[str, Any], context: dict[str, Any], work: Path, env: dict[str, str],
        result: Run,
    ) -> None:  # fmt: skip
        if not self.condition(step.get("if"), context):
            return
        uses, options = step.get("uses", ""), step.get("with", {})
        outputs: dict[str, str] = {}
        if uses.startswith("actions/checkout"):
            subprocess.run(["git", "clone", "-q", str(self.repo), str(work)], check=True)
        elif uses.startswith("actions/configure-pages"):
            outputs["base_url"] = BASE_URL
        elif uses.startswith("actions/cache/restore"):
            self.restore(work, options, context)
        elif uses.startswith("actions/cache/save"):
            self.save(work, options, context)
        elif uses.startswith("actions/upload-pages-artifact"):
            assert (work / self.fill(options["path"], context) / "index.html").is_file()
            result.published = True
        elif "run" in step and "pip install" not in step["run"]:  # digest is installed here
            before = stats(work / "output")
            outputs = self.shell(step, context, work, env)
            if step.get("id") == "build":
                after = stats(work / "output")
                result.build_wrote = sum(
                    1 for p in before.keys() | after.keys() if before.get(p) != after.get(p)
                )
        if "id" in step:
            context["steps"][step["id"]] = {"outputs": outputs}
            result.outputs[step["id"]] = outputs

    def shell(
        self, step: dict[str, Any], context: dict[str, Any], work: Path, env: dict[str, str]
    ) -> dict[str, str]:
        work.mkdir(parents=True, exist_ok=True)
        said = work.parent / f"output-{self.runs}-{step.get('id', 'step')}"
        said.write_text("", encoding="utf-8")
        step_env = {k: self.fill(str(v), context) for k, v in step.get("env", {}).items()}
        run = subprocess.run(
            ["bash", "-e", "-c", self.fill(step["run"], context)], cwd=work,
            env=env | step_env | {"GITHUB_OUTPUT": str(said)}, capture_output=True, text=True,
            timeout=120, check=False,
        )  # fmt: skip
        assert run.returncode == 0, f"{step.get('name', step['run'])}: {run.stderr}"
        return dict(line.split("=", 1) for line in said.read_text(encoding="utf-8").splitlines())

    def restore(self, work: Path, options: dict[str, str], context: dict[str, Any]) -> None:
        key, prefix = self.fill(options["key"], context), options["restore-keys"]
        found = [t for k, t in self.caches if k == key] or [
            t for k, t in reversed(self.caches) if k.startswith(prefix)
        ]
        if found:
            subprocess.run(["tar", "-xf", str(found[0]), "-C", str(work)], check=True)

    def save(self, work: Path, options: dict[str, str], context: dict[str, Any]) -> None:
        key = self.fill(options["key"], context)
        if any(k == key for k, _ in self.caches):
            return  # a cache is never replaced; Actions warns and goes on
        tarball = self.tmp / f"cache-{len(self.caches)}.tar"
        path = self.fill(options["path"], context)
        subprocess.run(["tar", "--posix", "-cf", str(tarball), "-C", str(work), path], check=True)
        self.caches.append((key, tarball))

    def fill(self, text: str, context: dict[str, Any]) -> str:
        def value(match: re.Match[str]) -> str:
            found: Any = context
            for part in match[1].split("."):
                found = found.get(part, "") if isinstance(found, dict) else ""
            return str(found)

        return _EXPRESSION.sub(value, text)

    def condition(self, text: str | None, context: dict[str, Any]) -> bool:
        if text is None or text == "${{ !cancelled() }}":
            return True
        left, right = (side.strip() for side in text.split("=="))
        return self.fill(f"${{{{ {left} }}}}", context) == right.strip("'")


@pytest.fixture
def site_repo(tmp_path: Path, server: FeedServer) -> Path:
    """A digest's repository as `digest init` and a first commit leave it (bare, the remote),
    with two feeds on loopback that answer 304 while they are unchanged."""
    serve_feeds(server, NOW)
    feeds = [{"url": server.url(f"/{n}"), "name": n.title()} for n in ("alpha", "beta")]
    folder = tmp_path / "start"
    write_config(folder, feeds)
    (folder / ".gitignore").write_text("output/\n", encoding="utf-8")
    workflow = folder / ".github" / "workflows" / "digest.yml"
    workflow.parent.mkdir(parents=True)
    workflow.write_text(workflow_text(SOURCE_INSTALL), encoding="utf-8")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t.example"]
    for command in (["init", "-q", "-b", "main"], ["add", "."], ["commit", "-qm", "A digest"]):
        subprocess.run([*git, *command], cwd=folder, check=True)
    repo = tmp_path / "site.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(folder), str(repo)], check=True)
    return repo


def serve_feeds(server: FeedServer, newest: datetime, extra: int = 0) -> None:
    for name in ("alpha", "beta"):
        count = 3 + (extra if name == "alpha" else 0)
        items = make_items(name.title(), count, newest)
        body = rss(name.title(), f"https://{name}.example/", items)
        server.serve(f"/{name}", body, ETag=f'"{name}-{count}"')


@pytest.mark.slow  # seven runs of the job, each a clone, a build and a Pagefind index
def test_the_hourly_job_publishes_only_a_new_site(
    tmp_path: Path, server: FeedServer, site_repo: Path
) -> None:
    actions = Actions(tmp_path, site_repo, workflow_text(SOURCE_INSTALL))
    hour = timedelta(hours=1)

    first = actions.run("schedule", NOW)
    assert first.outputs["build"]["changed"] == "true"
    assert first.published and first.deployed

    quiet = actions.run("schedule", NOW + hour)  # every feed answers 304
    assert quiet.build_wrote == 0, "the restored output/ is the site: nothing to write"
    assert quiet.outputs["build"] == {"changed": "false", "site": first.outputs["build"]["site"]}
    assert quiet.outputs["publish"] == {"publish": "false"}
    assert not quiet.published and not quiet.deployed
    assert "the site did not change" in quiet.summary

    serve_feeds(server, NOW + 2 * hour, extra=1)  # a new post: its deployment fails
    new = actions.run("schedule", NOW + 2 * hour, deploy_fails=True)
    assert new.outputs["build"]["changed"] == "true"
    assert 0 < new.build_wrote < len(tree(tmp_path / "run1" / "output")), "only what changed"
    assert new.published and not new.deployed
    assert "the site changed" in new.summary

    after_failure = actions.run("schedule", NOW + 3 * hour)
    assert after_failure.outputs["build"]["changed"] == "false"
    assert after_failure.build_wrote == 0
    assert after_failure.published and after_failure.deployed, "the failed deployment's site"

    assert not actions.run("schedule", NOW + 4 * hour).published
    by_hand = actions.run("workflow_dispatch", NOW + 5 * hour)
    assert by_hand.outputs["build"]["changed"] == "false" and by_hand.published
    assert actions.run("push", NOW + 6 * hour).published


@pytest.mark.slow
def test_a_damaged_restore_is_repaired_to_a_clean_build(
    tmp_path: Path, server: FeedServer, site_repo: Path
) -> None:
    """The last build's tarball with a page edited (its time kept as the tar had it), one
    deleted and a file added: the build remakes the site a fresh clone builds, byte for byte."""
    actions = Actions(tmp_path, site_repo, workflow_text(SOURCE_INSTALL))
    actions.run("schedule", NOW)
    damaged = tmp_path / "damaged"
    damaged.mkdir()
    tarball = next(t for k, t in reversed(actions.caches) if k.startswith("digest-output-"))
    subprocess.run(["tar", "-xf", str(tarball), "-C", str(damaged)], check=True)
    output = damaged / "output"
    edited = output / "index.html"
    kept = edited.stat()
    edited.write_bytes(edited.read_bytes().replace(b"Alpha post 0", b"Alpha post 0, edited"))
    os.utime(edited, ns=(kept.st_atime_ns, kept.st_mtime_ns))
    (output / "tags" / "index.html").unlink()
    (output / "stray.html").write_text("left behind", encoding="utf-8")
    subprocess.run(
        ["tar", "--posix", "-cf", str(tarball), "-C", str(damaged), "output"], check=True
    )

    repaired = actions.run("schedule", NOW + timedelta(hours=1))
    assert repaired.outputs["build"]["changed"] == "true"
    # the edited page remade, the deleted one made again, the stray removed, the stamp touched
    assert repaired.build_wrote == 4
    assert not repaired.published, "the site repaired is the one deployed"
    clean = tmp_path / "clean"
    subprocess.run(["git", "clone", "-q", str(site_repo), str(clean)], check=True)
    env = dict(os.environ, SOURCE_DATE_EPOCH=str(int((NOW + timedelta(hours=1)).timestamp())))
    command = [
        sys.executable,
        "-m",
        "digest",
        "build",
        "--offline",
        "-q",
        "--base-url",
        f"{BASE_URL}/",
    ]
    subprocess.run([*command, "--config", str(clean / "config.toml")], env=env, check=True)
    assert tree(tmp_path / "run2" / "output") == tree(clean / "output")
