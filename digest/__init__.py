"""digest: turn a list of feeds into a static post digest (HTML site + Atom feed)."""

__version__ = "0.1.0"
