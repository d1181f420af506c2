"""Addresses staff can keep: a result by enterprise, tier and year, which a recompute does not change
(the row's id does: the pipeline rewrites results it re-evaluates)."""

from django.urls import reverse


def result_url(enterprise_id: int, tier_id: str, fiscal_year: int, cluster_id: int | None = None) -> str:
    """/admin/tracker/eligibilityresult/by/<enterprise>/<tier>/<year>/ (``?cluster=`` for a chain leader),
    which redirects to today's row."""
    url = reverse("admin:tracker_eligibilityresult_by", args=[enterprise_id, tier_id, fiscal_year])
    return f"{url}?cluster={cluster_id}" if cluster_id else url
