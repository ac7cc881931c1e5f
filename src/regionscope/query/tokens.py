"""The tokenizer: filter text to a list of tokens.

Written by hand (not Python's ``tokenize`` or ``ast``) so that the text is
read as filter syntax only, with the position of every token for messages,
and so that Python's own syntax (calls, attributes, operators) never has a
meaning here. The token count is limited (:data:`~regionscope.query.limits.MAX_TOKENS`)
while reading, so long input costs no more than the limit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from regionscope.errors import FilterError

from . import limits
from .dialect import KEYWORDS, RESERVED_WORDS, SYMBOLS

__all__ = ["Token", "tokenize", "number_from_text", "written_column"]

# Token kinds.
COLUMN = "column"
NUMBER = "number"
STRING = "string"
BOOLEAN = "boolean"
WORD = "word"  # a keyword
SYMBOL = "symbol"
END = "end"

LITERAL_KINDS = frozenset({NUMBER, STRING, BOOLEAN})
OPERAND_KINDS = LITERAL_KINDS | {COLUMN}

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
class Token:
    """One token: its kind, the text as written, where it starts, and its value."""

    kind: str
    text: str  # as written, for messages
    position: int
    value: object = None  # column name, literal value, lower-case keyword or the symbol


def tokenize(source: str) -> list[Token]:
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
        if token.kind == SYMBOL and token.value == "[":
            list_depth += 1
        elif token.kind == SYMBOL and token.value == "]":
            list_depth = max(list_depth - 1, 0)
        elif list_depth == 0:
            counted += 1
            if counted > limits.MAX_TOKENS:
                raise FilterError(
                    f"The filter is too long: it has more than {limits.MAX_TOKENS:,} parts. "
                    "Use fewer conditions, or an 'in [...]' list instead of many 'or's.",
                    position=token.position,
                    expression=source,
                )
    tokens.append(Token(END, "", length))
    return tokens


def _read_token(source: str, position: int) -> tuple[Token, int]:
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
    for symbol in SYMBOLS:
        if source.startswith(symbol, position):
            return Token(SYMBOL, symbol, position, symbol), position + len(symbol)
    raise _unexpected_character(source, position)


def _unexpected_character(source: str, position: int, context: str = "", hint: str | None = None) -> FilterError:
    """The error for a character no token starts or continues with, with a hint of what to write."""
    character = source[position]
    if hint is None and character.isnumeric() and not _is_digit(character):
        hint = "numbers are written with the digits 0-9 only"
    hint = hint or _CHARACTER_HINTS.get(character, _DEFAULT_CHARACTER_HINT)
    return FilterError(f"Unexpected character {character!r}{context}: {hint}", position=position, expression=source)


def _read_braced_column(source: str, position: int) -> tuple[Token, int]:
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
    return Token(COLUMN, source[position : end + 1], position, name), end + 1


def _read_string(source: str, position: int) -> tuple[Token, int]:
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
            return Token(STRING, text, position, "".join(characters)), index + 1
        else:
            characters.append(character)
            index += 1
    raise FilterError(
        f"Unclosed text: add a closing {quote} (write \\{quote} for a quote inside the text)",
        position=position,
        expression=source,
    )


def _read_signed(source: str, position: int) -> tuple[Token, int]:
    """A '+' or '-' is only ever the sign of a number: there is no arithmetic."""
    following = source[position + 1 : position + 3]
    if _is_digit(following[:1]) or (following[:1] == "." and _is_digit(following[1:2])):
        return _read_number(source, position)
    if following[:1].isnumeric():  # "-²", "-١": a sign before a digit that is not 0-9
        raise _unexpected_character(source, position + 1)
    match = _SIGNED_INF_PATTERN.match(source, position)
    if match:
        value = float("-inf") if source[position] == "-" else float("inf")
        return Token(NUMBER, match.group(), position, value), match.end()
    raise _unexpected_character(source, position)


def _read_number(source: str, position: int) -> tuple[Token, int]:
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
    return Token(NUMBER, text, position, _number_value(text)), end


def _number_value(text: str) -> int | float:
    """The value of a number as written; integers stay exact while they fit in 64 bits."""
    if _INTEGER_PATTERN.fullmatch(text) and len(text) <= 20:
        value = int(text)
        if -(2**63) <= value < 2**64:
            return value
    # Larger integers become floats: numpy would otherwise fall back to slow object arrays.
    return float(text)


def _read_word(source: str, position: int) -> tuple[Token, int]:
    match = _NAME_PATTERN.match(source, position)
    text = match.group()
    end = match.end()
    word = text.lower()
    hyphenated = _HYPHENATED_NAME_PATTERN.match(source, position)
    # "eq-4" is the keyword eq and the number -4, not a column name.
    if hyphenated and hyphenated.end() > end and word not in RESERVED_WORDS:
        name = hyphenated.group()
        raise FilterError(
            f"Column names containing '-' must be written in braces: {{{name}}}",
            position=position,
            expression=source,
        )
    if text.startswith("__"):
        raise FilterError(
            f"Names starting with '__' are not allowed: {text!r}. If it is a column, write it in braces: {{{text}}}",
            position=position,
            expression=source,
        )
    if word in ("true", "false"):
        return Token(BOOLEAN, text, position, word == "true"), end
    if word == "inf":
        return Token(NUMBER, text, position, float("inf")), end
    if word == "nan":
        raise FilterError(
            "'nan' is not a value here, because nothing compares equal to it. "
            "To select missing values write 'column is nil' (or 'column is not nil')",
            position=position,
            expression=source,
        )
    if word in KEYWORDS:
        return Token(WORD, text, position, word), end
    return Token(COLUMN, text, position, text), end


def written_column(name: str) -> str:
    """A column name as it could be written in a filter, for examples in messages."""
    reserved = name.lower() in RESERVED_WORDS or name.startswith("__")
    return name if _NAME_PATTERN.fullmatch(name) and not reserved else "{" + name + "}"


def number_from_text(text: str) -> int | float | None:
    """The number a text such as "4" or " 2.5 " stands for, or None."""
    stripped = text.strip()
    if _NUMBER_PATTERN.fullmatch(stripped):
        return _number_value(stripped)
    return None
