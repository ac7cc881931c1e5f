"""Component ids: one StrEnum, and the JavaScript takes them from a file generated from it."""

from __future__ import annotations

import re

from regionscope.app.ids import ID, JAVASCRIPT_IDS, javascript_ids

ASSETS = JAVASCRIPT_IDS.parent


def test_the_generated_javascript_ids_are_current():
    assert JAVASCRIPT_IDS.read_text() == javascript_ids(), "run `python -m regionscope.app.ids` after changing ID"


def test_ids_are_unique_and_prefixed():
    values = [member.value for member in ID]
    assert len(values) == len(set(values))
    assert all(re.fullmatch(r"rs-[a-z0-9-]+", v) for v in values)


def test_the_page_scripts_never_retype_an_id():
    for script in ASSETS.glob("*.js"):
        if script == JAVASCRIPT_IDS:
            continue
        text = script.read_text()
        retyped = sorted(v for v in (m.value for m in ID) if f'"{v}"' in text or f"'{v}'" in text or f"#{v}" in text)
        assert retyped == [], f"{script.name} types ids again instead of using regionscopeIds: {retyped}"
