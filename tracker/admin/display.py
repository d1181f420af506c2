"""How the admin shows money, ratios, booleans and dates to department staff.

Money is stored in CNY yuan and shown in 万元 (亿元 from 1亿 up); ratios are fractions shown in %;
a missing value is "—", never "no" or "0".
"""

import re
from datetime import date, datetime
from decimal import Decimal

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

MISSING = "—"
WAN = Decimal("10000")
YI = Decimal("100000000")


def _english() -> bool:
    return (get_language() or "").startswith("en")


def _scaled(value: Decimal, currency: str, zh_units: tuple[str, str]) -> str:
    # Chinese staff read 万/亿; English readers get millions and billions.
    if _english():
        if abs(value) >= 10 * YI:
            return f"{currency} {value / (10 * YI):,.2f} bn"
        return f"{currency} {value / 1_000_000:,.2f} m"
    if abs(value) >= YI:
        return f"{value / YI:,.2f} {zh_units[1]}"
    return f"{value / WAN:,.2f} {zh_units[0]}"


def amount(yuan: Decimal | float | int | None) -> str:
    """12,345.67 万元 below 1亿, 1.23 亿元 from 1亿 up (sign kept for losses); CNY m / bn in English."""
    if yuan is None:
        return MISSING
    return _scaled(Decimal(str(yuan)), "CNY", ("万元", "亿元"))


def amount_usd(usd: Decimal | float | int | None) -> str:
    """US dollars in 万美元 / 亿美元 (unicorn valuations); USD m / bn in English."""
    if usd is None:
        return MISSING
    return _scaled(Decimal(str(usd)), "USD", ("万美元", "亿美元"))


def ratio(fraction: Decimal | float | None) -> str:
    """0.125 → 12.50%."""
    if fraction is None:
        return MISSING
    return f"{Decimal(str(fraction)) * 100:,.2f}%"


def boolean(value: bool | None) -> str:
    """✓ / ✗, and — when the fact is missing (missing is not "no")."""
    if value is None:
        return MISSING
    return "✓" if value else "✗"


def day(value: date | datetime | None) -> str:
    if value is None:
        return MISSING
    if isinstance(value, datetime):
        value = value.date()
    return value.isoformat()


def number(value: int | Decimal | float | None) -> str:
    if value is None:
        return MISSING
    return f"{value:,}"


def _choices_by_variable() -> dict[str, dict[str, str]]:
    from tracker.models import Cluster
    from tracker.models.enterprises import Sector
    from tracker.models.metrics import AwardLevel, ChuangkeRank, RdInstitutionLevel

    def labels(choices):
        return dict(choices.choices)

    return {
        "rd_institution_level": labels(RdInstitutionLevel),
        "st_award_level": labels(AwardLevel),
        "st_award_level_3y": labels(AwardLevel),
        "chuangke_rank": labels(ChuangkeRank),
        "chuangke_rank_3y": labels(ChuangkeRank),
        "sector": labels(Sector),
        "cluster_group": labels(Cluster.Group),
    }


def choice(value: str, variable: str = "") -> str:
    """The staff-facing label of an engine choice value (rd_institution_level provincial → 省级（省部级）)."""
    return str(_choices_by_variable().get(variable, {}).get(value, value))


UNIT_LABELS = {"years": _("年"), "persons": _("人"), "items": _("项"), "points": _("分")}


def with_unit(text: str, unit: str) -> str:
    label = UNIT_LABELS.get(unit)
    return f"{text} {label}" if label else text


# A criterion's policy basis as staff read it: the document and article, not the notes criteria
# definitions keep for their maintainers (criteria.md §…, seeds/README.md, confidence tags, English
# remarks in parentheses). A cited address becomes a link.
_ASIDE = re.compile(r"\s*[(（][^()（）\u4e00-\u9fff]*[A-Za-z][^()（）\u4e00-\u9fff]*[)）]")  # a remark, not (1) or (四)
_INTERNAL = re.compile(r"\.md\b|seeds/|fixtures/|\b(?:HIGH|MEDIUM|LOW|RETIRED)\b")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_URL = re.compile(r"https?://\S+")


def policy_basis_parts(text: str) -> list[str]:
    """The parts of a reference worth showing: those naming a document or article (in Chinese)."""
    parts = re.split(r"[;；]\s*", _ASIDE.sub("", " ".join((text or "").split())))
    return [p.strip(" 。.") for p in parts if p.strip() and _CJK.search(p) and not _INTERNAL.search(p)]


def policy_basis(text: str) -> SafeString:
    """The policy basis as HTML: the document and article, with a link where one is cited."""

    def part(text: str):
        url = _URL.search(text)
        if url is None:
            return format_html("{}", text)
        label = (text[: url.start()] + text[url.end() :]).strip() or url.group()
        return format_html('<a href="{}" rel="noopener noreferrer" target="_blank">{}</a>', url.group(), label)

    return format_html_join("；", "{}", ((part(p),) for p in policy_basis_parts(text)))
