"""Numbers people and clients send as text (a row's id, a page number), read safely.

``str.isdigit`` is true for "²" and "٣", which ``int`` refuses, and a 5,000-digit number is too
long for ``int`` and for any database key: each was a 500 where a 400 was meant.
"""

from __future__ import annotations

import re

# A 64-bit key has at most 19 digits; 18 always fit.
_ID = re.compile(r"[0-9]{1,18}")


def parse_id(text: object) -> int | None:
    """``text`` as a non-negative whole number when it is one written in ASCII digits that
    fits a database key; None otherwise."""
    raw = str(text).strip() if text is not None else ""
    return int(raw) if _ID.fullmatch(raw) else None
