"""Part of stage 5, store: the entry index, and the bodies read back for the pages rendered.

A build plans every page of the site (which entries each shows, and a key of what it shows),
but renders only the pages whose key changed. Planning needs every entry but none of its
body beyond a hash and a size, and the bodies are nine tenths of the cache: 570 MB at
100,000 entries. So beside each month file `content/feeds/<YYYY-MM>/<slug>.json`,
`content/feeds/index/<YYYY-MM>/<slug>.json` holds its entries without their bodies, each with
its `Body` (the bodies' hashes and size), and the size of the month file it was made from.
A build reads the indexes in place of the months (`store.with_index`); `Bodies` reads the
bodies of the entries a rendered page shows, a month file at a time.

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
import sys
from collections import OrderedDict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from digest.errors import CacheError
from digest.feeds.codec import dumps, entry_from_json, month_of
from digest.files import atomic_write
from digest.models import Entry, make_body

log = logging.getLogger(__name__)

SCHEMA = 1
FOLDER = "index"  # content/feeds/index/<YYYY-MM>/<slug>.json (not a month folder itself)
# Bodies kept per process, by the month file they were read from, the least recently used
# let go first: a page's posts come from many feeds' files (a day page at 100,000 entries
# from a thousand), a tag's feed from as many months as its newest posts span, and the files
# the pages before it read are likely to be read again. A month file parsed is most of what
# a body costs. Counted in memory, not characters (the bench's bodies at 10,000 entries: 57
# million characters, 105 MB): 48 MB is about half of them at 10,000, a twentieth at 100,000.
BYTES_KEPT = 48_000_000


def index_path(feeds: Path, month: str, slug: str) -> Path:
    """The index of a feed's month file `feeds/<month>/<slug>.json`."""
    return feeds / FOLDER / month / f"{slug}.json"


def index_json(items: Iterable[dict[str, Any]], size: int) -> bytes:
    """The index of one month file of `size` bytes holding `items` (its entries, as saved)."""
    indexed = []
    for item in items:
        short = {name: value for name, value in item.items() if name != "content_html"}
        if "full_text" in short:
            short["full_text"] = {**short["full_text"], "html": ""}
        body = make_body(*_texts(item))
        short["body"] = [body.html, body.article, body.size]
        indexed.append(short)
    return dumps({"schema": SCHEMA, "size": size, "entries": indexed})


def _texts(item: dict[str, Any]) -> tuple[str, str]:
    """A saved entry's HTML and its fetched article's ("" for none)."""
    return item.get("content_html", ""), (item.get("full_text") or {}).get("html", "")


def write_index(month_file: Path, items: Iterable[dict[str, Any]]) -> None:
    """Write the index of `month_file` (`feeds/<month>/<slug>.json`), which holds `items`
    (its entries as saved, `codec.entry_to_json`)."""
    feeds, month, slug = month_file.parent.parent, month_file.parent.name, month_file.stem
    data = index_json(items, month_file.stat().st_size)
    # Not fsynced, unlike the cache: an index lost to a crash reads as broken or of another
    # size, and its month is read whole instead. An fsync a month file written is 2 to 5 ms.
    atomic_write(index_path(feeds, month, slug), data)


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
    """Entries read from the index, given their bodies back from their month files (`whole`).
    Each process that renders has its own, which keeps BYTES_KEPT of bodies."""

    def __init__(self, feeds: Path) -> None:
        self._feeds = feeds  # content/feeds/
        self._months: OrderedDict[Path, tuple[dict[str, tuple[str, str]], int]] = OrderedDict()
        self._bytes = 0  # of the bodies kept

    def whole(self, entry: Entry) -> Entry:
        """The entry with its body (and its article's), as the month file holds it."""
        body = entry.body
        if body is None:
            return entry
        month = month_of(entry)
        path = self._feeds / month / f"{entry.source}.json"
        html, article = self._month(path).get(entry.id, ("", ""))
        if make_body(html, article) != body:
            index = index_path(self._feeds, month, entry.source)
            raise CacheError(
                f"{path}: entry {entry.id!r} is not what {index} says it holds; delete "
                f"{index} (the next build makes it again from the month files)"
            )
        full_text = entry.full_text and dataclasses.replace(entry.full_text, html=article)
        return dataclasses.replace(entry, content_html=html, full_text=full_text, body=None)

    def _month(self, path: Path) -> dict[str, tuple[str, str]]:
        kept = self._months.get(path)
        if kept is not None:
            self._months.move_to_end(path)
            return kept[0]
        try:
            items = json.loads(path.read_bytes())["entries"]
            bodies = {item["id"]: _texts(item) for item in items}
        except FileNotFoundError:
            bodies = {}  # reported by the caller, as a body that is not the index's
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
            raise CacheError(f"{path}: not a valid month file ({e})") from e
        # Their memory, not their length: a text with one character outside Latin-1 takes two
        # or four bytes for each of its characters (most feeds' bodies have a quote or a dash).
        size = sum(sys.getsizeof(text) for texts in bodies.values() for text in texts)
        self._months[path] = (bodies, size)
        self._bytes += size
        while self._bytes > BYTES_KEPT and len(self._months) > 1:
            self._bytes -= self._months.popitem(last=False)[1][1]
        return bodies
