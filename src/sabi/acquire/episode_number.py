"""Guess an episode number from a file name, the way release groups write them."""

from __future__ import annotations

import re

_CJK_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九")}

# Most specific first. Each pattern's first group is the number.
_PATTERNS = [
    re.compile(r"[Ss]\d{1,2}[ ._-]?[Ee](\d{1,4}(?:\.\d(?!\d))?)"),  # S01E05
    re.compile(r"第\s*(\d{1,4})\s*[话話集回]"),  # 第05话
    re.compile(r"\b(?:EP|Ep|ep|E|Episode|episode)[ ._-]?(\d{1,4}(?:\.\d(?!\d))?)(?:v\d)?\b"),
    re.compile(r"\s-\s(\d{1,4}(?:\.\d(?!\d))?)(?:v\d)?(?=[\s\[\(._]|$)"),  # Show - 05 [1080p]
    re.compile(r"\[(\d{1,4}(?:\.\d(?!\d))?)(?:v\d)?\]"),  # [05]
]
_NOISE = re.compile(r"\[[^\]]*\]|\([^)]*\)|\b\d{3,4}[pP]\b|\b[xXhH]\.?26[45]\b|\b(?:19|20)\d{2}\b")


def _cjk_number(text: str) -> int | None:
    """第十二话 -> 12 (numbers up to 99)."""
    if not text or any(c not in _CJK_DIGITS and c != "十" for c in text):
        return None
    if "十" not in text:
        return int("".join(str(_CJK_DIGITS[c]) for c in text))
    tens, _, ones = text.partition("十")
    return (_CJK_DIGITS[tens] if tens else 1) * 10 + (_CJK_DIGITS[ones] if ones else 0)


def parse_episode_number(filename: str) -> float | None:
    """The episode number in ``filename`` (no folder), or None when there is no clear one."""
    stem = re.sub(r"\.[A-Za-z0-9]{2,4}$", "", filename)
    for pattern in _PATTERNS:
        m = pattern.search(stem)
        if m:
            return float(m.group(1))
    m = re.search(r"第([零一二三四五六七八九十]{1,3})[话話集回]", stem)
    if m and (n := _cjk_number(m.group(1))) is not None:
        return float(n)
    # Last resort: a lone 1-3 digit number once brackets, resolutions, codecs and years are gone.
    numbers = re.findall(r"(?<![\d.])(\d{1,3})(?![\d.])", _NOISE.sub(" ", stem))
    if len(numbers) == 1:
        return float(numbers[0])
    return None
