"""The 公示 list of a designation batch as a PDF, laid out like the notices bureaus publish: A4, the
title with the batch's name, its 文号, the 公示 period and where to object, then the official columns
(the same rows as the xlsx: ``batch_services.publicity_list``, scoped to the reader), page numbers.

WeasyPrint renders the HTML template with Pango; the CJK font (WenQuanYi Micro Hei, Debian's
fonts-wqy-microhei, installed by scripts/browser.sh) is embedded, subset to the characters used.
"""

from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from tracker.models import DesignationBatch
from tracker.services import batches as batch_services


def publicity_title(batch: DesignationBatch) -> str:
    kind = _("复核结果") if batch.kind == DesignationBatch.Kind.REVIEW else ""
    return f"{batch.year}年{batch.tier.name_zh}{batch.name}{kind}公示名单"


def publicity_period(batch: DesignationBatch) -> str:
    return f"{batch.publicity_start or '—'} 至 {batch.publicity_end or '—'}"


def publicity_pdf(batch: DesignationBatch, *, user) -> bytes:
    from weasyprint import HTML  # loads Pango: only when a PDF is asked for

    headers, rows = batch_services.publicity_list(batch=batch, user=user)
    html = render_to_string(
        "tracker/publicity_list.html",
        {
            "batch": batch,
            "title": publicity_title(batch),
            "period": publicity_period(batch),
            "contact": batch.objection_contact or "—",
            "headers": headers,
            "rows": rows,
        },
    )
    return HTML(string=html).write_pdf()
