"""The parser: tokens to a syntax tree, by recursive descent over the grammar.

The grammar is in the documentation of :mod:`regionscope.query`. Every
mistake is a :class:`~regionscope.errors.FilterError` pointing at the
character it is about, with what to write instead.
"""

from __future__ import annotations

from regionscope.errors import FilterError

from . import limits
from .dialect import AND, COMPARISON_OPERATORS, NOT, OR
from .syntax import (
    LITERAL_KIND_NAMES,
    And,
    Column,
    ColumnIsTrue,
    Comparison,
    Contains,
    Membership,
    MissingCheck,
    Not,
    Or,
    Value,
    literal_kind,
)
from .tokens import COLUMN, END, LITERAL_KINDS, OPERAND_KINDS, STRING, SYMBOL, WORD, Token, written_column

__all__ = ["parse_tokens"]


def parse_tokens(tokens: list[Token], source: str) -> object:
    """The syntax tree of a token list from :func:`~regionscope.query.tokens.tokenize`.

    ``source`` is the filter text, for the positions of messages.
    """
    return _Parser(tokens, source).parse()


def _is_symbol(token: Token, *symbols: str) -> bool:
    return token.kind == SYMBOL and token.value in symbols


def _is_word(token: Token, *words: str) -> bool:
    return token.kind == WORD and token.value in words


def _spelled(token: Token, spellings: frozenset[str]) -> bool:
    """Whether a keyword or symbol token is one of ``spellings`` (a word or the DataTable's symbol)."""
    return token.kind in (WORD, SYMBOL) and token.value in spellings


def _is_and(token: Token) -> bool:
    return _spelled(token, AND)


def _is_or(token: Token) -> bool:
    return _spelled(token, OR)


def _is_not(token: Token) -> bool:
    return _spelled(token, NOT)


def _comparison_operator(token: Token) -> str | None:
    if token.kind in (SYMBOL, WORD):
        return COMPARISON_OPERATORS.get(token.value)
    return None


def _describe(token: Token) -> str:
    """How a token is named in messages."""
    if token.kind == END:
        return "the end of the filter"
    text = token.text if len(token.text) <= 40 else token.text[:37] + "..."
    return repr(text)


