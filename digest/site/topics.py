"""Tags that mean something: where an entry's tags come from, which spellings are one tag, and
which tags get a page. Pure (it logs what it renamed, merged and dropped, for `-v`).

An entry's tags are its feed's `tags` in config, its own categories, and the tags of every
`[[tags.rules]]` whose regular expression matches one of its fields. Spellings are one tag
when they are equal after Unicode (NFKC) and whitespace folding and case folding ("Python",
"python", "PYTHON"); `[tags.aliases]` maps more spellings, matched the same way, onto a tag
named as the alias says; `[tags] ignore` drops tags (before and after aliasing). Different
tags whose slugs collide ("Café" and "Cafe" both slugify to `cafe`) keep apart: the one whose
folded name sorts first gets the plain slug, every other one the slug plus a hash of its folded
name, so the same names give the same folders on every run. A tag on fewer than
`min_entries` entries is not listed: it has no page and no feed, and its entries show it as
text.

Rules are compiled once per build and each entry is matched once against each rule, so the
cost is linear in entries; the folding of one spelling is done once per build.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from digest.models import Config, Entry, Tag, TagField
from digest.sanitize import safe_slug, short_hash

log = logging.getLogger(__name__)

EntryKey = tuple[str, str]  # (source, id)
ContentText = Callable[[Entry], str]  # an entry's content as plain text (memoised by caller)

# A slug with a hash appended stays within safe_slug's 60 characters.
_SLUG_ROOM = 60 - 9


def tag_key(name: str) -> str:
    """What makes two spellings one tag: NFKC, whitespace and case folded."""
    return unicodedata.normalize("NFKC", " ".join(name.split())).casefold()


@dataclass(frozen=True, slots=True)
class _Rule:
    pattern: re.Pattern[str]
    fields: tuple[TagField, ...]
    tags: tuple[str, ...]


def _compile_rules(config: Config) -> tuple[_Rule, ...]:
    # The config checked every pattern; compiling them again here is once per build.
    return tuple(
        _Rule(re.compile(rule.match), rule.fields, rule.tags) for rule in config.tags.rules
    )


def rule_tags(
    entry: Entry, rules: tuple[_Rule, ...], content_text: ContentText, hits: Counter[int]
) -> tuple[str, ...]:
    """The tags the rules give `entry`; `hits` counts matches per rule (for the log)."""
    texts: dict[TagField, str] = {}  # made when a rule first reads them (content is costly)

    def text(name: TagField) -> str:
        found = texts.get(name)
        if found is None:
            if name == "content":
                found = content_text(entry)
            else:
                found = {"title": entry.title, "author": entry.author, "link": entry.link}[name]
            found = texts[name] = found or ""
        return found

    added: list[str] = []
    for n, rule in enumerate(rules):
        if any(rule.pattern.search(text(f)) for f in rule.fields):
            added += rule.tags
            hits[n] += 1
    return tuple(added)


class _Names:
    """Spellings -> tag keys, with `[tags.aliases]` and `ignore` applied; each distinct
    spelling is worked out once, and every rename and drop is counted for the log."""

    def __init__(self, config: Config) -> None:
        self.aliases = {tag_key(a): " ".join(b.split()) for a, b in config.tags.aliases}
        # A tag an alias leads to is named as the alias writes it (the first, sorted, of two).
        self.targets: dict[str, str] = {}
        for target in sorted(self.aliases.values(), reverse=True):
            self.targets[tag_key(target)] = target
        self.ignore = frozenset(tag_key(name) for name in config.tags.ignore)
        # raw spelling -> (its tag or None, the spelling whitespace folded, whether an alias
        # renamed it)
        self._memo: dict[str, tuple[tuple[str, str] | None, str, bool]] = {}
        self.renamed: Counter[tuple[str, str]] = Counter()
        self.dropped: Counter[str] = Counter()

    def resolve(self, raw: str) -> tuple[str, str] | None:
        """(key, spelling) of the tag `raw` stands for, or None when it is no tag."""
        known = self._memo.get(raw)
        if known is None:
            name = " ".join(raw.split())
            found = self._resolve(name)
            renamed = found is not None and tag_key(name) != found[0]
            known = self._memo[raw] = (found, name, renamed)
        found, name, renamed = known
        if found is None:
            if name:
                self.dropped[name] += 1
        elif renamed:
            self.renamed[(name, found[1])] += 1
        return found

    def _resolve(self, name: str) -> tuple[str, str] | None:
        key = tag_key(name)
        if not key or key in self.ignore:
            return None
        target = self.aliases.get(key)
        if target is None:
            return key, name
        target_key = tag_key(target)
        return None if target_key in self.ignore else (target_key, target)


def tag_entries(
    entries: tuple[Entry, ...], config: Config, content_text: ContentText
) -> tuple[dict[EntryKey, tuple[Tag, ...]], tuple[Tag, ...]]:
    """(every entry's tags, listed or not, by name; the listed tags, by name). `entries` are
    newest first, so each tag's entries are too."""
    feed_tags = {feed.slug: feed.tags for feed in config.feeds}
    rules = _compile_rules(config)
    names = _Names(config)
    hits: Counter[int] = Counter()
    spellings: dict[str, Counter[str]] = defaultdict(Counter)
    keys_of: dict[EntryKey, tuple[str, ...]] = {}
    members: dict[str, list[Entry]] = defaultdict(list)
    for entry in entries:
        raw = feed_tags.get(entry.source, ()) + entry.tags
        if rules:
            raw += rule_tags(entry, rules, content_text, hits)
        keys: dict[str, None] = {}
        for name in raw:
            found = names.resolve(name)
            if found is None:
                continue
            key, spelling = found
            spellings[key][spelling] += 1
            if key not in keys:
                keys[key] = None
                members[key].append(entry)
        keys_of[(entry.source, entry.id)] = tuple(keys)

    display = {
        key: names.targets.get(key) or _most_used(counts) for key, counts in spellings.items()
    }
    slugs = _slugs(display)
    minimum = config.tags.min_entries
    by_key = {
        key: Tag(
            slug=slugs[key],
            name=display[key],
            entries=tuple(members[key]),
            listed=len(members[key]) >= minimum,
        )
        for key in spellings
    }
    _log(config, names, hits, spellings, by_key)
    entry_tags = {
        entry_key: tuple(sorted((by_key[k] for k in keys), key=_order))
        for entry_key, keys in keys_of.items()
    }
    listed = tuple(sorted((t for t in by_key.values() if t.listed), key=_order))
    return entry_tags, listed


def _order(tag: Tag) -> tuple[str, str]:
    return tag.name.casefold(), tag.slug


def _most_used(counts: Counter[str]) -> str:
    """The most used spelling; ties go to the alphabetically first, for stable output."""
    return min(counts.items(), key=lambda kv: (-kv[1], kv[0]))[0]


def _slugs(display: dict[str, str]) -> dict[str, str]:
    """Each tag's folder: its name's slug (transliterated: "Машинное обучение" is
    mashinnoe-obuchenie), distinct for distinct tags, the same on every run."""
    by_slug: dict[str, list[str]] = defaultdict(list)
    for key, name in display.items():
        by_slug[safe_slug(name, fallback="tag")].append(key)
    slugs: dict[str, str] = {}
    for slug, keys in by_slug.items():
        first, *others = sorted(keys)
        slugs[first] = slug
        for key in others:
            slugs[key] = f"{slug[:_SLUG_ROOM].rstrip('-')}-{short_hash(key)}"
        if others:
            log.debug(
                "tags %s have one slug: kept apart as %s",
                ", ".join(repr(display[k]) for k in [first, *others]),
                ", ".join(f"tags/{slugs[k]}/" for k in [first, *others]),
            )
    return slugs


def _log(
    config: Config,
    names: _Names,
    hits: Counter[int],
    spellings: dict[str, Counter[str]],
    by_key: dict[str, Tag],
) -> None:
    """Every rename, merge and drop, for `digest build -v`, in a stable order."""
    if not log.isEnabledFor(logging.DEBUG):
        return
    for n, rule in enumerate(config.tags.rules):
        tags = ", ".join(map(repr, rule.tags))
        fields = "+".join(rule.fields)
        log.debug(
            "tags.rules[%d] (%r over %s) tagged %s %s",
            n,
            rule.match,
            fields,
            _entries(hits[n]),
            tags,
        )
    for (name, target), count in sorted(names.renamed.items()):
        log.debug("tag %r renamed %r (tags.aliases) on %s", name, target, _entries(count))
    for name, count in sorted(names.dropped.items()):
        log.debug("tag %r dropped (tags.ignore) from %s", name, _entries(count))
    for key, counts in sorted(spellings.items()):
        if len(counts) > 1:
            tag = by_key[key]
            merged = ", ".join(repr(s) for s in sorted(counts))
            log.debug("tags %s merged into %r (tags/%s/)", merged, tag.name, tag.slug)
    minimum = config.tags.min_entries
    for tag in sorted(by_key.values(), key=_order):
        if not tag.listed:
            log.debug(
                "tag %r is on %s, fewer than tags.min_entries = %d: no page, no feed",
                tag.name, _entries(len(tag.entries)), minimum,
            )  # fmt: skip


def _entries(count: int) -> str:
    return "1 entry" if count == 1 else f"{count} entries"
