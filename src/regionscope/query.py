"""Safe filter expressions for region tables.

A filter is a short text such as ``area < 1000 and perimeter > 200`` or, as the
Dash DataTable writes it, ``{area} < 1000 && {perimeter} > 200``. It is turned
into a boolean mask over the rows of a :class:`pandas.DataFrame`.

The text is never handed to Python: it is read by a hand-written tokenizer and a
recursive-descent parser into an immutable tree of frozen dataclasses, and the
tree is evaluated by code that only knows how to look up columns and compare
values. Nothing in a filter can call a function, reach an attribute, import a
module or index an object; such text is a syntax error.

Grammar
-------
Keywords are case-insensitive (``AND``, ``Eq``, ``Not In`` ...)::

    filter      = [ or_expr ] ;                  (* empty text: every row matches *)
    or_expr     = and_expr { ( "or" | "||" ) and_expr } ;
    and_expr    = not_expr { ( "and" | "&&" ) not_expr } ;
    not_expr    = { "not" | "!" } primary ;
    primary     = "(" or_expr ")" | condition ;
    condition   = operand compare operand { compare operand }   (* 1 < a < 5 means 1 < a and a < 5 *)
                | column [ "not" ] "in" list
                | column "contains" string
                | column "is" [ "not" ] ( "nil" | "blank" )
                | column ;                                       (* a true/false column on its own *)
    compare     = "=" | "==" | "eq" | "!=" | "ne" | "<" | "lt"
                | "<=" | "le" | ">" | "gt" | ">=" | "ge" ;
    list        = "[" [ literal { "," literal } [ "," ] ] "]" ;
    operand     = column | literal ;
    column      = "{" { any character except "}" } "}"        (* {intensity_mean-DAPI}, {a b} *)
                | name ;                                       (* area, touches_border *)
    name        = ( letter | "_" ) { letter | digit | "_" } ;  (* not a keyword, not starting "__" *)
    literal     = number | string | "true" | "false" ;
    number      = [ "+" | "-" ] ( digits [ "." [ digits ] ] | "." digits ) [ exponent ]
                | [ "+" | "-" ] "inf" ;                        (* 4, -2.5, .5, +3, 1e3, -inf *)
    string      = '"' { character | '\\"' | "\\'" | "\\\\" } '"'
                | "'" { character | '\\"' | "\\'" | "\\\\" } "'" ;

Precedence, from tightest to loosest: comparisons, ``not``, ``and``, ``or``.
A sign belongs to the number and is written directly before it (``-2.5``, not
``- 2.5``). In strings a backslash escapes a quote or a backslash; any other
backslash is kept as written, so ``"C:\\data"`` means what it looks like.

The keywords are ``and or not in is nil blank contains datestartswith eq ne lt
le gt ge true false inf nan``; a column with such a name, or whose name holds
``-``, spaces or other punctuation, is written in braces: ``{in}``, ``{a b}``.

Semantics
---------
* Missing values (NaN, None, NA) never satisfy a comparison, ``in``, ``contains``
  or a true/false column, except ``!=`` / ``ne`` and ``not in``, which they
  always satisfy. This is what numpy and pandas do for ``!=``, and it keeps
  ``a != 4`` the same as ``not (a == 4)``. Note that ``not (a > 1)`` therefore
  keeps missing values while ``a <= 1`` drops them. Use ``a is nil`` /
  ``a is not nil`` to select missing values on purpose; ``is blank`` also counts
  empty or whitespace-only text as missing. ``nan`` is not accepted as a value
  because comparing with it never matches; the error points to ``is nil``.
* Integer, float and true/false columns are numeric; true/false compare as 1/0.
  Text columns compare with text (``<`` and ``>`` use alphabetical order;
  ``contains`` is a case-sensitive substring test, like in the DataTable).
* Comparing a text column with a number is an error. Comparing a numeric column
  with text is an error too, unless the text is a plain number: the DataTable
  writes ``{label} eq "4"``, so ``"4"`` is read as ``4`` there (also in lists).
* A column may stand on either side (``1000 > area`` is ``area < 1000``); two
  columns of the same kind may be compared (``area > perimeter``); a comparison
  between two values without a column is an error.
* Chained comparisons are supported: ``1 < a <= 5`` means ``1 < a and a <= 5``.
* ``in`` lists hold values of one kind (numbers, text, or true/false).
* ``datestartswith`` is rejected with an explanation.

Limits
------
Filters longer than :data:`MAX_EXPRESSION_LENGTH` characters are rejected
before they are read. At most :data:`MAX_TOKENS` tokens are allowed outside
``[...]`` lists (values inside lists are read in a simple loop, so they only
count towards the length limit and :data:`MAX_LIST_ITEMS`). Parentheses may
nest :data:`MAX_NESTING` deep. These limits keep the parser's work and
recursion small whatever text it is given.
"""

from __future__ import annotations

import difflib
import operator
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from regionscope.errors import FilterError

__all__ = [
    "FilterExpression",
    "parse_filter",
    "filter_table",
    "filter_mask",
    "MAX_EXPRESSION_LENGTH",
    "MAX_TOKENS",
    "MAX_NESTING",
    "MAX_LIST_ITEMS",
    "Column",
    "Value",
    "Comparison",
    "Membership",
    "Contains",
    "MissingCheck",
    "ColumnIsTrue",
    "And",
    "Or",
    "Not",
    "MatchAll",
]

#: Longest filter text accepted, in characters; longer text is rejected unread.
MAX_EXPRESSION_LENGTH = 10_000
#: Most tokens accepted outside ``[...]`` lists.
MAX_TOKENS = 2_000
#: Deepest nesting of parentheses accepted.
MAX_NESTING = 64
#: Most values accepted in one ``in [...]`` list.
MAX_LIST_ITEMS = 10_000

