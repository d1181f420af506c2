"""The tier report as an A4 PDF: WeasyPrint over ``templates/reports/report_pdf.html``.

The page layout is CSS (@page): the scope and the data date run in every page's header, page numbers
in the footer, the stale note too when the results are the previous run's. The Chinese font is the
system's WenQuanYi Micro Hei (fonts-wqy-microhei, installed by scripts/system-packages.sh), found
through fontconfig and embedded as a subset; the charts are inline SVG, so nothing is fetched.
Long lists are capped (``PDF_LIST_CAP``), with a line saying how many more rows the xlsx holds.
"""

from __future__ import annotations

from django.template.loader import render_to_string

from tracker.reports.context import report_context
from tracker.reports.sections import ReportFrame

PDF_LIST_CAP = 200  # rows per list: a city's PDF stays a document to read, the xlsx is the full list


def report_html(frame: ReportFrame, *, cap: int = PDF_LIST_CAP) -> str:
    return render_to_string("reports/report_pdf.html", report_context(frame, cap=cap))


def render_pdf(frame: ReportFrame, *, cap: int = PDF_LIST_CAP) -> bytes:
    """The report as PDF bytes."""
    from weasyprint import HTML  # imported here: loading pango costs a second that other commands need not pay

    return HTML(string=report_html(frame, cap=cap), base_url=None).write_pdf()
