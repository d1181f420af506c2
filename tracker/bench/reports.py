"""The tier reports' benchmark: the night's 14 reports (province and cities), the province's xlsx
(time and peak memory), a city's PDF. Reads whatever database it is pointed at; writes only reports."""

from __future__ import annotations

import io
import time

from django.utils import timezone

from tracker.bench.memory import current_bytes, peak_bytes, reset_peak
from tracker.models import EligibilityResult, Enterprise, TierReport
from tracker.reports.sections import ReportFrame
from tracker.services.reports import reports_build_nightly


def measure(*, city: str = "320500", report_date=None) -> dict:
    report_date = report_date or timezone.localdate()
    out = {"enterprises": Enterprise.objects.count(), "results": EligibilityResult.objects.current().count()}
    started, cpu = time.monotonic(), time.process_time()
    reports = reports_build_nightly(run_id=None, report_date=report_date)
    out["nightly_seconds"] = round(time.monotonic() - started, 2)
    # This process's CPU (the Python side; PostgreSQL's work is not in it): on a shared host the wall
    # clock mostly measures the wait for a core, this does not.
    out["nightly_cpu_seconds"] = round(time.process_time() - cpu, 2)
    out["reports"] = [(r.region.name, r.build_seconds, len(str(r.content))) for r in reports]
    province = TierReport.objects.get(report_date=report_date, region__code="320000")
    frame = ReportFrame.from_json(province.content)
    from tracker.reports.xlsx import render_xlsx

    reset_peak()
    before = current_bytes()
    started = time.monotonic()
    buffer = io.BytesIO()
    render_xlsx(frame, buffer)
    out["xlsx_seconds"] = round(time.monotonic() - started, 2)
    out["xlsx_bytes"] = len(buffer.getvalue())
    out["xlsx_peak_mib"] = round(peak_bytes() / 2**20, 1)
    out["xlsx_growth_mib"] = round((peak_bytes() - before) / 2**20, 1)
    from tracker.reports.pdf import render_pdf

    city_report = TierReport.objects.get(report_date=report_date, region__code=city)
    city_frame = ReportFrame.from_json(city_report.content)
    started, cpu = time.monotonic(), time.process_time()
    pdf = render_pdf(city_frame)
    out["pdf_seconds"] = round(time.monotonic() - started, 2)
    out["pdf_cpu_seconds"] = round(time.process_time() - cpu, 2)
    out["pdf_bytes"] = len(pdf)
    out["pdf_city"] = city_report.region.name
    return out
