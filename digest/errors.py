"""The exception types: one root, one subclass per kind of failure a user can fix.

Messages are written for the person who must fix the problem and name the file, key or feed.
Only `cli` turns these into exit codes. A failing *feed* is not an exception: it is a value in
the fetch report, so one broken feed never stops a build.
"""

import traceback


class DigestError(Exception):
    """Root of every error digest reports to the user (exit code 1)."""

    exit_code = 1


class ConfigError(DigestError):
    """`config.toml` is missing, unreadable or invalid; lists every problem found."""

    def __init__(self, path: object, problems: list[str] | tuple[str, ...]) -> None:
        self.path = path
        self.problems = tuple(problems)
        lines = "\n".join(f"  {p}" for p in self.problems)
        super().__init__(f"{path}: {len(self.problems)} problem(s) in the config:\n{lines}")


class CacheError(DigestError):
    """A content cache file cannot be read; never silently overwritten."""


class PostError(DigestError):
    """A hand-written Markdown post cannot be read (bad front matter, bad date)."""


class ThemeError(DigestError):
    """A theme template is missing or fails to render."""


class OutputError(DigestError):
    """The output directory is unsafe or cannot be written."""


class FeedError(DigestError):
    """A feed's body is not a feed. Caught per feed and reported; never stops a build."""


class ScaffoldError(DigestError):
    """`digest init` would overwrite files, or cannot write them."""


class OpmlError(DigestError):
    """An OPML file cannot be read: not XML, not OPML, or unsafe (DOCTYPE, entities)."""


class ConfigEditError(DigestError):
    """`config.toml` cannot be changed as asked (the feed is already there, unwritable file)."""


class DiscoveryError(DigestError):
    """`digest add` found no feed at a URL, or cannot fetch it."""


class ServeError(DigestError):
    """The development server cannot start (port in use, bad port number)."""


def bug_message(doing: str, error: BaseException) -> str:
    """What a feed's report says when digest raised something it did not expect while
    `doing` ("reading", "updating") that feed: the feed fails, the build goes on, and the
    person reading it learns whose fault it is and what to send."""
    frames = traceback.extract_tb(error.__traceback__)
    where = f", at {frames[-1].filename.rsplit('/', 1)[-1]}:{frames[-1].lineno}" if frames else ""
    return (
        f"digest failed while {doing} this feed ({type(error).__name__}: {error}{where}). "
        "This is a bug in digest, not a problem with the feed: please report it, with the "
        "feed's URL and what `digest --version` prints, to digest's issue tracker"
    )
