"""Issue 9.10: the filter parser under hostile and random text.

Digits are ASCII only: ``str.isdigit`` and regex ``\\d`` accept superscripts
and other scripts' digits (``²``, ``١``), which crashed the parser or were
read as numbers. Property-based fuzzing (hypothesis) checks that no text
raises anything but FilterError and that nothing is ever evaluated.
"""

from __future__ import annotations

import builtins
import contextlib

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from regionscope.errors import FilterError
from regionscope.query import MAX_EXPRESSION_LENGTH, filter_mask, parse_filter

TABLE = pd.DataFrame(
    {
        "label": np.array([1, 2, 3], dtype=np.int64),
        "area": np.array([4.0, 6.0, np.nan]),
        "touches_border": [False, True, True],
        "class": ["a", None, "debris"],
        "intensity_mean-GFP.v2": [1.0, 2.0, 3.0],
    }
)

NON_ASCII_DIGITS = ["²", "³", "¹", "١", "٣", "۳", "३", "০", "๓", "５", "𝟙", "①", "⁴", "₂"]


@pytest.mark.parametrize("digit", NON_ASCII_DIGITS)
@pytest.mark.parametrize(
    "template",
    [
        "area > -{d}",
        "area > {d}",
        "area > +{d}",
        "area > 1{d}",
        "area > .{d}",
        "area > 1.{d}",
        "area > 1e{d}",
        "label in [1, {d}]",
        "label == '{d}'",
    ],
)
def test_non_ascii_digits_are_not_numbers(template, digit):
    text = template.format(d=digit)
    if "'" in text:
        # Text that looks like a number in another script is not read as that number.
        with pytest.raises(FilterError, match="text"):
            filter_mask(TABLE, text)
        return
    with pytest.raises(FilterError) as info:
        parse_filter(text)
    assert info.value.position is not None
    assert 0 <= info.value.position < len(text)
    assert "(at character" in str(info.value)


def test_the_reported_cases():
    with pytest.raises(FilterError, match="Unexpected character '²'"):
        parse_filter("area > -²")
    with pytest.raises(FilterError, match="Unexpected character '١'"):
        parse_filter("area > -١")
    with pytest.raises(FilterError, match="Unexpected character '١'"):
        parse_filter("area > ١")
    # ASCII numbers still work, signed and not.
    assert filter_mask(TABLE, "area > -2").tolist() == [True, True, False]
    assert filter_mask(TABLE, "label == '2'").tolist() == [False, True, False]


# --------------------------------------------------------------------------
# Property-based fuzzing
# --------------------------------------------------------------------------

PIECES = [
    "area",
    "label",
    "touches_border",
    "class",
    "{intensity_mean-GFP.v2}",
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    ",",
    "and",
    "or",
    "not",
    "in",
    "is",
    "nil",
    "blank",
    "contains",
    "datestartswith",
    "eq",
    "ne",
    "lt",
    "le",
    "gt",
    "ge",
    "true",
    "false",
    "inf",
    "nan",
    "&&",
    "||",
    "!",
    "==",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "=",
    "-",
    "+",
    ".",
    "0",
    "1",
    "2.5",
    "-3",
    "+4",
    "1e3",
    "1e",
    ".5",
    "5.",
    "'text'",
    '"debris"',
    "'",
    '"',
    "\\",
    "__import__",
    "__class__",
    "os.system('x')",
    "lambda",
    "eval",
    "exec",
    ";",
    "`",
    "@",
    "#",
    " ",
    "\t",
    "\n",
    *NON_ASCII_DIGITS,
    "\u200b",
    "\x00",
    "é",
    "ß",
    "İ",
    "ﬁ",
    "Ⅳ",
]

# Random unicode, token soup from the grammar, and their concatenations.
TEXTS = st.one_of(
    st.text(max_size=60),
    st.lists(st.sampled_from(PIECES), max_size=25).map(" ".join),
    st.lists(st.sampled_from(PIECES), max_size=25).map("".join),
    st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=3)), max_size=20).map(" ".join),
)


@contextlib.contextmanager
def nothing_is_evaluated():
    """Fail if the parser or the evaluator ever hands text to Python or pandas to run.

    The hooks are in place only around the parser's own work, so that pytest
    and hypothesis can use ``compile`` for their reports.
    """

    def forbidden(*args, **kwargs):
        raise AssertionError(f"filter text was evaluated: {args!r}")

    targets = [
        (builtins, "eval"),
        (builtins, "exec"),
        (builtins, "compile"),
        (pd, "eval"),
        (pd.DataFrame, "eval"),
        (pd.DataFrame, "query"),
    ]
    saved = [(owner, name, getattr(owner, name)) for owner, name in targets]
    for owner, name in targets:
        setattr(owner, name, forbidden)
    try:
        yield
    finally:
        for owner, name, original in saved:
            setattr(owner, name, original)


def _outcome(text):
    """("error", FilterError) or ("mask", ndarray): what parsing and applying ``text`` gives."""
    with nothing_is_evaluated():
        try:
            expression = parse_filter(text)
        except FilterError as error:
            return "error", error
        try:
            return "mask", expression.evaluate(TABLE)
        except FilterError as error:
            return "error", error


@settings(max_examples=600, deadline=None)
@given(text=TEXTS)
def test_random_text_only_ever_raises_filter_error(text):
    kind, result = _outcome(text)
    if kind == "error":
        assert result.position is None or 0 <= result.position <= len(text)
    else:
        assert isinstance(result, np.ndarray) and result.dtype == bool and result.shape == (len(TABLE),)


def test_the_guard_notices_evaluation():
    with pytest.raises(AssertionError, match="evaluated"):
        with nothing_is_evaluated():
            eval("1 + 1")


@settings(max_examples=50, deadline=None)
@given(piece=st.text(min_size=1, max_size=20))
def test_text_over_the_length_limit_is_refused_unread(piece):
    text = (piece * (MAX_EXPRESSION_LENGTH // len(piece) + 1))[: MAX_EXPRESSION_LENGTH + 1]
    with nothing_is_evaluated(), pytest.raises(FilterError, match="limit"):
        parse_filter(text)
