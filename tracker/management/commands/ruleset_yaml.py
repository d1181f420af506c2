from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from tracker.models import Ruleset
from tracker.services.ruleset_errors import DefinitionInvalid
from tracker.services.ruleset_preview_jobs import ruleset_preview_request
from tracker.services.ruleset_yaml import definition_yaml, ruleset_yaml_upload


class Command(BaseCommand):
    help = (
        "导出或替换认定标准的认定条件（YAML），与管理后台的下载、上传相同。Export a ruleset's definition as "
        "YAML, or replace a draft's with a YAML file (validated as the admin's upload; docs/rules-format.md)."
    )

    def add_arguments(self, parser):
        parser.add_argument("tier", help="层级代码，如 specialized_sme。")
        parser.add_argument("version", help="认定标准版本，如 MIIT-2026-2-A1-R2-draft。")
        parser.add_argument("--export", metavar="FILE", help="写出 YAML 文件（“-”为标准输出）。")
        parser.add_argument("--replace", metavar="FILE", help="用 YAML 文件替换草稿的认定条件。")

    def handle(self, *args, tier, version, export, replace, **options):
        if bool(export) == bool(replace):
            raise CommandError("请给出 --export FILE 或 --replace FILE 之一。")
        ruleset = Ruleset.objects.filter(tier_id=tier, version=version).first()
        if ruleset is None:
            raise CommandError(f"没有认定标准 {tier} {version}。")
        if export:
            text = definition_yaml(ruleset)
            if export == "-":
                self.stdout.write(text, ending="")
            else:
                Path(export).write_text(text, encoding="utf-8")
            return
        path = Path(replace)
        try:
            changed = ruleset_yaml_upload(ruleset=ruleset, content=path.read_bytes(), name=path.name)
        except DefinitionInvalid as error:
            line = f"，第 {error.line} 行" if getattr(error, "line", None) else ""
            raise CommandError(f"{path}：YAML 路径 {error.where or '根节点'}{line}：{error.text}") from None
        except ValidationError as error:
            raise CommandError(f"{path}：{'；'.join(error.messages)}") from None
        if not changed:
            self.stdout.write("认定条件与文件相同，未做修改。")
            return
        self.stdout.write(self.style.SUCCESS(f"已替换 {ruleset} 的认定条件（第 {ruleset.revision} 次修订）。"))
        # As after an upload in the admin: the new revision's preview, which activation requires.
        preview = ruleset_preview_request(ruleset=ruleset)
        preview.refresh_from_db()  # without a broker it has already run
        # Queued to a worker, or (without a broker) already run: say which.
        self.stdout.write(
            f"差异预览（第 {preview.revision} 次修订）：{preview.get_status_display()}，"
            f"在管理后台该草稿的“差异预览”页查看。"
        )
