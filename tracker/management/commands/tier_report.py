"""`python manage.py tier_report [--date D] [--region CODE] [--format json|xlsx|pdf] [--output PATH]
[--nightly] [--notify]`: build a tier report (replacing that date and scope's) and write its rendering."""

import datetime as dt
import json
import sys

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from tracker.reports.frame import NoResults
from tracker.reports.sections import ReportFrame
from tracker.services.reports import report_build, report_notices_send, reports_build_nightly


class Command(BaseCommand):
    help = "生成梯度报告（默认今天、全省），同一日期和范围的报告被替换；可输出 JSON、xlsx 或 PDF。"

    def add_arguments(self, parser):
        parser.add_argument("--date", type=dt.date.fromisoformat, help="报告日期 YYYY-MM-DD（默认今天）")
        parser.add_argument("--region", help="范围：行政区划代码（3205 或 320500 为苏州市，320583 为昆山市；默认全省）")
        parser.add_argument("--format", choices=["json", "xlsx", "pdf"], default="json", help="输出格式（默认 json）")
        parser.add_argument("--output", help="输出文件路径（默认：json 写到标准输出，xlsx/pdf 按范围和日期命名）")
        parser.add_argument("--nightly", action="store_true",
                            help="生成全省、各设区市及有人订阅的县（市、区）的报告并发送通知")
        parser.add_argument("--notify", action="store_true", help="生成后向订阅用户发送通知邮件")

    def handle(self, *args, date, region, format, output, nightly, notify, **options):
        try:
            if nightly:
                reports = reports_build_nightly(run_id=None, report_date=date)
                for report in reports:
                    self.stdout.write(f"{report.region.name} {report.report_date}：{report.build_seconds:.1f} 秒")
                return
            report = report_build(report_date=date, region_code=region)
        except NoResults as exc:
            raise CommandError(str(exc)) from None
        except ValidationError as exc:
            raise CommandError("；".join(m for messages in exc.message_dict.values() for m in messages)) from None
        if notify:
            report_notices_send(report_ids=[report.pk])
        frame = ReportFrame.from_json(report.content)
        stale = f"（{report.stale_reason}）" if report.stale else ""
        self.stderr.write(
            f"已生成 {report.region.name} {report.report_date} 的报告（数据日期 {report.data_date}{stale}），"
            f"用时 {report.build_seconds:.1f} 秒。"
        )
        if format == "json":
            text = json.dumps(report.content, ensure_ascii=False, indent=1)
            if output:
                with open(output, "w", encoding="utf-8") as fh:
                    fh.write(text)
            else:
                sys.stdout.write(text + "\n")
            return
        path = output or f"tier-report-{frame.scope.code}-{report.report_date}.{format}"
        with open(path, "wb") as fh:
            fh.write(render(frame, format))
        self.stderr.write(f"已写入 {path}")


def render(frame: ReportFrame, format: str) -> bytes:
    """The xlsx or PDF rendering (tracker/reports/xlsx.py, pdf.py)."""
    import io

    try:
        if format == "xlsx":
            from tracker.reports.xlsx import render_xlsx

            buffer = io.BytesIO()
            render_xlsx(frame, buffer)
            return buffer.getvalue()
        from tracker.reports.pdf import render_pdf

        return render_pdf(frame)
    except ImportError as exc:
        raise CommandError(f"此版本尚不能输出 {format}：{exc}") from None
