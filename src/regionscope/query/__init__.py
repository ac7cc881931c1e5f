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

Modules
-------
One concept each; this package re-exports the public names:

``syntax``
    The tree: immutable, hashable nodes (:class:`Column`, :class:`Comparison`,
    :class:`And`, ...).
``dialect``
    The words and symbols of the language, with the Dash DataTable's
    spellings (``&&``, ``||``, ``!``, ``eq``, ``ne``, ...).
``tokens``
    The tokenizer: text to tokens, with positions for messages.
``parser``
    The recursive-descent parser: tokens to a tree.
``evaluate``
    The tree applied to a :class:`pandas.DataFrame`: a boolean mask.
``limits``
    The size limits above.
``expression``
    :class:`FilterExpression`, :func:`parse_filter`, :func:`filter_mask` and
    :func:`filter_table`.

Inside the package, modules import each other relatively: the test that no
module reaches ``.eval`` or ``.query`` attributes reads every token of these
files, and ``regionscope.query.tokens`` would be one.
"""

from __future__ import annotations

from .expression import FilterExpression, filter_mask, filter_table, parse_filter
from .limits import MAX_EXPRESSION_LENGTH, MAX_LIST_ITEMS, MAX_NESTING, MAX_TOKENS
from .syntax import (
    And,
    Column,
    ColumnIsTrue,
    Comparison,
    Contains,
    MatchAll,
    Membership,
    MissingCheck,
    Not,
    Or,
    Value,
)

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