class _Parser:
    """Recursive-descent parser over a token list.

    Recursion only happens at '(' (bounded by MAX_NESTING); runs of 'and', 'or'
    and 'not' are read in loops, so no input can exhaust Python's stack.
    """

    def __init__(self, tokens: list[Token], source: str):
        self._tokens = tokens
        self._source = source
        self._index = 0
        self._depth = 0

    # -- token access --------------------------------------------------------

    @property
    def _current(self) -> Token:
        return self._tokens[self._index]

    def _peek(self, offset: int) -> Token:
        return self._tokens[min(self._index + offset, len(self._tokens) - 1)]

    def _previous(self) -> Token | None:
        return self._tokens[self._index - 1] if self._index else None

    def _advance(self) -> Token:
        token = self._current
        if token.kind != END:
            self._index += 1
        return token

    def _error(self, message: str, position: int) -> FilterError:
        return FilterError(message, position=position, expression=self._source)

    # -- grammar -------------------------------------------------------------

    def parse(self):
        tree = self._parse_or()
        if self._current.kind != END:
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
        if self._depth > limits.MAX_NESTING:
            raise self._error(
                f"Parentheses are nested more than {limits.MAX_NESTING} deep; simplify the filter",
                opening.position,
            )
        if _is_symbol(self._current, ")"):
            raise self._error("Empty parentheses: put a condition inside, e.g. (area > 10)", self._current.position)
        inner = self._parse_or()
        closing = self._current
        if closing.kind == END:
            raise self._error("Unclosed '(': add a matching ')'", opening.position)
        if not _is_symbol(closing, ")"):
            raise self._missing_joiner(closing, inside_parentheses=True)
        self._advance()
        self._depth -= 1
        return inner

    def _missing_joiner(self, token: Token, inside_parentheses: bool) -> FilterError:
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
                raise self._error(f"Expected 'in' after 'not', found {_describe(self._peek(1))}", self._peek(1).position)
            self._advance()
            return self._parse_membership(left, negated=True)
        if _is_word(token, "contains"):
            return self._parse_contains(left)
        if _is_word(token, "is"):
            return self._parse_missing_check(left)
        if _is_word(token, "datestartswith"):
            raise self._error(
                "'datestartswith' is not supported: region tables hold no dates. Use a comparison or 'contains' instead",
                token.position,
            )
        self._reject_postfix(left, token)
        return self._lone_operand(left)

    def _parse_operand(self, expected: str) -> Column | Value:
        token = self._current
        if token.kind == COLUMN:
            self._advance()
            return Column(token.value, token.position)
        if token.kind in LITERAL_KINDS:
            self._advance()
            return Value(token.value, token.position, token.text)
        found = "" if token.kind == END else f", found {_describe(token)}"
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

    def _parse_list_items(self, opening: Token) -> tuple[Value, ...]:
        values = []
        while True:
            token = self._current
            if _is_symbol(token, "]"):
                self._advance()
                return tuple(values)
            if token.kind == END:
                raise self._error("Unclosed '[': add a matching ']'", opening.position)
            if token.kind == COLUMN:
                raise self._error(
                    f'Lists hold values, not columns: put text in quotes, e.g. ["{token.value}"]',
                    token.position,
                )
            if token.kind not in LITERAL_KINDS:
                raise self._error(f"Expected a value in the list, found {_describe(token)}", token.position)
            values.append(Value(token.value, token.position, token.text))
            if len(values) > limits.MAX_LIST_ITEMS:
                raise self._error(f"A list may hold at most {limits.MAX_LIST_ITEMS:,} values", token.position)
            self._advance()
            separator = self._current
            if _is_symbol(separator, ","):
                self._advance()
            elif not _is_symbol(separator, "]") and separator.kind != END:
                raise self._error(f"Expected ',' or ']' in the list, found {_describe(separator)}", separator.position)

    def _parse_contains(self, left: Column | Value) -> Contains:
        column = self._require_column(left, "contains", '{name} contains "abc"')
        self._advance()
        token = self._current
        if token.kind != STRING:
            raise self._error(
                f"'contains' needs a text value in quotes, e.g. {written_column(column.name)} contains \"abc\"",
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

    def _reject_postfix(self, left: Column | Value, token: Token) -> None:
        """Explain the usual mistakes after an operand: calls, indexing, missing operators."""
        if _is_symbol(token, "("):
            what = f"{left.name}(...)" if isinstance(left, Column) else "(...)"
            raise self._error(
                f"Function calls are not supported: {what}. A filter compares columns with values, e.g. area > 10",
                token.position,
            )
        if _is_symbol(token, "["):
            raise self._error(
                "Indexing with '[...]' is not supported; to keep rows with given values write e.g. label in [1, 2, 3]",
                token.position,
            )
        if token.kind in OPERAND_KINDS:
            message = (
                f"Expected an operator such as =, <, in or contains after {self._previous().text!r}, found {_describe(token)}"
            )
            if isinstance(left, Column) and token.kind == COLUMN and not token.text.startswith("{"):
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


def _check_one_kind(values: tuple[Value, ...], source: str) -> None:
    """Lists must be homogeneous, so that the whole list fits one column type."""
    if not values:
        return
    first_kind = literal_kind(values[0].value)
    for item in values[1:]:
        kind = literal_kind(item.value)
        if kind != first_kind:
            raise FilterError(
                f"All values in a list must be of one kind: {values[0].text} is "
                f"{LITERAL_KIND_NAMES[first_kind]} but {item.text} is {LITERAL_KIND_NAMES[kind]}",
                position=item.position,
                expression=source,
            )
