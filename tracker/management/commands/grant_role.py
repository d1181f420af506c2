import secrets

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from tracker.models import Region, Role
from tracker.services.roles import role_grant, role_revoke

REVOKE = "none"


class Command(BaseCommand):
    help = (
        "授予用户角色及所属地区（记入授权记录）。Give a user a role and the region they work for; "
        f"ROLE {REVOKE} takes the role away. See docs/accounts.md."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("role", choices=[*Role.values, REVOKE])
        parser.add_argument("--region", help="行政区划代码，如 320100（南京市）、320506（吴中区）；省级角色可省略。")
        parser.add_argument("--unit", help="工作单位，如“南京市工业和信息化局”。")
        parser.add_argument("--note", default="", help="授权说明，记入授权记录。")
        parser.add_argument(
            "--create", action="store_true", help="账号不存在时新建，并打印一次性的初始密码（请用户登录后修改）。"
        )

    def handle(self, *args, username, role, region, unit, note, create, **options):
        User = get_user_model()
        password = None
        try:
            user = User.objects.get(username=username)
        except User.DoesNotExist:
            if not create:
                raise CommandError(f"用户“{username}”不存在（加 --create 新建，或在管理后台创建账号）。") from None
            password = secrets.token_urlsafe(12)
            user = User.objects.create_user(username=username, password=password)
        try:
            if role == REVOKE:
                role_revoke(user=user, note=note)
                self.stdout.write(self.style.SUCCESS(f"{username}: 已撤销角色与所属地区。"))
                return
            office_region = None
            if region:
                office_region = Region.objects.filter(code=region.strip()).first()
                if office_region is None:
                    raise CommandError(f"--region {region}: 没有该行政区划代码（bootstrap 载入了江苏省的市、县两级）。")
            grant = role_grant(user=user, role=role, region=office_region, unit=unit, note=note)
        except ValidationError as exc:
            messages = "；".join(f"{field}: {'；'.join(errors)}" for field, errors in exc.message_dict.items())
            raise CommandError(messages) from None
        self.stdout.write(
            self.style.SUCCESS(f"{username}: {grant.get_role_display()} · {grant.region}（授权记录 #{grant.pk}）")
        )
        if password:
            self.stdout.write(f"新建账号 {username} 的初始密码：{password}（只显示这一次）")
