"""`python manage.py recompute [--tier T] [--as-of D] [--enterprise USCC] [--changed] [--rebuild] [--sync]`."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from tracker.models import Enterprise, EvaluationRun, Tier
from tracker.pipeline.results_store import results_forget
from tracker.services.runs import last_full_run_started, run_as_of_check, run_start, run_sync


class Command(BaseCommand):
    help = "重新计算企业的梯度认定条件（默认全部企业、全部层级、以今天为基准日）。"

    def add_arguments(self, parser):
        parser.add_argument("--tier", action="append", dest="tiers", help="只计算该层级（可重复）")
        parser.add_argument("--as-of", type=dt.date.fromisoformat, help="评价基准日 YYYY-MM-DD")
        parser.add_argument("--enterprise", action="append", dest="usccs", help="只计算该统一社会信用代码的企业")
        parser.add_argument(
            "--changed", action="store_true", help="只计算上次全量运行以来数据有变动的企业（增量）"
        )
        parser.add_argument(
            "--rebuild",
            action="store_true",
            help="先删除全部已存结果及其输入摘要，再全量重新计算（用于恢复备份后或怀疑结果不一致时）",
        )
        parser.add_argument("--sync", action="store_true", help="在当前进程内完成，不经过任务队列")

    def handle(self, *args, tiers, as_of, usccs, changed, rebuild, sync, **options):
        try:
            run_as_of_check(as_of)  # before --rebuild forgets anything
        except ValidationError as error:
            raise CommandError("；".join(error.messages)) from error
        if rebuild and (tiers or usccs or changed):
            raise CommandError("--rebuild 重建全部结果，不能与 --tier、--enterprise 或 --changed 同时使用。")
        if tiers:
            unknown = set(tiers) - set(Tier.objects.values_list("code", flat=True))
            if unknown:
                raise CommandError(f"未知层级：{', '.join(sorted(unknown))}")
        enterprise_ids = None
        if usccs:
            found = dict(Enterprise.objects.filter(uscc__in=[u.upper() for u in usccs]).values_list("uscc", "id"))
            missing = {u.upper() for u in usccs} - set(found)
            if missing:
                raise CommandError(f"未找到企业：{', '.join(sorted(missing))}")
            enterprise_ids = list(found.values())
        changed_since = None
        if changed:
            if usccs:
                raise CommandError("--changed 与 --enterprise 不能同时使用。")
            changed_since = last_full_run_started()
            if changed_since is None:
                raise CommandError("还没有成功的全量运行，无法增量计算；请先运行一次全量计算。")
        if rebuild:
            # Forgetting the digests is what makes every enterprise be read again: without them a
            # full run would trust results that a restore or a bad write left behind.
            forgotten = results_forget()
            self.stdout.write(f"已删除 {forgotten} 条结果及其输入摘要，开始全量重新计算。")
        run = run_start(
            kind=EvaluationRun.Kind.MANUAL,
            as_of=as_of,
            tiers=tiers,
            enterprise_ids=enterprise_ids,
            changed_since=changed_since,
            dispatch=not sync,
        )
        if sync:
            run = run_sync(run=run)
        self.stdout.write(
            f"评价运行 #{run.pk}（{run.get_status_display()}）：基准日 {run.as_of}，年度 {run.fiscal_year}，"
            f"分片 {run.chunks_done}/{run.chunks_total}，检查 {run.evaluated} 项，写入 {run.changed} 项。"
        )
