"""Report periods: a tertial (T1 January–April, T2 May–August, T3 September–December) or a year."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from mailflow import i18n

_PERIOD_RE = re.compile(r"(\d{4})(?:-T([1-3]))?")


@dataclass(frozen=True)
class Period:
    """A tertial of a year (`tertial` 1, 2 or 3) or the whole year (`tertial` None)."""

    year: int
    tertial: int | None = None

    def __post_init__(self) -> None:
        if self.tertial is not None and self.tertial not in (1, 2, 3):
            raise ValueError(f"tertial must be 1, 2 or 3, not {self.tertial}")
        if not 1900 <= self.year <= 9999:
            raise ValueError(f"year out of range: {self.year}")

    @classmethod
    def parse(cls, text: str) -> Period:
        """'2026-T1', '2026-T2', '2026-T3' or '2026' (case and surrounding space ignored)."""
        m = _PERIOD_RE.fullmatch(text.strip().upper())
        if not m:
            raise ValueError(
                f"bad period {text!r}: expected YYYY-T1, YYYY-T2, YYYY-T3 or YYYY, e.g. 2026-T1 "
                "(T1 January–April, T2 May–August, T3 September–December) or 2026 for the whole year"
            )
        return cls(int(m.group(1)), int(m.group(2)) if m.group(2) else None)

    @property
    def key(self) -> str:
        """The period as written on the command line: '2026-T1' or '2026'."""
        return f"{self.year}-T{self.tertial}" if self.tertial else str(self.year)

    @property
    def first_month(self) -> int:
        return 1 if self.tertial is None else 4 * (self.tertial - 1) + 1

    @property
    def last_month(self) -> int:
        return 12 if self.tertial is None else 4 * self.tertial

    @property
    def start(self) -> date:
        """The first day of the period (inclusive)."""
        return date(self.year, self.first_month, 1)

    @property
    def end(self) -> date:
        """The last day of the period (inclusive)."""
        if self.last_month == 12:
            return date(self.year, 12, 31)
        return date(self.year, self.last_month + 1, 1) - timedelta(days=1)

    @property
    def months(self) -> tuple[str, ...]:
        """The months of the period as 'YYYY-MM'."""
        return tuple(f"{self.year}-{m:02d}" for m in range(self.first_month, self.last_month + 1))

    def contains(self, d: date) -> bool:
        return self.start <= d <= self.end

    def label(self, lang: str = "sv") -> str:
        """'Tertial 1 2026 (januari–april)' or 'Helår 2026'; 'Year 2026' with lang='en' (from the catalogs)."""
        lang = lang if lang in i18n.available() else i18n.DEFAULT_LANGUAGE
        t = i18n.translations(lang)
        if self.tertial is None:
            return t.gettext("Year %(year)s") % {"year": self.year}
        span = f"{month_name(self.first_month, lang)}–{month_name(self.last_month, lang)}"
        return t.gettext("Tertial %(tertial)s %(year)s (%(months)s)") % {
            "tertial": self.tertial, "year": self.year, "months": span}


def month_name(month: int, lang: str = "sv") -> str:
    """3 -> 'mars', 'March', 'maaliskuu' (CLDR's stand-alone month name)."""
    return i18n.format_date(date(2000, month, 1), lang, "LLLL")


def month_label(month: str, lang: str = "sv") -> str:
    """'2026-03' -> 'mars' ('March' in English)."""
    return month_name(int(month[5:7]), lang)
