"""Tests of the safe filter-expression parser (regionscope.query)."""

from __future__ import annotations

import builtins
import dataclasses
import io
import os
import subprocess
import sys
import tokenize
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

try:
    import regionscope.query  # noqa: F401
except ModuleNotFoundError:  # the package is not installed: test the source tree
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from regionscope import query
from regionscope.errors import FilterError
from regionscope.query import FilterExpression, filter_mask, filter_table, parse_filter


@pytest.fixture
def regions() -> pd.DataFrame:
    """Seven regions; label 5 has no area and no name, label 7 has no class."""
    return pd.DataFrame(
        {
            "label": [1, 2, 3, 4, 5, 6, 7],
            "area": [500.0, 1500.0, 800.0, 50.0, np.nan, 1200.0, 950.0],
            "perimeter": [250.0, 300.0, 100.0, 30.0, 400.0, 150.0, 210.0],
            "eccentricity": [0.2, 0.9, 0.4, 0.7, 0.1, 0.6, 0.3],
            "name": ["cell x", "nucleus", 'say "hi"', "it's", None, "a\\b", "x"],
            "class": ["good", "debris", "good", "bad", "good", "debris", None],
            "touches_border": [False, True, False, True, False, False, True],
            "intensity_mean-DAPI": [10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0],
            "a b": [1, 2, 3, 4, 5, 6, 7],
        },
        index=[10, 11, 12, 13, 14, 15, 16],
    )


def labels(table: pd.DataFrame, expr) -> list[int]:
    return filter_table(table, expr)["label"].tolist()


def filter_error(table: pd.DataFrame, expr: str) -> FilterError:
    with pytest.raises(FilterError) as caught:
        filter_mask(table, expr)
    return caught.value


ALL = [1, 2, 3, 4, 5, 6, 7]


# --------------------------------------------------------------------------
# The examples of the specification
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("{area} < 1000 && {perimeter} > 200", [1, 7]),
        ("{label} eq 4", [4]),
        ("{area} ge 100 || {eccentricity} lt 0.5", [1, 2, 3, 5, 6, 7]),
        ('{name} contains "x"', [1, 7]),
        ("area < 1000 and perimeter > 200", [1, 7]),
        ("not (area > 1000 or perimeter <= 200)", [1, 5, 7]),
        ("label in [1, 4, 7]", [1, 4, 7]),
        ("label not in [2, 3]", [1, 4, 5, 6, 7]),
        ("class in [\"good\", 'debris']", [1, 2, 3, 5, 6]),
        ("1000 > {area}", [1, 3, 4, 7]),
        ("touches_border", [2, 4, 7]),
        ('{label} eq "4"', [4]),
    ],
)
def test_specification_examples(regions, expr, expected):
    assert labels(regions, expr) == expected


# --------------------------------------------------------------------------
# Operators, keywords and precedence
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("operators", "expected"),
    [
        (["=", "==", "eq", "EQ"], [4]),
        (["!=", "ne", "Ne"], [1, 2, 3, 5, 6, 7]),
        (["<", "lt"], [1, 2, 3]),
        (["<=", "le"], [1, 2, 3, 4]),
        ([">", "gt"], [5, 6, 7]),
        ([">=", "ge", "GE"], [4, 5, 6, 7]),
    ],
)
def test_each_comparison_operator(regions, operators, expected):
    for symbol in operators:
        assert labels(regions, f"label {symbol} 4") == expected, symbol
        assert labels(regions, f"{{label}}{symbol}4" if symbol[0] in "=!<>" else f"{{label}} {symbol} 4") == expected


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("4 <= label", [4, 5, 6, 7]),
        ("4 > label", [1, 2, 3]),
        ("4 != label", [1, 2, 3, 5, 6, 7]),
        ("1 < label <= 4", [2, 3, 4]),
        ("100 < area < 1000", [1, 3, 7]),
        ("label > 1 and label < 4", [2, 3]),
        ("label > 5 && label < 7", [6]),
        ("label = 1 or label = 7", [1, 7]),
        ("label = 1 || label = 7", [1, 7]),
        ("label gt 4 AND label LT 7", [5, 6]),
        ("label = 1 OR label = 2", [1, 2]),
        ("not label = 1", [2, 3, 4, 5, 6, 7]),
        ("!(label = 1)", [2, 3, 4, 5, 6, 7]),
        ("NOT touches_border", [1, 3, 5, 6]),
        ("not not label = 1", [1]),
        ("!!label = 1", [1]),
        ("touches_border and label > 3", [4, 7]),
        ("touches_border == true", [2, 4, 7]),
        ("touches_border = FALSE", [1, 3, 5, 6]),
        ("touches_border != True", [1, 3, 5, 6]),
        ("label > -2.5", ALL),
        ("label eq-4", []),
        ("label ge+4", [4, 5, 6, 7]),
        ("label < +3", [1, 2]),
        ("eccentricity < .5", [1, 3, 5, 7]),
        ("area >= 1e3", [2, 6]),
        ("area >= 1.2E+3", [2, 6]),
        ("area < inf", [1, 2, 3, 4, 6, 7]),
        ("area > -inf", [1, 2, 3, 4, 6, 7]),
        ("  label\n=\t4  ", [4]),
    ],
)
def test_comparisons_and_logic(regions, expr, expected):
    assert labels(regions, expr) == expected


