"""The words and symbols of the filter language, in both of its spellings.

The plain spelling (``area < 1000 and label in [1, 2]``) and the one the Dash
DataTable writes into its ``filter_query`` (``{area} < 1000 && {label} eq 4``)
are one language: the DataTable's ``&&``, ``||``, ``!`` and ``eq``, ``ne``,
``lt``, ``le``, ``gt``, ``ge`` are spellings of ``and``, ``or``, ``not`` and
the comparison symbols, so the app can hand the table's filter over as it is.
Its ``datestartswith`` is a keyword only to be refused with an explanation.
"""

from __future__ import annotations

#: Words that are never column names (matched in lower case).
KEYWORDS = frozenset(
    {"and", "or", "not", "in", "is", "nil", "blank", "contains", "datestartswith"} | {"eq", "ne", "lt", "le", "gt", "ge"}
)

#: Every symbol, longest first, so that "<=" is not read as "<" followed by "=".
SYMBOLS = ("&&", "||", "==", "!=", "<=", ">=", "=", "<", ">", "!", "(", ")", "[", "]", ",")

#: Spellings of "and", "or" and "not": the word and the DataTable's symbol.
AND = frozenset({"and", "&&"})
OR = frozenset({"or", "||"})
NOT = frozenset({"not", "!"})

#: Every spelling of a comparison, mapped to the operator of the syntax tree.
COMPARISON_OPERATORS = {
    "=": "==",
    "==": "==",
    "eq": "==",
    "!=": "!=",
    "ne": "!=",
    "<": "<",
    "lt": "<",
    "<=": "<=",
    "le": "<=",
    ">": ">",
    "gt": ">",
    ">=": ">=",
    "ge": ">=",
}

#: Words a bare column name cannot be: such a column is written in braces, ``{in}``.
RESERVED_WORDS = KEYWORDS | {"true", "false", "inf", "nan"}
