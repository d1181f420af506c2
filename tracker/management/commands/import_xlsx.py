"""Excel imports from the command line, through the same services as the admin.

    python manage.py import_xlsx metrics data.xlsx --dry-run
    python manage.py import_xlsx metrics data.xlsx [--user NAME]
    python manage.py import_xlsx metrics --template metrics-template.xlsx

Prints the preview's counts and every rejected cell by sheet row and column header; exits 1 when rows
are rejected (nothing is written then), 2 when the file cannot be read.
"""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from tracker import imports
from tracker.models import ImportJob
from tracker.services.imports import import_job_commit, import_job_validate, import_region

LABELS = {"new": "新增", "changed": "变更", "unchanged": "无变化", "rejected": "拒绝"}


class Command(BaseCommand):
    help = "导入企业、年度指标或认定名单（Excel）；--dry-run 只预览；--template 生成模板。"

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=ImportJob.Kind.values)
        parser.add_argument("file", nargs="?", help="要导入的 .xlsx 文件")
        parser.add_argument("--dry-run", action="store_true", help="只校验并预览，不写入")
        parser.add_argument("--template", metavar="PATH", help="把该类导入的模板写到 PATH")
        parser.add_argument("--user", help="以该用户的名义导入：记入历史，并只能导入其所属地区的数据（默认不限）")

    def handle(self, *args, kind, file, dry_run, template, user, **options):
        if template:
            Path(template).write_bytes(imports.template_workbook(kind))
            self.stdout.write(f"模板已写入 {template}")
            return
        if not file:
            raise CommandError("请给出要导入的文件，或用 --template PATH 生成模板。")
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"文件不存在：{file}")
        account = get_user_model().objects.get(username=user) if user else None
        from django.core.files.base import ContentFile

        # With --user the import is that user's: it may touch only their region (and is listed there).
        job = ImportJob(kind=kind, original_name=path.name, created_by=account, region=import_region(account))
        job.file.save(path.name, ContentFile(path.read_bytes()), save=True)
        job = import_job_validate(job=job)
        self._summary(job)
        if job.status == ImportJob.Status.FAILED:
            raise CommandError(job.error_message, returncode=2)
        if job.rejected_count or job.preview.get("file_errors"):
            raise CommandError(f"有 {job.rejected_count} 行被拒绝，未写入任何数据。", returncode=1)
        if dry_run:
            self.stdout.write(f"预览完成（导入记录 #{job.pk}），未写入。")
            return
        job = import_job_commit(job=job, user=account)
        if job.status != ImportJob.Status.COMMITTED:
            raise CommandError(job.error_message or "未导入。", returncode=1)
        self.stdout.write(self.style.SUCCESS(f"已导入（导入记录 #{job.pk}），用时 {job.seconds.get('commit')} 秒。"))

    def _summary(self, job: ImportJob) -> None:
        counts = job.preview.get("counts", {})
        self.stdout.write("，".join(f"{LABELS[k]} {counts.get(k, 0)} 行" for k in LABELS))
        for message in job.preview.get("file_errors", []):
            self.stdout.write(f"文件：{message}")
        for message in job.preview.get("warnings", []):
            self.stdout.write(f"提示：{message}")
        if job.rejected_count:
            from tracker.services.imports import rejected_lines

            for line in rejected_lines(job):
                self.stdout.write(line)
