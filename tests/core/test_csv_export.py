"""The one CSV helper: text a spreadsheet would run as a formula gets a leading quote."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest

from core.csv_export import SafeCsvDictWriter, SafeCsvWriter, csv_safe


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@SUM(A1)", "\tcmd", "\rcmd", '=HYPERLINK("x")'])
def test_text_starting_with_a_formula_prefix_is_quoted(text):
    assert csv_safe(text) == f"'{text}"


@pytest.mark.parametrize("text", ["Alpha Ltd", "华东精密", "", "a=b", "1-2", "'=already"])
def test_plain_text_is_unchanged(text):
    assert csv_safe(text) == text


@pytest.mark.parametrize("number", [-5, Decimal("-5.00"), -1.5, 0, None])
def test_numbers_stay_numbers(number):
    assert csv_safe(number) == number


def test_writer_neutralises_text_cells_and_leaves_numbers():
    out = io.StringIO()
    SafeCsvWriter(out).writerows([["=cmd", -5, Decimal("-5.00"), "ok"]])
    assert next(csv.reader(io.StringIO(out.getvalue()))) == ["'=cmd", "-5", "-5.00", "ok"]


def test_dict_writer_neutralises_header_and_rows():
    out = io.StringIO()
    writer = SafeCsvDictWriter(out, fieldnames=["=col", "n"])
    writer.writeheader()
    writer.writerow({"=col": "@x", "n": -1})
    writer.writerows([{"=col": "+y", "n": 2}])
    assert list(csv.reader(io.StringIO(out.getvalue()))) == [["'=col", "n"], ["'@x", "-1"], ["'+y", "2"]]
