"""Part of stage 2, fetch: the feeds cut into shards, for fetching in parallel CI jobs
(`digest fetch --shard I/N`)."""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass

from digest.models import Config, EditionsConfig, FeedConfig

_SHARD_FORMAT = "expected I/N, part I of N with 1 <= I <= N, such as 1/3"


@dataclass(frozen=True, slots=True)
class Shard:
    """Part `index` (1 to `count`) of the feeds, for fetching in parallel CI jobs: the feeds
    whose URL (as configured) hashes to it. A feed's shard depends on its URL and `count`
    only, so every job agrees and adding a feed moves no other."""

    index: int
    count: int

    def __post_init__(self) -> None:
        if not 1 <= self.index <= self.count:
            raise ValueError(f"{str(self)!r}: {_SHARD_FORMAT}")

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    @classmethod
    def parse(cls, text: str) -> Shard:
        """Read "I/N", as `digest fetch --shard` takes it."""
        index, slash, count = text.partition("/")
        if slash and index.strip().isdigit() and count.strip().isdigit():
            return cls(int(index), int(count))
        raise ValueError(f"{text!r}: {_SHARD_FORMAT}")

    def holds(self, feed: FeedConfig) -> bool:
        # sha256, not hash(): Python salts string hashes per process.
        number = int.from_bytes(hashlib.sha256(feed.url.encode()).digest()[:8], "big")
        return number % self.count == self.index - 1


def shard_config(config: Config, shard: Shard) -> Config:
    """The config with only the shard's feeds: a fetch of it reads and writes only theirs."""
    # Editions off: a shard sees only its feeds, so the build after the shards closes them.
    return dataclasses.replace(
        config, feeds=tuple(f for f in config.feeds if shard.holds(f)), editions=EditionsConfig()
    )