def test_and_binds_tighter_than_or(regions):
    # label 2 has area 1500: it is kept only if 'and' groups label = 3 with the area test.
    assert labels(regions, "label = 2 or label = 3 and area < 1000") == [2, 3]
    assert labels(regions, "(label = 2 or label = 3) and area < 1000") == [3]
    assert labels(regions, "label = 3 and area < 1000 or label = 2") == [2, 3]


def test_not_binds_tighter_than_and(regions):
    assert labels(regions, "not label = 1 and label < 3") == [2]
    assert labels(regions, "not (label = 1 and label < 3)") == [2, 3, 4, 5, 6, 7]
    assert labels(regions, "! label = 1 || label = 1") == ALL


def test_parentheses_nest(regions):
    assert labels(regions, "((label = 1) or ((label = 2)))") == [1, 2]
    assert labels(regions, "(label < 3 or (label > 5 and (not touches_border)))") == [1, 2, 6]


def test_columns_are_compared_with_columns():
    table = pd.DataFrame({"x": [1.0, 5.0, 3.0, np.nan], "y": [2, 4, 3, 1]})
    assert filter_mask(table, "x > y").tolist() == [False, True, False, False]
    assert filter_mask(table, "{x} >= {y}").tolist() == [False, True, True, False]
    assert filter_mask(table, "x != y").tolist() == [True, True, False, True]
    assert filter_mask(table, "0 < x < y").tolist() == [True, False, False, False]


def test_text_columns_compare_alphabetically(regions):
    assert labels(regions, 'class < "c"') == [4]
    assert labels(regions, 'class >= "debris"') == [1, 2, 3, 5, 6]


def test_integer_labels_compare_exactly():
    table = pd.DataFrame({"label": np.array([2**53 + 1, 2**53], dtype=np.int64)})
    assert filter_mask(table, f"label == {2**53 + 1}").tolist() == [True, False]
    assert filter_mask(table, f"label in [{2**53 + 1}]").tolist() == [True, False]


def test_columns_with_non_text_labels_are_found_by_their_text():
    table = pd.DataFrame({0: [1, 2, 3], 1: [3, 2, 1]})
    assert filter_mask(table, "{0} > {1}").tolist() == [False, False, True]


# --------------------------------------------------------------------------
# in / not in
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("label in [1, 2,]", [1, 2]),
        ("label in [4]", [4]),
        ("label in []", []),
        ("label not in []", ALL),
        ("label NOT IN [1, 2, 3, 4, 5, 6]", [7]),
        ("eccentricity in [0.2, 0.9]", [1, 2]),
        ('label in ["1", "4"]', [1, 4]),
        ("class in ['bad']", [4]),
        ('class not in ["good"]', [2, 4, 6, 7]),
        ("touches_border in [true]", [2, 4, 7]),
        ("label in [1] or label in [2]", [1, 2]),
        ("not label in [1, 2]", [3, 4, 5, 6, 7]),
    ],
)
def test_membership(regions, expr, expected):
    assert labels(regions, expr) == expected


def test_long_lists_are_not_limited_by_the_token_count(regions):
    items = ", ".join(["1"] * 2_500)  # 5,000 tokens inside the brackets
    assert labels(regions, f"label in [{items}]") == [1]


