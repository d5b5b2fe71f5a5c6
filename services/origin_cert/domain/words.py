"""Goods descriptions as certificates print them: the package quantity in words and figures, then the goods.

货物描述手动填入后，点击自动填充，可自动补充货物描述的包装数量及单位 (§1.4.2):
``described("LED DESK LAMPS", 200, "CARTONS")`` is ``TWO HUNDRED (200) CARTONS OF LED DESK LAMPS``.
"""

from __future__ import annotations

_ONES = ("ZERO", "ONE", "TWO", "THREE", "FOUR", "FIVE", "SIX", "SEVEN", "EIGHT", "NINE", "TEN", "ELEVEN", "TWELVE",
         "THIRTEEN", "FOURTEEN", "FIFTEEN", "SIXTEEN", "SEVENTEEN", "EIGHTEEN", "NINETEEN")
_TENS = ("", "", "TWENTY", "THIRTY", "FORTY", "FIFTY", "SIXTY", "SEVENTY", "EIGHTY", "NINETY")
_SCALES = ((10**9, "BILLION"), (10**6, "MILLION"), (1000, "THOUSAND"))


def _below_thousand(number: int) -> str:
    hundreds, rest = divmod(number, 100)
    words = [f"{_ONES[hundreds]} HUNDRED"] if hundreds else []
    if rest >= 20:
        tens, ones = divmod(rest, 10)
        words.append(_TENS[tens] + (f"-{_ONES[ones]}" if ones else ""))
    elif rest or not hundreds:
        words.append(_ONES[rest])
    return " ".join(words)


def number_words(number: int) -> str:
    """A whole number in capital English words: 1250 -> ``ONE THOUSAND TWO HUNDRED FIFTY``."""
    if number < 0:
        raise ValueError("a package count is not negative")
    if number < 1000:
        return _below_thousand(number)
    words = []
    for scale, name in _SCALES:
        count, number = divmod(number, scale)
        if count:
            words.append(f"{number_words(count)} {name}")
    if number:
        words.append(_below_thousand(number))
    return " ".join(words)


def described(description: str, package_quantity: int | None, package_unit: str) -> str:
    """The description with its package quantity and unit in front, once (filling twice changes nothing)."""
    text = " ".join(description.split())
    if not package_quantity or not package_unit.strip():
        return text
    head = f"{number_words(package_quantity)} ({package_quantity}) {package_unit.strip().upper()} OF "
    return text if text.upper().startswith(head) else head + text