# How many column names an "Unknown column" message lists before "...".
_LISTED_COLUMNS = 12


# --------------------------------------------------------------------------
# Syntax tree. Every node is immutable and hashable, so a parsed filter can be
# cached and shared between callbacks.
# --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Column:
    """A reference to a table column, ``area`` or ``{area}``."""

    name: str
    position: int


@dataclass(frozen=True, slots=True)
class Value:
    """A value written in the filter: a number, a text or true/false.

    ``text`` is the value as written, used in messages.
    """

    value: bool | int | float | str
    position: int
    text: str


@dataclass(frozen=True, slots=True)
class Comparison:
    """``left operator right``; at least one side is a :class:`Column`.

    ``operator`` is one of ``"==", "!=", "<", "<=", ">", ">="``.
    """

    left: Column | Value
    operator: str
    right: Column | Value


@dataclass(frozen=True, slots=True)
class Membership:
    """``column in [values]`` or, when ``negated``, ``column not in [values]``."""

    column: Column
    values: tuple[Value, ...]
    negated: bool = False


@dataclass(frozen=True, slots=True)
class Contains:
    """``column contains "text"``: case-sensitive substring test."""

    column: Column
    text: Value


@dataclass(frozen=True, slots=True)
class MissingCheck:
    """``column is [not] nil`` or, when ``blank``, ``column is [not] blank``."""

    column: Column
    blank: bool = False
    negated: bool = False


@dataclass(frozen=True, slots=True)
class ColumnIsTrue:
    """A true/false column used on its own as a condition."""

    column: Column


@dataclass(frozen=True, slots=True)
class And:
    """All ``parts`` hold. Stored flat (not nested pairs) to keep the tree shallow."""

    parts: tuple


@dataclass(frozen=True, slots=True)
class Or:
    """At least one of ``parts`` holds."""

    parts: tuple


@dataclass(frozen=True, slots=True)
class Not:
    """``part`` does not hold."""

    part: object


@dataclass(frozen=True, slots=True)
class MatchAll:
    """The empty filter: every row matches."""


# --------------------------------------------------------------------------
# Tokens
# --------------------------------------------------------------------------

_COLUMN = "column"
_NUMBER = "number"
_STRING = "string"
_BOOLEAN = "boolean"
_WORD = "word"  # a keyword
_SYMBOL = "symbol"
_END = "end"

_LITERAL_KINDS = frozenset({_NUMBER, _STRING, _BOOLEAN})
_OPERAND_KINDS = _LITERAL_KINDS | {_COLUMN}

_KEYWORDS = frozenset(
    {"and", "or", "not", "in", "is", "nil", "blank", "contains", "datestartswith"}
    | {"eq", "ne", "lt", "le", "gt", "ge"}
)

# Longest first, so that "<=" is not read as "<" followed by "=".
_SYMBOLS = ("&&", "||", "==", "!=", "<=", ">=", "=", "<", ">", "!", "(", ")", "[", "]", ",")

_COMPARISON_OPERATORS = {
    "=": "==", "==": "==", "eq": "==",
    "!=": "!=", "ne": "!=",
    "<": "<", "lt": "<",
    "<=": "<=", "le": "<=",
    ">": ">", "gt": ">",
    ">=": ">=", "ge": ">=",
}

_RESERVED_WORDS = _KEYWORDS | {"true", "false", "inf", "nan"}

# Digits are ASCII only: ``\d`` and ``str.isdigit`` also accept "²" or "١", which
# int() and float() then refuse or read as another number.
_NAME_PATTERN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_HYPHENATED_NAME_PATTERN = re.compile(r"[A-Za-z0-9_]+(?:-[A-Za-z0-9_]+)+")
_NUMBER_PATTERN = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_SIGNED_INF_PATTERN = re.compile(r"[+-]inf(?![A-Za-z0-9_])", re.IGNORECASE)
_INTEGER_PATTERN = re.compile(r"[+-]?[0-9]+")


def _is_digit(character: str) -> bool:
    """Whether ``character`` is one of the ASCII digits 0-9 (the only digits of a filter)."""
    return len(character) == 1 and "0" <= character <= "9"

_CHARACTER_HINTS = {
    ";": "a filter is a single condition; join conditions with 'and' or 'or'",
    "`": "put text in quotes (\"...\" or '...') and column names in braces ({...})",
    ".": "attribute access is not supported; write a column name containing '.' in braces, e.g. {a.b}",
    "&": "write 'and' or '&&' to join conditions",
    "|": "write 'or' or '||' to join conditions",
    "}": "there is no '{' before it",
    "+": "filters have no arithmetic; a sign is written directly before its number, e.g. +3 or -2.5",
    "-": "filters have no arithmetic; a sign is written directly before its number, e.g. +3 or -2.5",
}
_DEFAULT_CHARACTER_HINT = (
    "a filter holds column names, numbers, quoted text, comparisons (= != < <= > >=), "
    "and/or/not, in [...], contains and parentheses; column names with other characters go in braces"
)


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str
    text: str  # as written, for messages
    position: int
    value: object = None  # column name, literal value, lower-case keyword or the symbol


