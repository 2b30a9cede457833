"""The values that flow between stages. All frozen; datetimes are aware and in UTC.

By the stage that makes them: `config` (the config's tables), `feeds` (entries, caches and
fetches: fetch, parse, update, store), `site` (group's site model, what render shows).
Display conversion (site timezone, formats) happens in `group` and the templates, never here.
"""

from __future__ import annotations

from digest.models.config import (
    Config as Config,
)
from digest.models.config import (
    DedupConfig as DedupConfig,
)
from digest.models.config import (
    DedupMode as DedupMode,
)
from digest.models.config import (
    EditionGroupBy as EditionGroupBy,
)
from digest.models.config import (
    EditionKind as EditionKind,
)
from digest.models.config import (
    EditionsConfig as EditionsConfig,
)
from digest.models.config import (
    FeedConfig as FeedConfig,
)
from digest.models.config import (
    FetchConfig as FetchConfig,
)
from digest.models.config import (
    Filters as Filters,
)
from digest.models.config import (
    FullContent as FullContent,
)
from digest.models.config import (
    FullTextConfig as FullTextConfig,
)
from digest.models.config import (
    Retention as Retention,
)
from digest.models.config import (
    SearchConfig as SearchConfig,
)
from digest.models.config import (
    SiteConfig as SiteConfig,
)
from digest.models.config import (
    TagField as TagField,
)
from digest.models.config import (
    TagRule as TagRule,
)
from digest.models.config import (
    TagsConfig as TagsConfig,
)
from digest.models.feeds import (
    POSTS_SOURCE as POSTS_SOURCE,
)
from digest.models.feeds import (
    Body as Body,
)
from digest.models.feeds import (
    Entry as Entry,
)
from digest.models.feeds import (
    EntrySummary as EntrySummary,
)
from digest.models.feeds import (
    FeedCache as FeedCache,
)
from digest.models.feeds import (
    FeedInfo as FeedInfo,
)
from digest.models.feeds import (
    FeedReport as FeedReport,
)
from digest.models.feeds import (
    FetchOutcome as FetchOutcome,
)
from digest.models.feeds import (
    FullText as FullText,
)
from digest.models.feeds import (
    HttpState as HttpState,
)
from digest.models.feeds import (
    HttpStatus as HttpStatus,
)
from digest.models.feeds import (
    Media as Media,
)
from digest.models.feeds import (
    Outcome as Outcome,
)
from digest.models.feeds import (
    ParsedFeed as ParsedFeed,
)
from digest.models.feeds import (
    Picture as Picture,
)
from digest.models.feeds import (
    PostFile as PostFile,
)
from digest.models.feeds import (
    Response as Response,
)
from digest.models.feeds import (
    Whole as Whole,
)
from digest.models.feeds import (
    as_is as as_is,
)
from digest.models.feeds import (
    body_hash as body_hash,
)
from digest.models.feeds import (
    body_of as body_of,
)
from digest.models.feeds import (
    edited as edited,
)
from digest.models.feeds import (
    entry_hash as entry_hash,
)
from digest.models.feeds import (
    make_body as make_body,
)
from digest.models.feeds import (
    shown_bytes as shown_bytes,
)
from digest.models.feeds import (
    sort_entries as sort_entries,
)
from digest.models.site import (
    Budget as Budget,
)
from digest.models.site import (
    DayGroup as DayGroup,
)
from digest.models.site import (
    DedupRule as DedupRule,
)
from digest.models.site import (
    Duplicate as Duplicate,
)
from digest.models.site import (
    Edition as Edition,
)
from digest.models.site import (
    EditionGroup as EditionGroup,
)
from digest.models.site import (
    EditionLink as EditionLink,
)
from digest.models.site import (
    EditionView as EditionView,
)
from digest.models.site import (
    FeedHealth as FeedHealth,
)
from digest.models.site import (
    HealthStatus as HealthStatus,
)
from digest.models.site import (
    OutputFile as OutputFile,
)
from digest.models.site import (
    Page as Page,
)
from digest.models.site import (
    PageKind as PageKind,
)
from digest.models.site import (
    Pagination as Pagination,
)
from digest.models.site import (
    Site as Site,
)
from digest.models.site import (
    Source as Source,
)
from digest.models.site import (
    Tag as Tag,
)
