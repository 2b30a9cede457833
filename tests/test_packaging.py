"""The release archives: what `pip install digest-site` gets from PyPI.

Builds the sdist and the wheel from this checkout, and a wheel from that sdist (what pip does
on a platform without the wheel), with `python -m build --no-isolation` so that no network is
needed (hatchling comes with the test extra). Every one must carry the default theme and pass
`twine check`.
"""

from __future__ import annotations

import email.parser
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from pathlib import Path

import pytest

from digest import __version__
from digest.cli.init import DISTRIBUTION

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent
THEME = REPO / "themes" / "default"
SKELETON = REPO / "digest" / "skeleton"
STEM = f"digest_site-{__version__}"  # the archives' file names normalise "-" to "_"


def build(source: Path, out: Path, *kinds: str) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", *kinds, "--outdir", str(out),
         str(source)],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]


def files_under(folder: Path) -> dict[str, bytes]:
    files = (p for p in folder.rglob("*") if p.is_file())
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in files}


def wheel_files(wheel: Path, prefix: str) -> dict[str, bytes]:
    with zipfile.ZipFile(wheel) as z:
        return {n.removeprefix(prefix): z.read(n) for n in z.namelist() if n.startswith(prefix)}


def sdist_files(sdist: Path, prefix: str) -> dict[str, bytes]:
    with tarfile.open(sdist) as t:
        found = {}
        for member in t.getmembers():
            handle = t.extractfile(member) if member.isfile() else None
            if handle is not None and member.name.startswith(prefix):
                found[member.name.removeprefix(prefix)] = handle.read()
        return found


@pytest.fixture(scope="module")
def dists(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("dist")
    build(REPO, out, "--sdist", "--wheel")
    sdist, wheel = out / f"{STEM}.tar.gz", out / f"{STEM}-py3-none-any.whl"
    assert sdist.is_file() and wheel.is_file(), sorted(p.name for p in out.iterdir())
    again = tmp_path_factory.mktemp("from-sdist")
    build(sdist, again, "--wheel")
    return {"sdist": sdist, "wheel": wheel, "wheel from sdist": again / wheel.name}


def test_the_distribution_is_digest_site_and_the_command_digest(dists: dict[str, Path]) -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["name"] == DISTRIBUTION == "digest-site"  # the name the workflow installs
    for kind in ("wheel", "wheel from sdist"):
        with zipfile.ZipFile(dists[kind]) as z:
            meta = email.parser.Parser().parsestr(z.read(f"{STEM}.dist-info/METADATA").decode())
            scripts = z.read(f"{STEM}.dist-info/entry_points.txt").decode()
        assert meta["Name"] == "digest-site" and meta["Version"] == __version__
        assert any(r.startswith("pyyaml") for r in meta.get_all("Requires-Dist", []))
        assert "digest = digest.cli:main" in scripts
        assert "# digest" in meta.get_payload()  # the README is the project's page


@pytest.mark.parametrize("kind", ["wheel", "wheel from sdist"])
def test_the_wheels_carry_the_default_theme_and_the_skeleton(
    dists: dict[str, Path], kind: str
) -> None:
    theme = files_under(THEME)
    assert "templates/base.html" in theme and "static/style.css" in theme
    assert wheel_files(dists[kind], "digest/themes/default/") == theme
    assert wheel_files(dists[kind], "digest/skeleton/") == files_under(SKELETON)


def test_the_sdist_carries_the_theme_and_nothing_else_of_the_repository(
    dists: dict[str, Path],
) -> None:
    prefix = f"{STEM}/"
    assert sdist_files(dists["sdist"], prefix + "themes/default/") == files_under(THEME)
    tops = {name.split("/")[0] for name in sdist_files(dists["sdist"], prefix)}
    # no tests, samples, scripts or the example cache: only what a build needs
    assert tops == {"digest", "themes", "README.md", "pyproject.toml", "PKG-INFO", ".gitignore"}


def test_twine_check_passes(dists: dict[str, Path]) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", *map(str, dists.values())],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.count("PASSED") == 3