def _tokenize(source: str) -> list[_Token]:
    """Split ``source`` into tokens, ending with an end token."""
    tokens = []
    counted = 0
    list_depth = 0
    position = 0
    length = len(source)
    while True:
        while position < length and source[position].isspace():
            position += 1
        if position >= length:
            break
        token, position = _read_token(source, position)
        tokens.append(token)
        if token.kind == _SYMBOL and token.value == "[":
            list_depth += 1
        elif token.kind == _SYMBOL and token.value == "]":
            list_depth = max(list_depth - 1, 0)
        elif list_depth == 0:
            counted += 1
            if counted > MAX_TOKENS:
                raise FilterError(
                    f"The filter is too long: it has more than {MAX_TOKENS:,} parts. "
                    "Use fewer conditions, or an 'in [...]' list instead of many 'or's.",
                    position=token.position,
                    expression=source,
                )
    tokens.append(_Token(_END, "", length))
    return tokens


def _read_token(source: str, position: int) -> tuple[_Token, int]:
    """Read the token starting at ``position``; return it and the position after it."""
    character = source[position]
    following = source[position + 1 : position + 2]
    if character == "{":
        return _read_braced_column(source, position)
    if character in "\"'":
        return _read_string(source, position)
    if _is_digit(character):
        return _read_number(source, position)
    if character == "." and _is_digit(following):
        return _read_number(source, position)
    if character in "+-":
        return _read_signed(source, position)
    if character.isascii() and (character.isalpha() or character == "_"):
        return _read_word(source, position)
    for symbol in _SYMBOLS:
        if source.startswith(symbol, position):
            return _Token(_SYMBOL, symbol, position, symbol), position + len(symbol)
    raise _unexpected_character(source, position)


def _unexpected_character(source: str, position: int, context: str = "", hint: str | None = None) -> FilterError:
    character = source[position]
    if hint is None and character.isnumeric() and not _is_digit(character):
        hint = "numbers are written with the digits 0-9 only"
    hint = hint or _CHARACTER_HINTS.get(character, _DEFAULT_CHARACTER_HINT)
    return FilterError(
        f"Unexpected character {character!r}{context}: {hint}", position=position, expression=source
    )


def _read_braced_column(source: str, position: int) -> tuple[_Token, int]:
    end = source.find("}", position + 1)
    if end == -1:
        raise FilterError(
            "Unclosed '{': a column name in braces ends with '}', e.g. {area}",
            position=position,
            expression=source,
        )
    name = source[position + 1 : end]
    if not name.strip():
        raise FilterError(
            "Empty column name '{}': write the column name between the braces, e.g. {area}",
            position=position,
            expression=source,
        )
    return _Token(_COLUMN, source[position : end + 1], position, name), end + 1


def _read_string(source: str, position: int) -> tuple[_Token, int]:
    quote = source[position]
    characters = []
    index = position + 1
    while index < len(source):
        character = source[index]
        if character == "\\" and source[index + 1 : index + 2] in ("\\", '"', "'"):
            characters.append(source[index + 1])
            index += 2
        elif character == quote:
            text = source[position : index + 1]
            return _Token(_STRING, text, position, "".join(characters)), index + 1
        else:
            characters.append(character)
            index += 1
    raise FilterError(
        f"Unclosed text: add a closing {quote} (write \\{quote} for a quote inside the text)",
        position=position,
        expression=source,
    )


def _read_signed(source: str, position: int) -> tuple[_Token, int]:
    """A '+' or '-' is only ever the sign of a number: there is no arithmetic."""
    following = source[position + 1 : position + 3]
    if _is_digit(following[:1]) or (following[:1] == "." and _is_digit(following[1:2])):
        return _read_number(source, position)
    if following[:1].isnumeric():  # "-²", "-١": a sign before a digit that is not 0-9
        raise _unexpected_character(source, position + 1)
    match = _SIGNED_INF_PATTERN.match(source, position)
    if match:
        value = float("-inf") if source[position] == "-" else float("inf")
        return _Token(_NUMBER, match.group(), position, value), match.end()
    raise _unexpected_character(source, position)


def _read_number(source: str, position: int) -> tuple[_Token, int]:
    match = _NUMBER_PATTERN.match(source, position)
    text = match.group()
    end = match.end()
    # "1_000", "10px" or "1.2.3" must not silently become 1, 10 or 1.2 followed by something.
    if end < len(source) and (source[end].isalnum() or source[end] in "_."):
        raise _unexpected_character(
            source,
            end,
            context=f" after the number {text}",
            hint="write numbers without separators or units (e.g. 1000 or 2.5e3) "
            "and put a space between a number and the next word",
        )
    return _Token(_NUMBER, text, position, _number_value(text)), end


def _number_value(text: str) -> int | float:
    """The value of a number as written; integers stay exact while they fit in 64 bits."""
    if _INTEGER_PATTERN.fullmatch(text) and len(text) <= 20:
        value = int(text)
        if -(2**63) <= value < 2**64:
            return value
    # Larger integers become floats: numpy would otherwise fall back to slow object arrays.
    return float(text)


def _read_word(source: str, position: int) -> tuple[_Token, int]:
    match = _NAME_PATTERN.match(source, position)
    text = match.group()
    end = match.end()
    word = text.lower()
    hyphenated = _HYPHENATED_NAME_PATTERN.match(source, position)
    # "eq-4" is the keyword eq and the number -4, not a column name.
    if hyphenated and hyphenated.end() > end and word not in _RESERVED_WORDS:
        name = hyphenated.group()
        raise FilterError(
            f"Column names containing '-' must be written in braces: {{{name}}}",
            position=position,
            expression=source,
        )
    if text.startswith("__"):
        raise FilterError(
            f"Names starting with '__' are not allowed: {text!r}. "
            f"If it is a column, write it in braces: {{{text}}}",
            position=position,
            expression=source,
        )
    if word in ("true", "false"):
        return _Token(_BOOLEAN, text, position, word == "true"), end
    if word == "inf":
        return _Token(_NUMBER, text, position, float("inf")), end
    if word == "nan":
        raise FilterError(
            "'nan' is not a value here, because nothing compares equal to it. "
            "To select missing values write 'column is nil' (or 'column is not nil')",
            position=position,
            expression=source,
        )
    if word in _KEYWORDS:
        return _Token(_WORD, text, position, word), end
    return _Token(_COLUMN, text, position, text), end


