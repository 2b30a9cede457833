"""`digest init`: the files of a new digest, from the templates in `digest/skeleton/`.

A new digest is a commented `config.toml`, a welcome post, a `.gitignore` and the GitHub
Actions workflow that builds the site on a schedule and publishes it on GitHub Pages. Nothing
is overwritten unless asked: every file that is already there is named at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from importlib.resources import files
from pathlib import Path

from digest import __version__
from digest.errors import ScaffoldError

WORKFLOW = ".github/workflows/digest.yml"

# Where each file of a new digest comes from: path in the digest -> template in skeleton/.
FILES = {
    "config.toml": "config.toml",
    "content/posts/welcome.md": "welcome.md",
    ".gitignore": "gitignore",
    WORKFLOW: "digest.yml",
}


@dataclass(frozen=True, slots=True)
class Install:
    """How the workflow installs digest: the `run:` command, the comment above it, and the
    file whose contents decide what it installs (the key of setup-python's pip cache)."""

    command: str
    comment: tuple[str, ...] = ()
    cache_key: str = WORKFLOW


# Where a new digest installs digest from: the git tag of the release that wrote the file.
# The distribution is named digest-site ("digest" on PyPI is another project, which
# `pip install digest` would install), and pip refuses a `name @ url` whose name differs
# from the one the project declares.
DISTRIBUTION = "digest-site"
DEFAULT_SPEC = DISTRIBUTION + " @ git+https://github.com/OWNER/digest@v{version}"


def pinned_install(spec: str | None = None, version: str = __version__) -> Install:
    """A scaffolded digest installs the release that wrote its workflow (`spec` overrides)."""
    return Install(
        command=f'pip install "{spec or DEFAULT_SPEC.format(version=version)}"',
        comment=(
            "The digest release that wrote this file, from its git repository (replace OWNER",
            f'with where digest lives), or from PyPI: "{DISTRIBUTION}=={version}" (not "digest",',
            "another project there). `digest init --install SPEC` sets this line; raise the",
            "version to upgrade.",
        ),
    )


# This repository's own example digest runs the code of the commit being built.
SOURCE_INSTALL = Install(
    command="pip install .",
    comment=("This repository is digest itself: install it from the checkout.",),
    cache_key="pyproject.toml",
)


def template(name: str) -> str:
    return files("digest").joinpath("skeleton", name).read_text(encoding="utf-8")


def fill(text: str, values: dict[str, str], name: str) -> str:
    for key, value in values.items():
        text = text.replace(f"@@{key}@@", value)
    if "@@" in text:
        left = text[text.index("@@") :][:40]
        raise AssertionError(f"skeleton/{name}: a placeholder is left: {left}")
    return text


# GitHub runs at most 256 jobs of one matrix.
MAX_SHARDS = 256


def workflow_text(install: Install, shards: int = 1) -> str:
    """The GitHub Actions workflow that builds the digest and deploys it to GitHub Pages; with
    `shards` > 1, the feeds are fetched by that many jobs at once (`digest fetch --shard`)."""
    if not 1 <= shards <= MAX_SHARDS:
        raise ValueError(f"shards: expected 1 to {MAX_SHARDS}, not {shards}")
    name = "digest.yml" if shards == 1 else "digest-shards.yml"
    # The comment's placeholder has a line of its own, which goes when there is no comment.
    comment = "".join(f"        # {line}".rstrip() + "\n" for line in install.comment)
    text = template(name).replace("@@INSTALL_COMMENT@@\n", comment)
    values = {
        "INSTALL": install.command,
        "CACHE_KEY": install.cache_key,
        "SHARDS": str(shards),
        "SHARD_LIST": ", ".join(str(n) for n in range(1, shards + 1)),
        # The steps both workflows share: restore the last build, publish only a new site.
        "RESTORE": template("workflow-restore.yml"),
        "PUBLISH": template("workflow-publish.yml"),
        "DEPLOY": template("workflow-deploy.yml"),
    }
    return fill(text, values, name)


def rendered(now: datetime, install: str | None = None, shards: int = 1) -> dict[str, str]:
    """Every file of a new digest, by path relative to its folder."""
    texts = {path: template(name) for path, name in FILES.items()}
    texts["content/posts/welcome.md"] = fill(
        texts["content/posts/welcome.md"], {"DATE": now.strftime("%Y-%m-%d %H:%M")}, "welcome.md"
    )
    texts[WORKFLOW] = workflow_text(pinned_install(install), shards)
    return texts


def init(
    folder: Path,
    *,
    now: datetime,
    force: bool = False,
    install: str | None = None,
    shards: int = 1,
) -> list[Path]:
    """Write a new digest into `folder` (created if needed); return the files written.

    `now` dates the welcome post; it is in UTC, like the config's default timezone. `shards`
    > 1 writes the workflow that fetches in that many parallel jobs.
    """
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise ScaffoldError(f"{folder}: exists and is not a folder")
    texts = rendered(now, install, shards)
    targets = {path: folder / path for path in texts}
    present = [target for target in targets.values() if target.exists() or target.is_symlink()]
    if present and not force:
        names = "\n".join(f"  {p}" for p in present)
        raise ScaffoldError(
            f"{folder}: not overwriting {len(present)} existing file(s) "
            f"(use --force to replace them):\n{names}"
        )
    for target in present:
        if target.is_dir():
            raise ScaffoldError(f"{target}: is a folder; move it away first")
    written: list[Path] = []
    for path, text in texts.items():
        target = targets[path]
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            with target.open("w", encoding="utf-8", newline="\n") as f:
                f.write(text)
        except OSError as e:
            raise ScaffoldError(f"{target}: cannot write: {e.strerror or e}") from e
        written.append(target)
    return written