def test_list_length_is_limited(regions, monkeypatch):
    monkeypatch.setattr(query.limits, "MAX_LIST_ITEMS", 3)
    assert labels(regions, "label in [1, 2, 3]") == [1, 2, 3]
    error = filter_error(regions, "label in [1, 2, 3, 4]")
    assert "at most 3 values" in error.reason
    assert error.position == 19


@pytest.mark.parametrize(
    ("expr", "reason", "position"),
    [
        ('label in [1, "a"]', "one kind", 13),
        ("label in [1, true]", "one kind", 13),
        ("label in [1, area]", "Lists hold values, not columns", 13),
        ("label in [1, 2", "Unclosed '['", 9),
        ("label in [1 2]", "Expected ',' or ']'", 12),
        ("label in [1,, 2]", "Expected a value in the list, found ','", 12),
        ("label in 4", "Expected a list in brackets after 'in'", 9),
        ("label not > 4", "Expected 'in' after 'not'", 10),
        ("4 in [4]", "'in' needs a column", 0),
    ],
)
def test_membership_syntax_errors(expr, reason, position):
    with pytest.raises(FilterError) as caught:
        parse_filter(expr)
    assert reason in caught.value.reason
    assert caught.value.position == position


# --------------------------------------------------------------------------
# Strings
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        (r'name == "say \"hi\""', [3]),
        (r"name == 'say \"hi\"'", [3]),
        ("name == 'say \"hi\"'", [3]),
        (r"name == 'it\'s'", [4]),
        ('name == "it\'s"', [4]),
        (r'name == "a\\b"', [6]),  # an escaped backslash
        (r'name == "a\b"', [6]),  # a lone backslash before another character is kept
        ('name contains "\\""', [3]),
        ('name contains "x"', [1, 7]),
        ('name contains "X"', []),  # case-sensitive, like the DataTable
        ('name contains ""', [1, 2, 3, 4, 6, 7]),
        ('{name} CONTAINS "nuc"', [2]),
        ('name = "cell x"', [1]),
        ('name != "cell x"', [2, 3, 4, 5, 6, 7]),
    ],
)
def test_strings_with_quotes_and_escapes(regions, expr, expected):
    assert labels(regions, expr) == expected


# --------------------------------------------------------------------------
# Missing values
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("area > 0", [1, 2, 3, 4, 6, 7]),
        ("area < 1e9", [1, 2, 3, 4, 6, 7]),
        ("area == 500", [1]),
        ("area != 500", [2, 3, 4, 5, 6, 7]),  # missing is 'not equal'
        ("not (area > 0)", [5]),  # ... and 'not' is plain negation
        ("area in [500, 800]", [1, 3]),
        ("area not in [500, 800]", [2, 4, 5, 6, 7]),
        ("area > perimeter", [1, 2, 3, 4, 6, 7]),
        ("area is nil", [5]),
        ("area IS NOT NIL", [1, 2, 3, 4, 6, 7]),
        ("{class} is nil", [7]),
        ('class == "good"', [1, 3, 5]),
        ('class != "good"', [2, 4, 6, 7]),
        ('name contains "a"', [3, 6]),
        ("label is nil", []),
    ],
)
def test_missing_values(regions, expr, expected):
    assert labels(regions, expr) == expected


def test_missing_values_in_nullable_columns():
    table = pd.DataFrame(
        {
            "count": pd.array([1, None, 3], dtype="Int64"),
            "ok": pd.array([True, None, False], dtype="boolean"),
            "tag": pd.array(["a", None, ""], dtype="string"),
        }
    )
    assert filter_mask(table, "count > 0").tolist() == [True, False, True]
    assert filter_mask(table, "count != 1").tolist() == [False, True, True]
    assert filter_mask(table, "ok").tolist() == [True, False, False]
    assert filter_mask(table, "not ok").tolist() == [False, True, True]
    assert filter_mask(table, 'tag == "a"').tolist() == [True, False, False]
    assert filter_mask(table, "tag is nil").tolist() == [False, True, False]


def test_is_blank_also_counts_empty_text():
    table = pd.DataFrame({"note": ["x", "", "  ", None], "value": [1.0, np.nan, 2.0, 3.0]})
    assert filter_mask(table, "note is blank").tolist() == [False, True, True, True]
    assert filter_mask(table, "note is not blank").tolist() == [True, False, False, False]
    assert filter_mask(table, "value is blank").tolist() == [False, True, False, False]