# --------------------------------------------------------------------------
# Parser
# --------------------------------------------------------------------------


def _is_symbol(token: _Token, *symbols: str) -> bool:
    return token.kind == _SYMBOL and token.value in symbols


def _is_word(token: _Token, *words: str) -> bool:
    return token.kind == _WORD and token.value in words


def _is_and(token: _Token) -> bool:
    return _is_word(token, "and") or _is_symbol(token, "&&")


def _is_or(token: _Token) -> bool:
    return _is_word(token, "or") or _is_symbol(token, "||")


def _is_not(token: _Token) -> bool:
    return _is_word(token, "not") or _is_symbol(token, "!")


def _comparison_operator(token: _Token) -> str | None:
    if token.kind in (_SYMBOL, _WORD):
        return _COMPARISON_OPERATORS.get(token.value)
    return None


def _describe(token: _Token) -> str:
    """How a token is named in messages."""
    if token.kind == _END:
        return "the end of the filter"
    text = token.text if len(token.text) <= 40 else token.text[:37] + "..."
    return repr(text)


def _written_column(name: str) -> str:
    """A column name as it could be written in a filter, for examples in messages."""
    reserved = name.lower() in _RESERVED_WORDS or name.startswith("__")
    return name if _NAME_PATTERN.fullmatch(name) and not reserved else "{" + name + "}"


