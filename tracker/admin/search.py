"""The admin's search box on every list of enterprises and of their rows: a USCC prefix on its index, or a
fragment of the name through the name indexes (tracker/models/name_search.py)."""

from django.db.models import Q

from tracker.models.name_search import name_contains_q
from tracker.uscc import CHARSET

USCC_CHARS = set(CHARSET)


def looks_like_uscc(term: str) -> bool:
    """A search term staff typed as (the start of) a USCC rather than a name."""
    term = term.strip().upper()
    return len(term) >= 2 and set(term) <= USCC_CHARS and any(ch.isdigit() for ch in term)


class EnterpriseSearchMixin:
    """``enterprise_lookup`` is the path from the listed row to its enterprise ("" on the enterprise list)."""

    enterprise_lookup = "enterprise__"

    def search_q(self, term: str) -> Q:
        if looks_like_uscc(term):
            return Q(**{f"{self.enterprise_lookup}uscc__startswith": term.upper()})
        return name_contains_q(term, self.enterprise_lookup)

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        return queryset.filter(self.search_q(term)), False