def test_nan_is_not_a_value_and_points_to_is_nil():
    with pytest.raises(FilterError) as caught:
        parse_filter("area == nan")
    assert "is nil" in caught.value.reason
    assert caught.value.position == 8


def test_an_all_missing_column_matches_nothing():
    table = pd.DataFrame({"x": [None, None]}, dtype=object)
    assert filter_mask(table, "x > 1").tolist() == [False, False]
    assert filter_mask(table, 'x == "a"').tolist() == [False, False]
    assert filter_mask(table, "x != 1").tolist() == [True, True]


# --------------------------------------------------------------------------
# Column names
# --------------------------------------------------------------------------


def test_columns_with_dashes_and_spaces_in_braces(regions):
    assert labels(regions, "{intensity_mean-DAPI} >= 60") == [6, 7]
    assert labels(regions, "{a b} = 3") == [3]
    assert labels(regions, "{a b} > {intensity_mean-DAPI}") == []


def test_bare_column_with_dash_is_told_to_use_braces(regions):
    with pytest.raises(FilterError) as caught:
        parse_filter("label > 1 and intensity_mean-DAPI > 60")
    assert "{intensity_mean-DAPI}" in caught.value.reason
    assert caught.value.position == 14


def test_bare_column_with_space_is_told_to_use_braces():
    with pytest.raises(FilterError) as caught:
        parse_filter("a b = 3")
    assert "Expected an operator" in caught.value.reason
    assert "{a b}" in caught.value.reason
    assert caught.value.position == 2


def test_keywords_can_be_columns_in_braces():
    table = pd.DataFrame({"in": [1, 2], "nan": [3, 4]})
    assert filter_mask(table, "{in} = 2 and {nan} = 4").tolist() == [False, True]


def test_unknown_column_is_named_with_a_suggestion(regions):
    expression = parse_filter("label > 1 and {aera} > 10")  # parsing does not need the table
    with pytest.raises(FilterError) as caught:
        expression.evaluate(regions)
    error = caught.value
    assert error.reason.startswith("Unknown column 'aera'. Did you mean 'area'? Columns: label, area, perimeter")
    assert error.position == 14
    assert error.expression == "label > 1 and {aera} > 10"
    assert str(error).endswith("(at character 15)")


def test_unknown_column_suggestion_shows_how_to_write_it(regions):
    error = filter_error(regions, "intensity_mean_DAPI > 1")
    assert "Did you mean 'intensity_mean-DAPI'? (write it as {intensity_mean-DAPI})" in error.reason


def test_unknown_column_suggestion_ignores_case(regions):
    error = filter_error(regions, "AREA > 1")
    assert "Did you mean 'area'?" in error.reason
    assert error.position == 0


def test_unknown_column_lists_at_most_twelve_columns():
    table = pd.DataFrame({f"c{index}": [1] for index in range(20)})
    error = filter_error(table, "zzz > 1")
    assert "Did you mean" not in error.reason
    assert error.reason.endswith("c10, c11, ...")
    assert "c12" not in error.reason


def test_referenced_columns_are_reported():
    expression = parse_filter('{area} > 1 and label in [1] or {a b} is nil or not name contains "x"')
    assert expression.columns == frozenset({"area", "label", "a b", "name"})
    assert parse_filter("1 < x < y").columns == frozenset({"x", "y"})


