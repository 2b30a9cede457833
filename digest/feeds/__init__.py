"""Stages 2 to 5, the feeds: fetch each due feed (`fetch`, on its `schedule`), parse what came
(digest.parse, in processes: `pool`), apply it to the feed's cache (`update`) and save that
in `content/` (`store`). `digest.pipeline.fetch_feeds` runs them feed by feed.
"""
