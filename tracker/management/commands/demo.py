"""One command for the quickstart: a working Tidu with demo data on the embedded default."""

import secrets

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand

from tracker.models import Enterprise, Region
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
        if not Enterprise.objects.exists():
            call_command("generate_demo", enterprises=enterprises, seed=seed)
        else:
            self.stdout.write("演示企业已存在，跳过生成。")
        call_command("recompute", sync=True)
        self._print_login()

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
