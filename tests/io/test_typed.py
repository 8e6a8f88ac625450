"""Typed table columns (pipeline/io/typed.py) and the typed Parquet record layout."""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipeline.io.parquet import SCHEMA, from_row, to_row
from pipeline.io.typed import as_text, date_range, exact_decimal, parse_timestamp, typed_values


@pytest.mark.parametrize(
    ("text", "expected"),
    [("500000000", Decimal("500000000")), ("3.5", Decimal("3.5")), ("0.000000001", Decimal("0.000000001")),
     ("0.0000000001", None), ("1" + "0" * 28, Decimal("1" + "0" * 28)), ("1" + "0" * 29, None), ("abc", None), (None, None),
     ("NaN", None)],
)
def test_exact_decimal_fits_or_is_left_out(text, expected):
    assert exact_decimal(text) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [("2012", (date(2012, 1, 1), date(2012, 12, 31), "year")), ("2012-02", (date(2012, 2, 1), date(2012, 2, 29), "month")),
     ("2012-07-05", (date(2012, 7, 5), date(2012, 7, 5), "day")), ("2012-13", (None, None, None)),
     ("201x", (None, None, None)), (None, (None, None, None))],
)
def test_date_range(value, expected):
    assert date_range(value) == expected


def test_typed_values_keep_money_percent_and_dates_apart():
    assert typed_values("MONEY", None, "300000000", "500000000") == (None, Decimal("300000000"), Decimal("500000000")) + (None,) * 6
    assert typed_values("PERCENT", "3.5", None, None) == (None,) * 3 + (Decimal("3.5"), None, None) + (None,) * 3
    assert as_text(typed_values("DATE", "2012-07", None, None)) == (None,) * 6 + ("2012-07-01", "2012-07-31", "month")
    assert typed_values("ORG", "1", None, None) == (None,) * 9


@pytest.mark.parametrize(
    ("text", "expected"),
    [("2010-06-19T14:30:00+0900", datetime(2010, 6, 19, 5, 30, tzinfo=timezone.utc)),
     ("2010-06-19 14:30:00+09:00", datetime(2010, 6, 19, 5, 30, tzinfo=timezone.utc)),
     ("2010-06-19T14:30:00Z", datetime(2010, 6, 19, 14, 30, tzinfo=timezone.utc)),
     ("2010-06-19T14:30:00", None), ("2010-06-19", None), ("yesterday", None), ("", None), (None, None)],
)
def test_published_parses_only_with_an_offset(text, expected):
    assert parse_timestamp(text) == expected


RECORD = {
    "id": "a", "lang": "ja", "text": "2012年7月に5億円と30%。", "published": "2012-08-01T09:00:00+0900", "body": [0, 16],
    "boilerplate": [], "sentences": [{"start": 0, "end": 16}],
    "entities": [
        {"start": 0, "end": 7, "text": "2012年7月", "label": "DATE", "sentence": 0, "source": "rules:numeric", "norm": {"value": "2012-07"}},
        {"start": 8, "end": 11, "text": "5億円", "label": "MONEY", "sentence": 0, "source": "rules:numeric",
         "norm": {"value": "500000000", "currency": "JPY"}},
        {"start": 12, "end": 15, "text": "30%", "label": "PERCENT", "sentence": 0, "source": "rules:numeric", "norm": {"value": "30"}},
        {"start": 0, "end": 4, "text": "2012", "label": "MONEY", "sentence": 0, "source": "m", "norm": {"value_note": "no unit"}},
    ],
    "meta": {"schema_version": "1.0", "pipeline_version": "0.1.0", "config_hash": "h", "models": [{"name": "n", "version": "v"}],
             "input": {"source": "x", "rank": [1, 2]}},
}


def test_parquet_row_is_typed_and_reads_back_to_the_record(tmp_path):
    path = tmp_path / "r.parquet"
    pq.write_table(pa.Table.from_pylist([to_row(RECORD), to_row({"id": "e", "error": {"stage": "read", "type": "X", "message": "m"}})],
                                        schema=SCHEMA), path)
    table = pq.read_table(path)
    assert str(table.schema.field("published").type) == "timestamp[us, tz=UTC]"
    assert str(table.schema.field("meta").type).startswith("struct<schema_version: string")
    row = table.to_pylist()[0]
    assert row["published"] == datetime(2012, 8, 1, 0, 0, tzinfo=timezone.utc) and row["published_text"] == "2012-08-01T09:00:00+0900"
    assert row["meta"]["config_hash"] == "h" and row["meta"]["input"] == '{"source":"x","rank":[1,2]}'
    date_e, money, pct, note = row["entities"]
    assert (date_e["date_start"], date_e["date_end"], date_e["date_granularity"], date_e["amount"]) == (date(2012, 7, 1), date(2012, 7, 31), "month", None)
    assert (money["amount"], money["percent"], money["value"]) == (Decimal("500000000"), None, "500000000")
    assert (pct["percent"], pct["amount"]) == (Decimal("30"), None)
    assert note["value_note"] == "no unit" and note["amount"] is None
    assert from_row(row) == RECORD
    assert from_row(table.to_pylist()[1]) == {"id": "e", "error": {"stage": "read", "type": "X", "message": "m"}}
