"""Part of stage 1, config: the checks every table's values share (numbers, durations, unknown
keys). Each appends a problem, with its TOML path, and returns a usable value, so one run
reports every problem at once."""

from __future__ import annotations

from typing import Any

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def table(data: dict[str, Any], key: str, problems: list[str]) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        problems.append(f"{key}: must be a table ([{key}])")
        return {}
    return value


def number(
    table: dict[str, Any], where: str, default: float, low: float, high: float, problems: list[str]
) -> float:
    """The number at `where` (its last part is the key in `table`), within [low, high]."""
    value = table.get(where.rsplit(".", 1)[-1], default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        problems.append(f"{where}: must be a number from {low:g} to {high:g}, not {value!r}")
        return default
    return value


def whole(
    table: dict[str, Any], where: str, default: int, low: int, high: int, problems: list[str]
) -> int:
    """A count or a size: a whole number within [low, high]. `1e6` is one (TOML writes big
    numbers that way), `2.5` is not: it used to be cut to 2 without a word."""
    value = table.get(where.rsplit(".", 1)[-1], default)
    whole = isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    if isinstance(value, bool) or not whole or not low <= value <= high:
        problems.append(f"{where}: must be a whole number from {low} to {high}, not {value!r}")
        return default
    return int(value)


def duration(value: object, where: str, problems: list[str]) -> int | None:
    """Seconds from 90 (seconds) or "90s", "30m", "2h", "7d"; None when absent."""
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if isinstance(value, str):
        text = value.strip().lower()
        if text[:-1].isdigit() and text[-1:] in _UNITS:
            return int(text[:-1]) * _UNITS[text[-1]]
    problems.append(f'{where}: a duration such as "30m", "2h" or "7d", not {value!r}')
    return None


def unknown(table: dict[str, Any], known: set[str], prefix: str) -> list[str]:
    return [
        f"{prefix}{key}: unknown key (known keys: {', '.join(sorted(known))})"
        for key in table
        if key not in known
    ]


# --- [site] -----------------------------------------------------------------------------------


def positive_int(
    table: dict[str, Any], key: str, default: int, problems: list[str], least: int = 1
) -> int:
    value = table.get(key, default)
    # bool is an int subclass; `per_page = true` is a mistake, not 1.
    if isinstance(value, bool) or not isinstance(value, int) or not least <= value <= 10_000:
        problems.append(f"site.{key}: must be a whole number from {least} to 10000, not {value!r}")
        return default
    return value


# --- [[feeds]] --------------------------------------------------------------------------------
