"""Typed forms of the record's normalised values, for tables (Parquet output, ``shinbun entities``).

The JSON record keeps exact decimal strings and ISO dates at the precision written (``norm.value``
``"500000000"``, ``"2012-07"``). Tables add typed columns beside them, so that DuckDB, pandas or
Arrow can sum amounts and compare dates without parsing strings:

- MONEY: ``amount`` (or ``amount_min`` and ``amount_max`` for a range), a decimal;
- PERCENT: ``percent`` (or ``percent_min`` and ``percent_max``), a decimal (``30`` is 30 %);
- DATE: ``date_start`` and ``date_end``, the first and last day the value covers, and
  ``date_granularity``: ``year`` (``2012`` -> 2012-01-01 .. 2012-12-31), ``month`` or ``day``.

Decimals are Arrow ``decimal128(38, 9)``: a value with more than 9 decimals or 29 integer digits
would not fit exactly and is left out (the exact string stays in ``value``), never rounded.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

import pyarrow as pa

DECIMAL = pa.decimal128(38, 9)
_SCALE = 9

TYPED_COLUMNS = ("amount", "amount_min", "amount_max", "percent", "percent_min", "percent_max",
                 "date_start", "date_end", "date_granularity")
TYPED_ARROW = {**{c: DECIMAL for c in TYPED_COLUMNS[:6]}, "date_start": pa.date32(), "date_end": pa.date32(),
               "date_granularity": pa.string()}

_DATE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


def exact_decimal(text: str | None, scale: int = _SCALE) -> Decimal | None:
    """``text`` as a Decimal that fits a 38-digit decimal with ``scale`` decimals exactly (Arrow's
    ``decimal128(38, 9)`` by default), else None."""
    if text is None:
        return None
    try:
        d = Decimal(text)
    except (InvalidOperation, TypeError, ValueError):
        return None
    if not d.is_finite() or d.as_tuple().exponent < -scale or (d != 0 and d.adjusted() >= 38 - scale):  # type: ignore[operator]
        return None
    return d


def date_range(value: str | None) -> tuple[date | None, date | None, str | None]:
    """An ISO date at the precision written -> (first day, last day, granularity)."""
    m = _DATE.fullmatch(value) if value else None
    if m is None:
        return None, None, None
    y, mo, d = int(m[1]), m[2], m[3]
    try:
        if d is not None:
            day = date(y, int(mo), int(d))
            return day, day, "day"
        if mo is not None:
            month = int(mo)
            return date(y, month, 1), date(y, month, calendar.monthrange(y, month)[1]), "month"
        return date(y, 1, 1), date(y, 12, 31), "year"
    except ValueError:  # month 13, day 32: not a date
        return None, None, None


def typed_values(label: str, value: str | None, value_min: str | None, value_max: str | None) -> tuple[Any, ...]:
    """The values of TYPED_COLUMNS for one entity (None where they do not apply)."""
    nums = (exact_decimal(value), exact_decimal(value_min), exact_decimal(value_max))
    none3 = (None, None, None)
    if label == "MONEY":
        return (*nums, *none3, *none3)
    if label == "PERCENT":
        return (*none3, *nums, *none3)
    if label == "DATE":
        return (*none3, *none3, *date_range(value))
    return none3 * 3


def as_text(values: tuple[Any, ...]) -> tuple[Any, ...]:
    """Typed values as exact text for CSV / JSON Lines: decimals as plain strings, dates as ISO."""
    return tuple(None if v is None else (format(v, "f") if isinstance(v, Decimal) else v.isoformat() if isinstance(v, date) else v)
                 for v in values)


def parse_timestamp(text: str | None) -> datetime | None:
    """An ISO 8601 date-time with a UTC offset (``2010-06-19T14:30:00+0900``) as a UTC datetime;
    None for anything else, a date-time without an offset included (its time zone is not known)."""
    if not text:
        return None
    try:
        dt = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    if dt.tzinfo is None or dt.utcoffset() is None:
        return None
    return dt.astimezone(timezone.utc)
