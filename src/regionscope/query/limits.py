"""How much text a filter may be: the limits that keep parsing cheap whatever it is given.

The tokenizer, the parser and :func:`~regionscope.query.parse_filter` read
these at call time (``limits.MAX_TOKENS``), so a test can lower one with
``monkeypatch.setattr``.
"""

from __future__ import annotations

__all__ = ["MAX_EXPRESSION_LENGTH", "MAX_TOKENS", "MAX_NESTING", "MAX_LIST_ITEMS"]

#: Longest filter text accepted, in characters; longer text is rejected unread.
MAX_EXPRESSION_LENGTH = 10_000
#: Most tokens accepted outside ``[...]`` lists.
MAX_TOKENS = 2_000
#: Deepest nesting of parentheses accepted.
MAX_NESTING = 64
#: Most values accepted in one ``in [...]`` list.
MAX_LIST_ITEMS = 10_000
