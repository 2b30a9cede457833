"""Stage 7, render: the `Site` model + a theme -> the files of the site (HTML pages, feeds,
static files). `pages` plans every file with its key and renders those asked for; `keys`
says what each file shows; `theme` finds a theme's templates, static files and strings;
`syndication`, `edition_feeds` and `feed_writer` write the feeds; `workers` renders in forked
processes. This module imports nothing: a build that finds nothing changed reads the theme
(`theme`) without loading Jinja (`pages`).
"""
