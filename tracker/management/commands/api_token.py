"""API tokens from the command line: `api_token create|list|revoke USERNAME [--name N] [--days D]`."""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from tracker.models import ApiToken
from tracker.services.tokens import api_token_create, api_token_revoke


class Command(BaseCommand):
    help = "创建、列出或撤销某用户的接口令牌（令牌只在创建时显示一次）。"

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["create", "list", "revoke"])
        parser.add_argument("username")
        parser.add_argument("--name", default="", help="令牌名称（用途）；create 必填，revoke 时按名称撤销")
        parser.add_argument("--days", type=int, default=None, help="有效天数（默认见 TIDU_API_TOKEN_DAYS）")
        parser.add_argument("--key", default="", help="revoke：按令牌前 15 位撤销（list 中可见）")

    def handle(self, *args, action, username, name, days, key, **options):
        try:
            owner = get_user_model().objects.get(username=username)
        except get_user_model().DoesNotExist:
            raise CommandError(f"没有用户 {username}。") from None
        tokens = ApiToken.objects.filter(user=owner)
        if action == "create":
            try:
                token, secret = api_token_create(owner=owner, name=name, days=days)
            except ValidationError as exc:
                raise CommandError("; ".join(exc.messages)) from None
            until = timezone.localtime(token.expiry)
            self.stdout.write(f"已为 {username} 创建令牌“{token.name}”，有效期至 {until:%Y-%m-%d %H:%M}。")
            self.stdout.write("令牌只显示这一次，请妥善保存：")
            self.stdout.write(f"Token {secret}")
        elif action == "list":
            for token in tokens:
                state = "已过期" if token.expired else "有效"
                expiry = timezone.localtime(token.expiry).strftime("%Y-%m-%d") if token.expiry else "不过期"
                created = timezone.localtime(token.created)
                self.stdout.write(f"{token.token_key}…\t{token.name}\t创建于 {created:%Y-%m-%d}\t至 {expiry}\t{state}")
            if not tokens:
                self.stdout.write(f"{username} 没有接口令牌。")
        else:
            if not (name or key):
                raise CommandError("请用 --name 或 --key 指明要撤销的令牌（见 list）。")
            chosen = tokens.filter(name=name) if name else tokens.filter(token_key=key.rstrip("…"))
            if not chosen:
                raise CommandError("没有匹配的令牌（见 api_token list）。")
            for token in chosen:
                api_token_revoke(token=token)
            self.stdout.write(f"已撤销 {len(chosen)} 个令牌。")