class _Parser:
    """Recursive-descent parser over a token list.

    Recursion only happens at '(' (bounded by MAX_NESTING); runs of 'and', 'or'
    and 'not' are read in loops, so no input can exhaust Python's stack.
    """

    def __init__(self, tokens: list[_Token], source: str):
        self._tokens = tokens
        self._source = source
        self._index = 0
        self._depth = 0

    # -- token access --------------------------------------------------------

    @property
    def _current(self) -> _Token:
        return self._tokens[self._index]

    def _peek(self, offset: int) -> _Token:
        return self._tokens[min(self._index + offset, len(self._tokens) - 1)]

    def _previous(self) -> _Token | None:
        return self._tokens[self._index - 1] if self._index else None

    def _advance(self) -> _Token:
        token = self._current
        if token.kind != _END:
            self._index += 1
        return token

    def _error(self, message: str, position: int) -> FilterError:
        return FilterError(message, position=position, expression=self._source)

    # -- grammar -------------------------------------------------------------

    def parse(self):
        tree = self._parse_or()
        if self._current.kind != _END:
            raise self._missing_joiner(self._current, inside_parentheses=False)
        return tree

    def _parse_or(self):
        parts = [self._parse_and()]
        while _is_or(self._current):
            self._advance()
            parts.append(self._parse_and())
        return parts[0] if len(parts) == 1 else Or(tuple(parts))

    def _parse_and(self):
        parts = [self._parse_not()]
        while _is_and(self._current):
            self._advance()
            parts.append(self._parse_not())
        return parts[0] if len(parts) == 1 else And(tuple(parts))

    def _parse_not(self):
        negations = 0
        while _is_not(self._current):
            self._advance()
            negations += 1
        part = self._parse_primary()
        return Not(part) if negations % 2 else part

    def _parse_primary(self):
        if _is_symbol(self._current, "("):
            return self._parse_parentheses()
        return self._parse_condition()

    def _parse_parentheses(self):
        opening = self._advance()
        self._depth += 1
        if self._depth > MAX_NESTING:
            raise self._error(
                f"Parentheses are nested more than {MAX_NESTING} deep; simplify the filter",
                opening.position,
            )
        if _is_symbol(self._current, ")"):
            raise self._error(
                "Empty parentheses: put a condition inside, e.g. (area > 10)", self._current.position
            )
        inner = self._parse_or()
        closing = self._current
        if closing.kind == _END:
            raise self._error("Unclosed '(': add a matching ')'", opening.position)
        if not _is_symbol(closing, ")"):
            raise self._missing_joiner(closing, inside_parentheses=True)
        self._advance()
        self._depth -= 1
        return inner

    def _missing_joiner(self, token: _Token, inside_parentheses: bool) -> FilterError:
        if _is_symbol(token, ")"):
            return self._error("Unmatched ')': there is no '(' before it", token.position)
        expected = "'and', 'or' or ')'" if inside_parentheses else "'and' or 'or'"
        return self._error(f"Expected {expected} after a condition, found {_describe(token)}", token.position)

    def _expected_condition(self) -> str:
        previous = self._previous()
        return "a condition" if previous is None else f"a condition after {previous.text!r}"

    def _parse_condition(self):
        left = self._parse_operand(self._expected_condition())
        token = self._current
        if _comparison_operator(token):
            return self._parse_comparisons(left)
        if _is_word(token, "in"):
            return self._parse_membership(left, negated=False)
        if _is_word(token, "not"):
            if not _is_word(self._peek(1), "in"):
                raise self._error(
                    f"Expected 'in' after 'not', found {_describe(self._peek(1))}", self._peek(1).position
                )
            self._advance()
            return self._parse_membership(left, negated=True)
        if _is_word(token, "contains"):
            return self._parse_contains(left)
        if _is_word(token, "is"):
            return self._parse_missing_check(left)
        if _is_word(token, "datestartswith"):
            raise self._error(
                "'datestartswith' is not supported: region tables hold no dates. "
                "Use a comparison or 'contains' instead",
                token.position,
            )
        self._reject_postfix(left, token)
        return self._lone_operand(left)

    def _parse_operand(self, expected: str) -> Column | Value:
        token = self._current
        if token.kind == _COLUMN:
            self._advance()
            return Column(token.value, token.position)
        if token.kind in _LITERAL_KINDS:
            self._advance()
            return Value(token.value, token.position, token.text)
        found = "" if token.kind == _END else f", found {_describe(token)}"
        raise self._error(f"Expected {expected}{found}", token.position)

    def _parse_comparisons(self, first: Column | Value):
        comparisons = []
        left = first
        while operator_name := _comparison_operator(self._current):
            operator_token = self._advance()
            right = self._parse_operand(f"a value after {operator_token.text!r}")
            if isinstance(left, Value) and isinstance(right, Value):
                raise self._error(
                    f"'{left.text} {operator_token.text} {right.text}' compares two values; "
                    f"one side must be a column, e.g. area {operator_token.text} {right.text}",
                    left.position,
                )
            comparisons.append(Comparison(left, operator_name, right))
            left = right
        # A chain such as 1 < a < 5 means 1 < a and a < 5, as in Python.
        return comparisons[0] if len(comparisons) == 1 else And(tuple(comparisons))

    def _require_column(self, operand: Column | Value, keyword: str, example: str) -> Column:
        if isinstance(operand, Column):
            return operand
        raise self._error(f"'{keyword}' needs a column on its left, e.g. {example}", operand.position)

    def _parse_membership(self, left: Column | Value, negated: bool) -> Membership:
        column = self._require_column(left, "in", "label in [1, 2, 3]")
        keyword = self._advance()
        opening = self._current
        if not _is_symbol(opening, "["):
            raise self._error(
                f"Expected a list in brackets after {keyword.text!r}, e.g. label in [1, 2, 3]",
                opening.position,
            )
        self._advance()
        values = self._parse_list_items(opening)
        _check_one_kind(values, self._source)
        return Membership(column, values, negated)

    def _parse_list_items(self, opening: _Token) -> tuple[Value, ...]:
        values = []
        while True:
            token = self._current
            if _is_symbol(token, "]"):
                self._advance()
                return tuple(values)
            if token.kind == _END:
                raise self._error("Unclosed '[': add a matching ']'", opening.position)
            if token.kind == _COLUMN:
                raise self._error(
                    f"Lists hold values, not columns: put text in quotes, e.g. [\"{token.value}\"]",
                    token.position,
                )
            if token.kind not in _LITERAL_KINDS:
                raise self._error(f"Expected a value in the list, found {_describe(token)}", token.position)
            values.append(Value(token.value, token.position, token.text))
            if len(values) > MAX_LIST_ITEMS:
                raise self._error(
                    f"A list may hold at most {MAX_LIST_ITEMS:,} values", token.position
                )
            self._advance()
            separator = self._current
            if _is_symbol(separator, ","):
                self._advance()
            elif not _is_symbol(separator, "]") and separator.kind != _END:
                raise self._error(
                    f"Expected ',' or ']' in the list, found {_describe(separator)}", separator.position
                )

    def _parse_contains(self, left: Column | Value) -> Contains:
        column = self._require_column(left, "contains", '{name} contains "abc"')
        self._advance()
        token = self._current
        if token.kind != _STRING:
            raise self._error(
                f"'contains' needs a text value in quotes, e.g. {_written_column(column.name)} contains \"abc\"",
                token.position,
            )
        self._advance()
        return Contains(column, Value(token.value, token.position, token.text))

    def _parse_missing_check(self, left: Column | Value) -> MissingCheck:
        column = self._require_column(left, "is", "area is nil")
        self._advance()
        negated = _is_word(self._current, "not")
        if negated:
            self._advance()
        token = self._current
        if not _is_word(token, "nil", "blank"):
            raise self._error(
                f"After 'is' write nil, blank, not nil or not blank, found {_describe(token)}",
                token.position,
            )
        self._advance()
        return MissingCheck(column, blank=token.value == "blank", negated=negated)

    def _reject_postfix(self, left: Column | Value, token: _Token) -> None:
        """Explain the usual mistakes after an operand: calls, indexing, missing operators."""
        if _is_symbol(token, "("):
            what = f"{left.name}(...)" if isinstance(left, Column) else "(...)"
            raise self._error(
                f"Function calls are not supported: {what}. "
                "A filter compares columns with values, e.g. area > 10",
                token.position,
            )
        if _is_symbol(token, "["):
            raise self._error(
                "Indexing with '[...]' is not supported; to keep rows with given values "
                "write e.g. label in [1, 2, 3]",
                token.position,
            )
        if token.kind in _OPERAND_KINDS:
            message = (
                f"Expected an operator such as =, <, in or contains after {self._previous().text!r}, "
                f"found {_describe(token)}"
            )
            if isinstance(left, Column) and token.kind == _COLUMN and not token.text.startswith("{"):
                if not self._previous().text.startswith("{"):
                    message += f". A column name with spaces goes in braces: {{{left.name} {token.text}}}"
            raise self._error(message, token.position)

    def _lone_operand(self, operand: Column | Value):
        if isinstance(operand, Column):
            return ColumnIsTrue(operand)
        raise self._error(
            f"A value on its own is not a condition: compare a column with it, e.g. area > {operand.text}",
            operand.position,
        )


def _literal_kind(value) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, str):
        return "text"
    return "number"


