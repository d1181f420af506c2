"""API tokens (knox: hashed, named, expiring, several per user, revocable), throttling in the shared
cache, the admin's login lockout, and the headers that keep API answers out of caches."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from tests.api.conftest import user_with_perms
from tests.factories import UserFactory
from tracker.models import ApiToken
from tracker.services.tokens import api_token_create

pytestmark = pytest.mark.django_db

URL = "/api/v1/enterprises/"


def client_with(secret: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    return client


def test_a_token_is_stored_hashed_named_and_expiring():
    user = user_with_perms("view_enterprise")
    _token, secret = api_token_create(owner=user, name="南京市数据平台", days=30)
    stored = ApiToken.objects.get()
    assert secret not in (stored.digest, stored.token_key) and stored.token_key == secret[:15]
    assert stored.name == "南京市数据平台"
    assert timedelta(days=29) < stored.expiry - stored.created <= timedelta(days=30)
    assert client_with(secret).get(URL).status_code == 200


def test_several_tokens_per_user_and_revoking_one_leaves_the_others():
    user = user_with_perms("view_enterprise")
    _first, first_secret = api_token_create(owner=user, name="生产")
    _second, second_secret = api_token_create(owner=user, name="测试")
    call_command("api_token", "revoke", user.username, "--name", "生产", stdout=StringIO())
    assert client_with(first_secret).get(URL).status_code == 401
    assert client_with(second_secret).get(URL).status_code == 200


def test_an_expired_token_is_refused_and_stays_listed_as_expired(time_machine):
    user = user_with_perms("view_enterprise")
    _token, secret = api_token_create(owner=user, name="短期", days=1)
    time_machine.move_to(timezone.now() + timedelta(days=2))
    assert client_with(secret).get(URL).status_code == 401
    listing = StringIO()
    call_command("api_token", "list", user.username, stdout=listing)
    assert "短期" in listing.getvalue() and "已过期" in listing.getvalue()


def test_the_command_shows_the_token_once_and_lists_names_never_secrets():
    user = user_with_perms("view_enterprise")
    out = StringIO()
    call_command("api_token", "create", user.username, "--name", "数据平台", "--days", "7", stdout=out)
    secret = out.getvalue().split("Token ")[1].split()[0]
    assert client_with(secret).get(URL).status_code == 200
    listing = StringIO()
    call_command("api_token", "list", user.username, stdout=listing)
    assert "数据平台" in listing.getvalue() and secret not in listing.getvalue()
    with pytest.raises(CommandError, match="名称"):
        call_command("api_token", "create", user.username, stdout=StringIO())


def test_the_admin_creates_a_token_shows_it_once_and_revokes_it(admin_user):
    owner = UserFactory(username="platform")
    client = APIClient()
    client.force_login(admin_user)
    add = reverse("admin:tracker_apitoken_add")
    response = client.post(add, {"user": owner.pk, "name": "数据平台", "days": 30}, follow=True)
    assert response.status_code == 200
    shown = [str(m) for m in response.context["messages"]]
    secret = shown[0].split("<code>")[1].split("</code>")[0]
    token = ApiToken.objects.get(user=owner)
    assert token.name == "数据平台" and secret.startswith(token.token_key)
    page = client.get(reverse("admin:tracker_apitoken_change", args=[token.pk])).content.decode()
    assert secret not in page
    changelist = reverse("admin:tracker_apitoken_changelist")
    client.post(changelist, {"action": "revoke_selected", "_selected_action": [token.pk]})
    assert not ApiToken.objects.exists()


def test_anonymous_requests_are_throttled_in_the_shared_cache(monkeypatch, client):
    # Views read the throttle classes and rates when they are defined (the test settings have none).
    monkeypatch.setattr(APIView, "throttle_classes", [AnonRateThrottle])
    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", {"anon": "2/minute"})
    cache.clear()
    statuses = [client.get("/api/docs/").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert any(key.startswith(":1:throttle_anon_") for key in cache._cache)  # counted in the default cache
    cache.clear()


def test_api_answers_are_not_stored_by_any_cache(staff_client):
    assert staff_client.get(URL)["Cache-Control"] == "no-store"
    assert staff_client.get("/api/nothing/")["Cache-Control"] == "no-store"


def test_the_admin_locks_a_username_out_after_five_failures_in_chinese(client, admin_user):
    login = reverse("admin:login")
    for _ in range(5):
        client.post(login, {"username": "admin", "password": "wrong"})
    response = client.post(login, {"username": "admin", "password": "wrong"})
    assert response.status_code == 429
    assert "登录失败次数过多" in response.content.decode()
    # Locked even with the right password, until the cool-off ends.
    admin_user.set_password("right-password-123")
    admin_user.save()
    assert client.post(login, {"username": "admin", "password": "right-password-123"}).status_code == 429


def test_the_admin_and_docs_send_a_content_security_policy_that_needs_nothing_outside(client, admin_user):
    client.force_login(admin_user)
    for url in ("/admin/", "/api/docs/"):
        policy = client.get(url)["Content-Security-Policy"]
        assert "default-src 'self'" in policy and "script-src 'self'" in policy
        assert "http" not in policy  # no CDN
    assert "<script>" not in client.get("/api/docs/").content.decode()  # the initialiser is a file
    assert client.get("/api/docs/?script=").status_code == 200
