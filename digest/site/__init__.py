"""Stage 6, the site: every entry and the config -> the `Site` model, the pages to render
(`group`), with each post once (`dedup`), its topics (`topics`) and what the filters keep
(`filters`). Pure.
"""
