"""One command for the quickstart: a working Tidu with demo data on the embedded default."""

import secrets

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.utils import timezone

from tracker.demo.nights import demo_nights, tier_counts
from tracker.models import Enterprise, Region, Tier
from tracker.services.roles import role_grant
from tracker.services.tokens import api_token_create


class Command(BaseCommand):
    help = "迁移数据库、载入参考数据、生成演示企业、计算认定条件，并创建管理员账号。"

    def add_arguments(self, parser):
        parser.add_argument("--enterprises", type=int, default=2000)
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args, enterprises, seed, **options):
        call_command("migrate", verbosity=0)
        call_command("bootstrap")
        today = timezone.localdate()
        if not Enterprise.objects.exists():
            call_command("generate_demo", enterprises=enterprises, seed=seed)
            # Last night's run, a day of edits, tonight's run: the change feed has gains and losses.
            runs = demo_nights(today=today, enterprises=enterprises)
            for label, run in (("昨晚", runs["yesterday"]), ("今晚", runs["today"])):
                status = run.get_status_display()
                self.stdout.write(f"{label}例行计算 #{run.pk}（{status}）：基准日 {run.as_of}，写入 {run.changed} 项。")
        else:
            self.stdout.write("演示企业已存在，跳过生成。")
            call_command("recompute", sync=True)
        self._print_counts(today)
        self._print_login()

    def _print_counts(self, today):
        names = dict(Tier.objects.values_list("code", "name_zh"))
        header = ("层级", "持有", "符合", "不符合", "接近达标", "数据不足", "新符合", "不再符合")
        self.stdout.write("\n" + "  ".join(header))
        for row in tier_counts(as_of=today):
            values = [
                row[k] for k in ("held", "eligible", "not_eligible", "near_miss", "insufficient", "gained", "lost")
            ]
            self.stdout.write(f"{names.get(row['tier'], row['tier'])}  " + "  ".join(f"{v:,}" for v in values))

    def _print_login(self):
        password = secrets.token_urlsafe(9)
        user, _ = get_user_model().objects.get_or_create(
            username="admin", defaults={"is_staff": True, "is_superuser": True, "email": "admin@example.cn"}
        )
        user.set_password(password)
        user.save()
        _token, token = api_token_create(owner=user, name="make demo")
        city_password, city_token = self._city_account()
        self.stdout.write(
            self.style.SUCCESS(
                f"\n管理后台 http://127.0.0.1:8000/admin/  用户名 admin  密码 {password}\n"
                f"南京市业务人员（只看南京市的企业）  用户名 nanjing  密码 {city_password}\n"
                "接口文档 http://127.0.0.1:8000/api/docs/\n"
                f'curl -H "Authorization: Token {token}" http://127.0.0.1:8000/api/v1/enterprises/\n'
                f'curl -H "Authorization: Token {city_token}" http://127.0.0.1:8000/api/v1/enterprises/  # 南京市\n'
            )
        )

    def _city_account(self):
        """A city bureau's account, to see what a city sees (docs/accounts.md)."""
        password = secrets.token_urlsafe(9)
        user, _ = get_user_model().objects.get_or_create(username="nanjing", defaults={"email": "nanjing@example.cn"})
        user.set_password(password)
        user.save()
        nanjing = Region.objects.get(code="320100")
        role_grant(user=user, role="region_staff", region=nanjing, unit="南京市工业和信息化局", note="make demo")
        _token, token = api_token_create(owner=user, name="make demo")
        return password, token
