"""Gap-free numbers of hazard files (YH) and notices (GZ hazard notices, DD supervision notices),
per year: org.services.next_number's series."""

from __future__ import annotations

from org.services import next_number

from ..models import Notice


def hazard_number(year: int) -> str:
    return next_number("hazard", "YH", year, 6)


NOTICE_SERIES = {
    Notice.Kind.HAZARD: ("notice", "GZ", 5),
    Notice.Kind.SUPERVISION: ("supervision", "DD", 5),
}


def notice_number(kind: str, year: int) -> str:
    key, prefix, width = NOTICE_SERIES[kind]
    return next_number(key, prefix, year, width)