_LITERAL_KIND_NAMES = {"boolean": "true/false", "text": "text", "number": "a number"}


def _check_one_kind(values: tuple[Value, ...], source: str) -> None:
    """Lists must be homogeneous, so that the whole list fits one column type."""
    if not values:
        return
    first_kind = _literal_kind(values[0].value)
    for item in values[1:]:
        kind = _literal_kind(item.value)
        if kind != first_kind:
            raise FilterError(
                f"All values in a list must be of one kind: {values[0].text} is "
                f"{_LITERAL_KIND_NAMES[first_kind]} but {item.text} is {_LITERAL_KIND_NAMES[kind]}",
                position=item.position,
                expression=source,
            )


def _children(node) -> tuple:
    match node:
        case Comparison(left=left, right=right):
            return (left, right)
        case Membership(column=column) | Contains(column=column) | MissingCheck(column=column):
            return (column,)
        case ColumnIsTrue(column=column):
            return (column,)
        case And(parts=parts) | Or(parts=parts):
            return parts
        case Not(part=part):
            return (part,)
    return ()


def _referenced_columns(tree) -> frozenset[str]:
    names = set()
    pending = [tree]
    while pending:
        node = pending.pop()
        if isinstance(node, Column):
            names.add(node.name)
        pending.extend(_children(node))
    return frozenset(names)


# --------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class FilterExpression:
    """A parsed filter, ready to be applied to any table.

    Create it with :func:`parse_filter`. It is immutable and hashable.

    Attributes
    ----------
    source : str
        The filter text as given.
    tree : object
        The syntax tree (nodes such as :class:`Comparison`, :class:`And`).
    columns : frozenset of str
        Names of the columns the filter refers to.

    Examples
    --------
    >>> import pandas as pd
    >>> expression = parse_filter("area > 10 and {touches border}")
    >>> sorted(expression.columns)
    ['area', 'touches border']
    >>> table = pd.DataFrame({"area": [5, 20, 30], "touches border": [True, True, False]})
    >>> expression.evaluate(table)
    array([False,  True, False])
    """

    source: str
    tree: object = field(repr=False)
    columns: frozenset[str] = field(init=False)

    def __post_init__(self):
        object.__setattr__(self, "columns", _referenced_columns(self.tree))

    def __str__(self) -> str:
        return self.source

    def evaluate(self, table: pd.DataFrame) -> np.ndarray:
        """Return which rows of ``table`` match, as a boolean array.

        Parameters
        ----------
        table : pandas.DataFrame
            The table to filter; its column names are matched as text.

        Returns
        -------
        numpy.ndarray
            Boolean array of length ``len(table)``.

        Raises
        ------
        FilterError
            If a column does not exist or does not fit the value it is
            compared with; ``position`` points at that column or value.

        Examples
        --------
        >>> import pandas as pd
        >>> table = pd.DataFrame({"label": [1, 2, 3], "area": [50.0, 150.0, None]})
        >>> parse_filter("{area} ge 100 || {label} eq 1").evaluate(table)
        array([ True,  True, False])
        """
        if not isinstance(table, pd.DataFrame):
            raise TypeError(f"A filter is applied to a pandas DataFrame, not {type(table).__name__}")
        return _Evaluator(table, self.source).mask(self.tree)


def parse_filter(expr: str) -> FilterExpression:
    """Parse a filter expression without applying it.

    Parameters
    ----------
    expr : str
        The filter text, in plain form (``area < 1000 and label in [1, 2]``)
        or in Dash DataTable form (``{area} < 1000 && {label} eq 4``). See the
        module documentation for the grammar. Empty or blank text gives a
        filter that keeps every row.

    Returns
    -------
    FilterExpression
        The parsed filter.

    Raises
    ------
    FilterError
        If the text is not a valid filter or exceeds the limits; ``position``
        is the 0-based character offset of the problem. Whether the columns
        exist is only checked by :meth:`FilterExpression.evaluate`.

    Examples
    --------
    >>> parse_filter("{area} < 1000 && {perimeter} > 200").columns == {"area", "perimeter"}
    True
    >>> parse_filter("").columns
    frozenset()
    >>> parse_filter("area <")
    Traceback (most recent call last):
    ...
    regionscope.errors.FilterError: Expected a value after '<' (at character 7)
    """
    if not isinstance(expr, str):
        raise TypeError(f"A filter expression must be text, not {type(expr).__name__}")
    # Checked before reading anything, so huge input costs nothing.
    if len(expr) > MAX_EXPRESSION_LENGTH:
        raise FilterError(
            f"The filter is {len(expr):,} characters long; the limit is {MAX_EXPRESSION_LENGTH:,}. "
            "Use fewer conditions or shorter lists."
        )
    if not expr.strip():
        return FilterExpression(expr, MatchAll())
    tokens = _tokenize(expr)
    return FilterExpression(expr, _Parser(tokens, expr).parse())


def _as_expression(expr) -> FilterExpression:
    if isinstance(expr, FilterExpression):
        return expr
    if expr is None:
        return FilterExpression("", MatchAll())
    return parse_filter(expr)


def filter_mask(table: pd.DataFrame, expr) -> np.ndarray:
    """Return which rows of ``table`` match a filter.

    Parameters
    ----------
    table : pandas.DataFrame
        The table to filter.
    expr : str or FilterExpression or None
        The filter; text is parsed first. None or blank text keeps every row.

    Returns
    -------
    numpy.ndarray
        Boolean array of length ``len(table)``.

    Raises
    ------
    FilterError
        If the filter is invalid or does not fit the table.

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({"label": [1, 4, 7]})
    >>> filter_mask(table, "label in [1, 7]")
    array([ True, False,  True])
    """
    return _as_expression(expr).evaluate(table)


