"""The version every record staff edit carries (optimistic concurrency).

Every write bumps it — the services (``services/common.py``: ``locked`` and ``save_changes``), the
importer's set-based writes (``services/bulk_rows.py``) and the tasks' bulk status changes — so the API's
``ETag``/``If-Match`` and the admin's stale-form check can tell that someone else saved in between
(docs/architecture.md, "Writing").
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


def version_field(verbose_name=None) -> models.PositiveIntegerField:
    # db_default too: the demo generator and the benchmarks COPY rows in without naming the column.
    return models.PositiveIntegerField(
        verbose_name or _("版本"),
        default=1,
        db_default=1,
        editable=False,
        help_text=_("每次修改加一；用于防止覆盖他人同时所做的修改。"),
    )
