"""Vietnamese conventions of administrative documents (Decree 30/2020/NĐ-CP)."""

from __future__ import annotations

import unicodedata
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

__all__ = ["place_and_date", "nfc", "upper", "VIETNAM", "in_vietnam", "clock_time"]

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def upper(text: str) -> str:
    """Upper case, in NFC (Python's upper keeps Vietnamese diacritics)."""
    return nfc(text).upper()


def place_and_date(place: str, day: date) -> str:
    """'Thái Bình, ngày 05 tháng 01 năm 2026': days below 10 and the months January and
    February take a leading zero, as the decree requires."""
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    return nfc(f"{place}, ngày {day.day:02d} tháng {month} năm {day.year}")


def in_vietnam(moment: datetime) -> datetime:
    """``moment`` in Vietnam time (a naive moment is taken as UTC, as the database stores it)."""
    return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).astimezone(VIETNAM)


def clock_time(moment: datetime) -> str:
    """'16 giờ 05 phút, ngày 15/12/2026', in Vietnam time."""
    local = in_vietnam(moment)
    return f"{local:%H} giờ {local:%M} phút, ngày {local:%d/%m/%Y}"