# --------------------------------------------------------------------------
# Syntax errors
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expr", "reason", "position"),
    [
        ("{area} <", "Expected a value after '<'", 8),
        ("(area > 1", "Unclosed '('", 0),
        ("area > 1 and (label < 2 or (x = 1)", "Unclosed '('", 13),
        ("area >> 2", "Expected a value after '>', found '>'", 6),
        ("{area", "Unclosed '{'", 0),
        ('"abc', "Unclosed text", 0),
        ("name == 'abc", "Unclosed text", 8),
        ("area > 1 and", "Expected a condition after 'and'", 12),
        ("area > 1 or or", "Expected a condition after 'or', found 'or'", 12),
        ("and area > 1", "Expected a condition, found 'and'", 0),
        ("not", "Expected a condition after 'not'", 3),
        ("area > 1 )", "Unmatched ')'", 9),
        ("(area > 1 label < 2)", "Expected 'and', 'or' or ')' after a condition, found 'label'", 10),
        ("area > 1 label < 2", "Expected 'and' or 'or' after a condition, found 'label'", 9),
        ("area 5", "Expected an operator", 5),
        ("()", "Empty parentheses", 1),
        ("{}", "Empty column name", 0),
        ("1 < 2", "one side must be a column", 0),
        ("5", "A value on its own is not a condition", 0),
        ("area > 1_000", "Unexpected character '_'", 8),
        ("area > 10px", "Unexpected character 'p'", 9),
        ("area > 1.2.3", "Unexpected character '.' after the number 1.2", 10),
        ("area > - 2", "Unexpected character '-'", 7),
        ("area & perimeter", "write 'and' or '&&'", 5),
        ("area | perimeter", "write 'or' or '||'", 5),
        ("area > 1 }", "Unexpected character '}'", 9),
        ("area ~ 1", "Unexpected character '~'", 5),
        ("name contains 4", "'contains' needs a text value", 14),
        ("name contains other", "'contains' needs a text value", 14),
        ('"x" contains "y"', "'contains' needs a column", 0),
        ('date datestartswith "2020"', "'datestartswith' is not supported", 5),
        ("area is something", "After 'is' write nil, blank", 8),
        ("area is", "After 'is' write nil, blank", 7),
    ],
)
def test_syntax_errors_have_positions(expr, reason, position):
    with pytest.raises(FilterError) as caught:
        parse_filter(expr)
    error = caught.value
    assert reason in error.reason
    assert error.position == position
    assert error.expression == expr
    assert str(error) == f"{error.reason} (at character {position + 1})"


# --------------------------------------------------------------------------
# Type errors (found when the filter meets the table)
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expr", "reason", "position"),
    [
        ("name > 4", "Cannot compare text column 'name' with a number", 7),
        ("4 < {name}", "Cannot compare text column 'name' with a number", 0),
        ("class == true", "Cannot compare text column 'class' with true/false", 9),
        ("touches_border = 'yes'", "compare it with true/false, e.g. touches_border == true", 17),
        ('area == "abc"', "Cannot compare numeric column 'area' with the text \"abc\"", 8),
        ('label in ["1", "x"]', "Cannot compare numeric column 'label' with the text \"x\"", 15),
        ("class in [1, 2]", "Cannot compare text column 'class' with a number", 10),
        ("name > area", "Cannot compare text column 'name' with numeric column 'area'", 7),
        ('area contains "5"', "'contains' works on text columns", 0),
        ("area", "Column 'area' is numeric, not true/false", 0),
        ("label > 1 and name", "Column 'name' is text, not true/false", 14),
    ],
)
def test_type_mismatches(regions, expr, reason, position):
    error = filter_error(regions, expr)
    assert reason in error.reason
    assert error.position == position


def test_unsupported_column_types_are_explained():
    table = pd.DataFrame({"when": pd.to_datetime(["2020-01-01", "2021-01-01"])})
    error = filter_error(table, 'when > "2020"')
    assert "numbers, text and true/false" in error.reason
    assert filter_mask(table, "when is not nil").tolist() == [True, True]


def test_categorical_columns_are_compared_by_their_values():
    table = pd.DataFrame({"kind": pd.Categorical(["a", "b", None]), "size": pd.Categorical([1, 2, 3])})
    assert filter_mask(table, 'kind == "b"').tolist() == [False, True, False]
    assert filter_mask(table, "size >= 2").tolist() == [False, True, True]


# --------------------------------------------------------------------------
# Hostile input
# --------------------------------------------------------------------------

HOSTILE = [
    "__import__('os').system('id')",
    "__import__",
    "().__class__.__bases__",
    "{area}.__class__",
    "area.__class__",
    "area[0]",
    "__class__ > 1",
    "area > 1 or __builtins__",
    "lambda: 1",
    "lambda x: x",
    "area > 1; import os",
    "`id`",
    "exec('1')",
    'eval("1")',
    "open('/etc/passwd')",
    "getattr(area, 'real')",
    "area if 1 else 2",
    "[c for c in ()]",
    "f'{area}'",
    "area == 0x10",
    "area @ 1",
    "$HOME",
    "area > 1 % 2",
    "area ^ 1",
    "label in [1, 2][0]",
    "{area}(1)",
]


