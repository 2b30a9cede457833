"""Screenshots of the example digest's home page: 390 px and 1280 px wide, light and dark.

Run after a theme change (not in CI); the README links the results in docs/screenshots/.
Needs Debian's chromium and the test extras (playwright).

    python scripts/screenshots.py
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from digest.cli import main as digest

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp)
        shutil.copy(ROOT / "config.toml", site)
        shutil.copytree(ROOT / "content", site / "content")
        os.environ.setdefault("SOURCE_DATE_EPOCH", "1774267200")
        assert digest(["build", "--offline", "-q", "--config", str(site / "config.toml")]) == 0
        home = (site / "output" / "index.html").as_uri()
        OUT.mkdir(parents=True, exist_ok=True)
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=CHROMIUM,
                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
            )
            for width, height in ((390, 1400), (1280, 1100)):
                for scheme in ("light", "dark"):
                    page = browser.new_page(
                        viewport={"width": width, "height": height}, color_scheme=scheme
                    )
                    page.goto(home)
                    path = OUT / f"home-{width}-{scheme}.png"
                    page.screenshot(path=str(path))
                    print(path.relative_to(ROOT))
                    page.close()
            browser.close()


if __name__ == "__main__":
    main()