def filter_table(table: pd.DataFrame, expr) -> pd.DataFrame:
    """Return the rows of ``table`` that match a filter.

    Parameters
    ----------
    table : pandas.DataFrame
        The table to filter.
    expr : str or FilterExpression or None
        The filter; text is parsed first. None or blank text keeps every row.

    Returns
    -------
    pandas.DataFrame
        The matching rows, in their original order and with their original
        index.

    Raises
    ------
    FilterError
        If the filter is invalid or does not fit the table.

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({"area": [500, 2000, 800], "perimeter": [250, 300, 100]},
    ...                      index=[10, 11, 12])
    >>> filter_table(table, "area < 1000 and perimeter > 200")
        area  perimeter
    10   500        250
    """
    return table.loc[filter_mask(table, expr)]


# --------------------------------------------------------------------------
# Evaluation
# --------------------------------------------------------------------------

_OPERATOR_FUNCTIONS = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
# The operator seen from the other side: 1000 > area is area < 1000.
_FLIPPED = {"==": "==", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}

# Column kinds: "number" and "boolean" compare numerically, "text" alphabetically;
# "empty" (nothing but missing values) fits any value; "other" (dates, ...) fits none.
_NUMERIC_KINDS = frozenset({"number", "boolean"})
_OBJECT_KINDS = {
    "string": "text",
    "empty": "empty",
    "boolean": "boolean",
    "integer": "number",
    "floating": "number",
    "mixed-integer-float": "number",
    "decimal": "number",
}
_COLUMN_KIND_NAMES = {"number": "numeric", "boolean": "true/false", "text": "text", "empty": "empty"}


def _column_kind(series: pd.Series) -> str:
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return _column_kind(pd.Series(dtype.categories))
    if pd.api.types.is_bool_dtype(dtype):
        return "boolean"
    if pd.api.types.is_complex_dtype(dtype):
        return "other"
    if pd.api.types.is_numeric_dtype(dtype):
        return "number"
    if isinstance(dtype, pd.StringDtype):
        return "text"
    if dtype == object:
        return _OBJECT_KINDS.get(pd.api.types.infer_dtype(series, skipna=True), "other")
    return "other"


def _numeric_values(series: pd.Series) -> np.ndarray:
    plain = not isinstance(series.dtype, pd.CategoricalDtype) and not series.hasnans
    if plain and (pd.api.types.is_integer_dtype(series.dtype) or pd.api.types.is_bool_dtype(series.dtype)):
        # Keep integers exact: float64 would round labels above 2**53.
        return series.to_numpy()
    return series.to_numpy(dtype=float, na_value=np.nan)


def _values(series: pd.Series, kind: str) -> np.ndarray:
    if kind in _NUMERIC_KINDS:
        return _numeric_values(series)
    return series.to_numpy(dtype=object)


def _compare(values: np.ndarray, present: np.ndarray, operator_name: str, other) -> np.ndarray:
    """Apply a comparison to the present values; missing ones are true only for '!='."""
    result = np.full(len(values), operator_name == "!=")
    if isinstance(other, np.ndarray):
        other = other[present]
    result[present] = _OPERATOR_FUNCTIONS[operator_name](values[present], other)
    return result


def _number_from_text(text: str) -> int | float | None:
    """The number a text such as "4" or " 2.5 " stands for, or None."""
    stripped = text.strip()
    if _NUMBER_PATTERN.fullmatch(stripped):
        return _number_value(stripped)
    return None