@pytest.fixture
def recorded_calls(monkeypatch):
    """Records imports of dangerous modules and any os.system / subprocess call."""
    calls = []
    real_import = builtins.__import__

    def recording_import(name, *args, **kwargs):
        if name.split(".")[0] in {"os", "subprocess", "shutil", "socket", "ctypes"}:
            calls.append(("import", name))
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", recording_import)
    monkeypatch.setattr(os, "system", lambda *args: calls.append(("os.system", args)))
    monkeypatch.setattr(subprocess, "Popen", lambda *args, **kwargs: calls.append(("Popen", args)))
    return calls


@pytest.mark.parametrize("expr", HOSTILE)
def test_hostile_input_is_rejected_without_running_anything(regions, recorded_calls, expr):
    with pytest.raises(FilterError):
        filter_mask(regions, expr)
    assert recorded_calls == []


def test_code_in_a_filter_leaves_no_side_effect(regions, tmp_path):
    marker = tmp_path / "ran"
    attempts = [
        f"__import__('os').system('touch {marker}')",
        f"area > 1 or open('{marker}', 'w')",
        f"{{area}} > 1; __import__('pathlib').Path('{marker}').touch()",
    ]
    for attempt in attempts:
        with pytest.raises(FilterError):
            filter_mask(regions, attempt)
    assert not marker.exists()


def test_calls_and_dunders_get_clear_messages():
    with pytest.raises(FilterError, match="Function calls are not supported") as caught:
        parse_filter("len(area) > 1")
    assert caught.value.position == 3
    with pytest.raises(FilterError, match="Names starting with '__' are not allowed") as caught:
        parse_filter("__import__('os').system('id')")
    assert caught.value.position == 0
    with pytest.raises(FilterError, match="Indexing with") as caught:
        parse_filter("area[0] > 1")
    assert caught.value.position == 4
    with pytest.raises(FilterError, match="attribute access is not supported") as caught:
        parse_filter("{area}.__class__")
    assert caught.value.position == 6
    with pytest.raises(FilterError, match="single condition") as caught:
        parse_filter("area > 1; import os")
    assert caught.value.position == 8


@pytest.mark.parametrize("module", sorted(Path(query.__file__).parent.glob("*.py")), ids=lambda path: path.name)
def test_module_source_never_evaluates_text(module):
    source = module.read_text(encoding="utf-8")
    code = [
        token.string
        for token in tokenize.generate_tokens(io.StringIO(source).readline)
        if token.type in (tokenize.NAME, tokenize.OP)
    ]
    names = {name for index, name in enumerate(code) if index == 0 or code[index - 1] != "."}
    attributes = {name for index, name in enumerate(code) if index > 0 and code[index - 1] == "."}
    # Bare names: builtins that run or reach code, and forbidden libraries.
    forbidden_names = {"eval", "exec", "compile", "ast", "__import__", "getattr", "globals", "locals", "vars"}
    forbidden_names |= {"dash", "plotly", "dash_ag_grid"}
    # Attributes: pandas.eval, DataFrame.eval, DataFrame.query.
    forbidden_attributes = {"eval", "query", "__import__", "system"}
    assert names.isdisjoint(forbidden_names), names & forbidden_names
    assert attributes.isdisjoint(forbidden_attributes), attributes & forbidden_attributes


# --------------------------------------------------------------------------
# Limits
# --------------------------------------------------------------------------


def test_huge_input_is_rejected_before_tokenizing(regions, monkeypatch):
    def fail(source):
        raise AssertionError("the tokenizer must not see over-long input")

    monkeypatch.setattr(query.expression, "tokenize", fail)
    for huge in ("a" * 1_000_000, "(" * 1_000_000, '"' + "x" * 1_000_000):
        with pytest.raises(FilterError) as caught:
            parse_filter(huge)
        assert "characters long" in caught.value.reason
        assert "limit is 10,000" in caught.value.reason


def test_length_limit_boundary(regions):
    fitting = "label = 4".ljust(query.MAX_EXPRESSION_LENGTH)
    assert labels(regions, fitting) == [4]
    with pytest.raises(FilterError, match="characters long"):
        parse_filter(fitting + " ")


def test_token_limit(regions):
    assert labels(regions, " or ".join(["label = 1"] * 400)) == [1]  # 1,599 tokens
    with pytest.raises(FilterError, match="more than 2,000 parts"):
        parse_filter(" or ".join(["label = 1"] * 600))  # 2,399 tokens


