"""Part of stage 5, store: the entry index, and the bodies read back for the pages rendered.

A build plans every page of the site (which entries each shows, and a key of what it shows),
but renders only the pages whose key changed. Planning needs every entry but none of its
body beyond a hash and a size, and the bodies are nine tenths of the cache: 570 MB at
100,000 entries. So beside each month file `content/feeds/<YYYY-MM>/<slug>.json`,
`content/feeds/index/<YYYY-MM>/<slug>.json` holds its entries without their bodies, each with
its `Body` (the bodies' hashes and size), and the size of the month file it was made from.
A build reads the indexes in place of the months (`store.with_index`); `Bodies` reads the
bodies of the entries a rendered page shows, each from where the index says it is.

A month's index is written with its month file (`store.save_cache`), after it and before the
state file. An index made from other bytes than the month file's (a run killed between
writing the two, a month restored from git) is not used: that month is read whole and its
index written again. A body that does not hash to what the index says stops the build,
naming both files.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import os
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from digest.errors import CacheError
from digest.feeds.codec import dumps, entry_from_json, entry_to_json, month_of
from digest.files import atomic_write
from digest.models import Entry, entry_hash, make_body

log = logging.getLogger(__name__)

# 2: each body says where its texts are in the month file. 3: each entry has its hash
# (`models.entry_hash`). An index of an earlier schema is out of date: its month is read
# whole once, and its index written again.
SCHEMA = 3
FOLDER = "index"  # content/feeds/index/<YYYY-MM>/<slug>.json (not a month folder itself)
# A key of a saved entry's texts, in the month file: the body's, and the article's (the one
# "html" of its "full_text"; no other field of an entry has a key of that name). A key's
# quotes inside a JSON string are escaped, so these match keys only.
_BODY_KEY = re.compile(rb'"content_html"\s*:\s*')
_ARTICLE_KEY = re.compile(rb'"html"\s*:\s*')


def index_path(feeds: Path, month: str, slug: str) -> Path:
    """The index of a feed's month file `feeds/<month>/<slug>.json`."""
    return feeds / FOLDER / month / f"{slug}.json"


def _indexed(
    entries: Iterable[Entry], items: Iterable[dict[str, Any]], month: bytes
) -> list[dict[str, Any]]:
    """The index's items of one month file, whose bytes are `month`, holding `items` (its
    `entries`, as saved): each entry without its texts, with its hash, its `Body` and where
    the month holds them."""
    indexed = []
    cursor = 0  # the items are in the file's order: each one's texts are after the last's
    for entry, item in zip(entries, items, strict=True):
        short = {name: value for name, value in item.items() if name != "content_html"}
        short["hash"] = entry_hash(entry)
        if "full_text" in short:
            short["full_text"] = {**short["full_text"], "html": ""}
        html, article = _texts(item)
        body = make_body(html, article)
        short["body"] = [body.html, body.article, body.size]
        at = _place(month, html, article, cursor)
        if at is not None:  # else (a file not written as digest writes it): read whole
            short["body"] += at
            cursor = max(at[0] + at[1], at[2] + at[3])
        indexed.append(short)
    return indexed


def _place(month: bytes, html: str, article: str, start: int) -> tuple[int, int, int, int] | None:
    """Where `month` holds an entry's body and article (0, 0 for none), from `start`."""
    body = _find(month, _BODY_KEY, html, start)
    if body is None:
        return None
    if not article:
        return (*body, 0, 0)
    found = _find(month, _ARTICLE_KEY, article, body[0] + body[1])
    return None if found is None else (*body, *found)


def _find(month: bytes, key: re.Pattern[bytes], text: str, start: int) -> tuple[int, int] | None:
    """The offset and length of `text` as a JSON string, the value of the first `key` in
    `month` from `start`; None if that value is not `text` written as digest writes it."""
    found = key.search(month, start)
    written = json.dumps(text, ensure_ascii=False).encode("utf-8", "surrogatepass")
    if found is None or not month.startswith(written, found.end()):
        return None
    return found.end(), len(written)


def _texts(item: dict[str, Any]) -> tuple[str, str]:
    """A saved entry's HTML and its fetched article's ("" for none)."""
    return item.get("content_html", ""), (item.get("full_text") or {}).get("html", "")


def write_index(
    month_file: Path,
    entries: Sequence[Entry],
    items: Sequence[dict[str, Any]] | None = None,
    written: bytes | None = None,
) -> list[dict[str, Any]]:
    """Write the index of `month_file` (`feeds/<month>/<slug>.json`), which holds `entries`
    (as they read back from it) in its bytes: `written`, when the caller has just written
    them, else read back. `items`: the entries as saved (`codec.entry_to_json`), when the
    caller has them. Returns the index's entries, as `index_items` would read them."""
    feeds, month, slug = month_file.parent.parent, month_file.parent.name, month_file.stem
    items = [entry_to_json(e) for e in entries] if items is None else items
    month_bytes = month_file.read_bytes() if written is None else written
    indexed = _indexed(entries, items, month_bytes)
    data = dumps({"schema": SCHEMA, "size": len(month_bytes), "entries": indexed})
    # Not fsynced, unlike the cache: an index lost to a crash reads as broken or of another
    # size, and its month is read whole instead. An fsync a month file written is 2 to 5 ms.
    atomic_write(index_path(feeds, month, slug), data)
    return indexed