class _Evaluator:
    """Evaluates a syntax tree over one table, raising FilterErrors that point into the source."""

    def __init__(self, table: pd.DataFrame, source: str):
        self._table = table
        self._source = source
        self._rows = len(table)
        # Filters name columns as text; tables may use other labels (e.g. integers).
        self._labels = {str(label): label for label in table.columns}

    def _error(self, message: str, position: int) -> FilterError:
        return FilterError(message, position=position, expression=self._source)

    def mask(self, node) -> np.ndarray:
        match node:
            case MatchAll():
                return np.ones(self._rows, dtype=bool)
            case And(parts=parts):
                return np.logical_and.reduce([self.mask(part) for part in parts])
            case Or(parts=parts):
                return np.logical_or.reduce([self.mask(part) for part in parts])
            case Not(part=part):
                return ~self.mask(part)
            case Comparison():
                return self._comparison(node)
            case Membership():
                return self._membership(node)
            case Contains():
                return self._contains(node)
            case MissingCheck():
                return self._missing_check(node)
            case ColumnIsTrue():
                return self._column_is_true(node)
        raise TypeError(f"Not a filter node: {node!r}")

    # -- columns -------------------------------------------------------------

    def _series(self, column: Column) -> pd.Series:
        if column.name not in self._labels:
            raise self._error(_unknown_column_message(column.name, list(self._labels)), column.position)
        series = self._table[self._labels[column.name]]
        if isinstance(series, pd.DataFrame):
            raise self._error(
                f"The table has more than one column named {column.name!r}; rename them to filter",
                column.position,
            )
        return series

    def _kind(self, column: Column, series: pd.Series) -> str:
        kind = _column_kind(series)
        if kind == "other":
            raise self._error(
                f"Column {column.name!r} holds {series.dtype} values; filters can only compare "
                "numbers, text and true/false (use 'is nil' to find missing values)",
                column.position,
            )
        return kind

    def _comparable_value(self, column: Column, kind: str, literal: Value):
        """The literal's value ready to compare with a column of this kind, or a FilterError."""
        literal_kind = _literal_kind(literal.value)
        if kind == "empty" or (kind == "text") == (literal_kind == "text"):
            return literal.value
        written = _written_column(column.name)
        if kind == "text":
            what = "true/false" if literal_kind == "boolean" else "a number"
            raise self._error(
                f"Cannot compare text column {column.name!r} with {what}; "
                f"if you mean the text, put it in quotes: {written} == \"{literal.text}\"",
                literal.position,
            )
        # The DataTable writes {label} eq "4": a quoted plain number counts as the number.
        number = _number_from_text(literal.value)
        if number is None:
            example = f"{written} == true" if kind == "boolean" else f"{written} > 10"
            raise self._error(
                f"Cannot compare {_COLUMN_KIND_NAMES[kind]} column {column.name!r} with the text "
                f"{literal.text}; compare it with {_LITERAL_KIND_NAMES[kind]}, e.g. {example}",
                literal.position,
            )
        return number

    # -- conditions ----------------------------------------------------------

    def _comparison(self, node: Comparison) -> np.ndarray:
        left, operator_name, right = node.left, node.operator, node.right
        if isinstance(left, Value):
            left, operator_name, right = right, _FLIPPED[operator_name], left
        if isinstance(right, Column):
            return self._compare_columns(left, operator_name, right)
        series = self._series(left)
        kind = self._kind(left, series)
        value = self._comparable_value(left, kind, right)
        present = series.notna().to_numpy()
        return _compare(_values(series, kind), present, operator_name, value)

    def _compare_columns(self, left: Column, operator_name: str, right: Column) -> np.ndarray:
        left_series, right_series = self._series(left), self._series(right)
        left_kind, right_kind = self._kind(left, left_series), self._kind(right, right_series)
        present = left_series.notna().to_numpy() & right_series.notna().to_numpy()
        if "empty" in (left_kind, right_kind):
            return np.full(self._rows, operator_name == "!=")
        if (left_kind in _NUMERIC_KINDS) != (right_kind in _NUMERIC_KINDS):
            raise self._error(
                f"Cannot compare {_COLUMN_KIND_NAMES[left_kind]} column {left.name!r} with "
                f"{_COLUMN_KIND_NAMES[right_kind]} column {right.name!r}",
                right.position,
            )
        left_values = _values(left_series, left_kind)
        right_values = _values(right_series, right_kind)
        return _compare(left_values, present, operator_name, right_values)

    def _membership(self, node: Membership) -> np.ndarray:
        series = self._series(node.column)
        kind = self._kind(node.column, series)
        wanted = [self._comparable_value(node.column, kind, item) for item in node.values]
        present = series.notna().to_numpy()
        result = np.zeros(self._rows, dtype=bool)
        if wanted:
            values = _values(series, kind)[present]
            # Text stays as Python objects on both sides; numbers become one numeric array.
            wanted_array = np.array(wanted, dtype=object if kind == "text" else None)
            result[present] = np.isin(values, wanted_array)
        # Missing values are never in the list, so 'not in' keeps them (like '!=').
        return ~result if node.negated else result

    def _contains(self, node: Contains) -> np.ndarray:
        series = self._series(node.column)
        kind = self._kind(node.column, series)
        if kind in _NUMERIC_KINDS:
            raise self._error(
                f"'contains' works on text columns, but {node.column.name!r} is "
                f"{_COLUMN_KIND_NAMES[kind]}; compare it with =, < or > instead",
                node.column.position,
            )
        needle = node.text.value
        present = series.notna().to_numpy()
        result = np.zeros(self._rows, dtype=bool)
        result[present] = [needle in value for value in series.to_numpy(dtype=object)[present]]
        return result

    def _missing_check(self, node: MissingCheck) -> np.ndarray:
        series = self._series(node.column)
        missing = series.isna().to_numpy()
        if node.blank and _column_kind(series) in ("text", "empty"):
            missing = missing | np.array(
                [isinstance(value, str) and not value.strip() for value in series.to_numpy(dtype=object)],
                dtype=bool,
            )
        return ~missing if node.negated else missing

    def _column_is_true(self, node: ColumnIsTrue) -> np.ndarray:
        column = node.column
        series = self._series(column)
        kind = self._kind(column, series)
        if kind not in ("boolean", "empty"):
            comparison = "> 0" if kind == "number" else '== "abc"'
            example = f"{_written_column(column.name)} {comparison}"
            raise self._error(
                f"Column {column.name!r} is {_COLUMN_KIND_NAMES[kind]}, not true/false, so it cannot "
                f"be a condition on its own; compare it with a value, e.g. {example}",
                column.position,
            )
        present = series.notna().to_numpy()
        result = np.zeros(self._rows, dtype=bool)
        result[present] = series.to_numpy(dtype=object)[present].astype(bool)
        return result


def _suggest_column(name: str, available: list[str]) -> str | None:
    # Compare in lower case so that 'Area' and 'AREA' still find 'area'.
    by_lower_name = {}
    for label in reversed(available):
        by_lower_name[label.lower()] = label
    matches = difflib.get_close_matches(name.lower(), list(by_lower_name), n=1)
    return by_lower_name[matches[0]] if matches else None


def _unknown_column_message(name: str, available: list[str]) -> str:
    message = f"Unknown column {name!r}."
    suggestion = _suggest_column(name, available)
    if suggestion is not None:
        message += f" Did you mean {suggestion!r}?"
        if _written_column(suggestion) != suggestion:
            message += f" (write it as {_written_column(suggestion)})"
    listed = ", ".join(available[:_LISTED_COLUMNS])
    if len(available) > _LISTED_COLUMNS:
        listed += ", ..."
    return f"{message} Columns: {listed or '(none)'}"