def test_nesting_limit(regions):
    depth = query.MAX_NESTING
    assert labels(regions, "(" * depth + "label = 1" + ")" * depth) == [1]
    with pytest.raises(FilterError, match="nested more than 64 deep") as caught:
        parse_filter("(" * (depth + 1) + "label = 1" + ")" * (depth + 1))
    assert caught.value.position == depth


def test_very_deep_input_raises_no_recursion_error(regions):
    for text in ("(" * 4_000 + "label = 1" + ")" * 4_000, "(" * 9_000, "not " * 2_400 + "label = 1"):
        with pytest.raises(FilterError):
            parse_filter(text)
    # Long runs of negations and joiners are read in loops, not by recursion.
    assert labels(regions, "!" * 1_500 + "label = 1") == [1]
    assert labels(regions, "not " * 1_001 + "label = 1") == [2, 3, 4, 5, 6, 7]
    assert labels(regions, " and ".join(["label < 3"] * 500)) == [1, 2]


# --------------------------------------------------------------------------
# API
# --------------------------------------------------------------------------


@pytest.mark.parametrize("empty", ["", "   ", "\n\t ", None])
def test_empty_filter_matches_every_row(regions, empty):
    result = filter_table(regions, empty)
    pd.testing.assert_frame_equal(result, regions)
    if empty is not None:
        assert parse_filter(empty).columns == frozenset()
        assert parse_filter(empty).evaluate(regions).tolist() == [True] * 7


def test_filter_table_keeps_the_original_index_and_order(regions):
    shuffled = regions.iloc[[6, 0, 3, 2]]
    result = filter_table(shuffled, "area < 1000")
    assert result.index.tolist() == [16, 10, 13, 12]
    assert result["label"].tolist() == [7, 1, 4, 3]
    assert filter_table(regions, "area < 1000 and perimeter > 200").index.tolist() == [10, 16]


def test_filter_mask_is_a_boolean_array(regions):
    mask = filter_mask(regions, "label > 5")
    assert isinstance(mask, np.ndarray)
    assert mask.dtype == bool
    assert mask.tolist() == [False] * 5 + [True] * 2
    assert filter_mask(regions.iloc[:0], "label > 5").shape == (0,)


def test_filter_expression_is_immutable_reusable_and_hashable(regions):
    expression = parse_filter("{area} < 1000 && {perimeter} > 200")
    assert expression.source == "{area} < 1000 && {perimeter} > 200"
    assert str(expression) == expression.source
    assert expression.columns == frozenset({"area", "perimeter"})
    with pytest.raises(dataclasses.FrozenInstanceError):
        expression.source = "label > 1"
    assert hash(expression) == hash(parse_filter("{area} < 1000 && {perimeter} > 200"))
    assert labels(regions, expression) == [1, 7]
    assert filter_mask(regions.iloc[:3], expression).tolist() == [True, False, False]


def test_parse_errors_are_raised_by_parse_filter_and_table_errors_by_evaluate(regions):
    with pytest.raises(FilterError):
        parse_filter("area <")
    expression = parse_filter("missing_column > 1")
    assert isinstance(expression, FilterExpression)
    with pytest.raises(FilterError, match="Unknown column 'missing_column'"):
        expression.evaluate(regions)


def test_wrong_argument_types_are_type_errors(regions):
    with pytest.raises(TypeError):
        parse_filter(42)
    with pytest.raises(TypeError):
        filter_mask(regions, 42)
    with pytest.raises(TypeError):
        parse_filter("label > 1").evaluate(regions.to_dict())


@pytest.mark.parametrize("style", ["plain", "datatable"])
def test_random_thresholds_match_pandas(style):
    rng = np.random.default_rng(20240611)
    area = rng.uniform(0, 2_000, 300)
    area[rng.choice(300, 20, replace=False)] = np.nan
    table = pd.DataFrame(
        {"area": area, "perimeter": rng.integers(0, 500, 300)},
        index=rng.permutation(1_000)[:300],
    )
    for _ in range(60):
        threshold = rng.uniform(-100, 2_100)
        bound = int(rng.integers(-10, 510))
        t = rng.choice([repr(float(threshold)), f"{threshold:.3e}", str(int(threshold))])
        if style == "plain":
            expr = f"area < {t} and perimeter > {bound}"
        else:
            expr = f"{{area}} lt {t} && {{perimeter}} gt {bound}"
        expected = table[(table.area < float(t)) & (table.perimeter > bound)]
        pd.testing.assert_frame_equal(filter_table(table, expr), expected)