def remove_index(month_file: Path) -> None:
    """Delete the index of a month file deleted, and its folder if that leaves it empty."""
    path = index_path(month_file.parent.parent, month_file.parent.name, month_file.stem)
    path.unlink(missing_ok=True)
    with contextlib.suppress(OSError):  # other feeds' indexes that month: kept
        path.parent.rmdir()


def read_index(month_file: Path, slug: str, listed: frozenset[str] | None) -> list[Entry] | None:
    """The entries of `month_file` without their bodies, from its index; None when it has none
    or its index was made from other bytes (its size differs). `listed`: the names in the
    index's month folder, when the caller listed it (None: not listed, so looked for)."""
    items = index_items(month_file, listed)
    try:
        return None if items is None else [entry_from_json(item, slug) for item in items]
    except (ValueError, KeyError, TypeError, AttributeError) as e:
        _broken(month_file, e)
        return None


def index_items(month_file: Path, listed: frozenset[str] | None = None) -> list[Any] | None:
    """`read_index`'s entries as the index holds them (JSON), not yet made `Entry` values."""
    if listed is not None and month_file.name not in listed:
        return None
    path = index_path(month_file.parent.parent, month_file.parent.name, month_file.stem)
    try:
        data = json.loads(path.read_bytes())
        if data.get("schema") != SCHEMA or data["size"] != month_file.stat().st_size:
            return None
        items = data["entries"]
        if not isinstance(items, list):
            raise TypeError("its entries are not a list")
        return items
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
        _broken(month_file, e)
        return None


def _broken(month_file: Path, error: Exception) -> None:
    """Say that a month's index cannot be read (the month is read whole instead)."""
    path = index_path(month_file.parent.parent, month_file.parent.name, month_file.stem)
    log.warning("%s: not a valid entry index (%s); reading %s instead", path, error, month_file)


class Bodies:
    """Entries read from the index, given their bodies back from their month files (`whole`):
    the bytes of each body alone, where the index says the month holds them. Nothing is
    kept: a process holds the bodies of the pages it is making, whatever the archive's size.
    (A day page at 100,000 entries shows the posts of about 850 feeds: parsing their month
    files whole was about 195 MB of JSON for one page.)"""

    def __init__(self, feeds: Path) -> None:
        self._feeds = feeds  # content/feeds/
        self._folder = str(feeds)
        self._last: tuple[Path, dict[str, tuple[str, str]]] | None = None  # a month read whole

    def whole(self, entry: Entry) -> Entry:
        """The entry with its body (and its article's), as the month file holds it."""
        body = entry.body
        if body is None:
            return entry
        month = month_of(entry)
        name = f"{self._folder}/{month}/{entry.source}.json"  # a str: a Path costs more here
        texts = _read_at(name, body.at) if body.at is not None else None
        if texts is None or not body.holds(*texts):  # not there: in the month, if anywhere
            path = Path(name)
            texts = self._month(path).get(entry.id, ("", ""))
            if not body.holds(*texts):
                index = index_path(self._feeds, month, entry.source)
                raise CacheError(
                    f"{path}: entry {entry.id!r} is not what {index} says it holds; delete "
                    f"{index} (the next build makes it again from the month files)"
                )
        html, article = texts
        full_text = entry.full_text and dataclasses.replace(entry.full_text, html=article)
        return dataclasses.replace(entry, content_html=html, full_text=full_text, body=None)

    def _month(self, path: Path) -> dict[str, tuple[str, str]]:
        """Every body of a month file, the last one read kept: an index that does not know
        where its bodies are (a file not written by digest) has none of its entries'."""
        if self._last is not None and self._last[0] == path:
            return self._last[1]
        try:
            items = json.loads(path.read_bytes())["entries"]
            bodies = {item["id"]: _texts(item) for item in items}
        except FileNotFoundError:
            bodies = {}  # reported by the caller, as a body that is not the index's
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
            raise CacheError(f"{path}: not a valid month file ({e})") from e
        self._last = (path, bodies)
        return bodies


_READ = os.O_RDONLY | getattr(os, "O_BINARY", 0)  # O_BINARY: Windows only, and needed there


def _read_at(path: str, at: tuple[int, int, int, int]) -> tuple[str, str] | None:
    """The body and article at `at` in the month file; None if they are not JSON strings
    there (the caller then reads the month whole)."""
    texts = []
    try:
        fd = os.open(path, _READ)  # no buffered file object: two reads, at known places
        try:
            for offset, length in ((at[0], at[1]), (at[2], at[3])):
                if not length:
                    texts.append("")
                    continue
                os.lseek(fd, offset, os.SEEK_SET)  # not pread: Windows has none
                text = json.loads(os.read(fd, length))
                if not isinstance(text, str):
                    return None
                texts.append(text)
        finally:
            os.close(fd)
    except (OSError, ValueError):
        return None
    return texts[0], texts[1]
