"""A reusable API test base in the spirit of NetBox's APIViewTestCases.

A resource's test class declares `basename`, `model`, `update_data` and whether the model keeps
history (`audited`), and implements `make_object()` and `create_data()`. It then gets the
authentication, permission and CRUD tests below.
"""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from tests.api.conftest import token_client, user_with_perms


@pytest.mark.django_db
class ResourceTests:
    basename: str = ""
    model = None
    audited: bool = False
    update_data: dict = {}
    # Permissions beyond the model's add/change/delete/view that a write in update_data needs.
    extra_permissions: tuple[str, ...] = ()

    def make_object(self):
        raise NotImplementedError

    def create_data(self) -> dict:
        raise NotImplementedError

    def lookup(self, obj):
        return obj.pk

    # helpers

    def list_url(self) -> str:
        return reverse(f"api:{self.basename}-list")

    def detail_url(self, obj) -> str:
        return reverse(f"api:{self.basename}-detail", args=[self.lookup(obj)])

    def client_with(self, *actions: str):
        model_name = self.model._meta.model_name
        extra = self.extra_permissions if set(actions) & {"add", "change", "delete"} else ()
        user = user_with_perms(*(f"{action}_{model_name}" for action in actions), *extra)
        return user, token_client(user)

    def assert_history_user(self, obj_pk, history_type: str, user) -> None:
        if not self.audited:
            return
        row = self.model.history.filter(id=obj_pk, history_type=history_type).latest("history_id")
        assert row.history_user == user

    # authentication and permissions

    def test_anonymous_requests_get_401(self):
        obj = self.make_object()
        assert APIClient().get(self.list_url()).status_code == 401
        assert APIClient().get(self.detail_url(obj)).status_code == 401

    def test_users_without_the_view_permission_get_403(self):
        obj = self.make_object()
        _, client = self.client_with()
        assert client.get(self.list_url()).status_code == 403
        assert client.get(self.detail_url(obj)).status_code == 403

    def test_the_view_permission_does_not_allow_writes(self):
        obj = self.make_object()
        _, client = self.client_with("view")
        assert client.post(self.list_url(), self.create_data(), format="json").status_code == 403
        assert client.patch(self.detail_url(obj), self.update_data, format="json").status_code == 403
        assert client.delete(self.detail_url(obj)).status_code == 403

    # CRUD

    def test_list(self):
        self.make_object()
        _, client = self.client_with("view")
        response = client.get(self.list_url())
        assert response.status_code == 200
        assert response.json()["count"] == self.model.objects.count()

    def test_retrieve(self):
        obj = self.make_object()
        _, client = self.client_with("view")
        response = client.get(self.detail_url(obj))
        assert response.status_code == 200, response.json()

    def test_create(self):
        user, client = self.client_with("view", "add")
        data = self.create_data()
        before = self.model.objects.count()
        response = client.post(self.list_url(), data, format="json")
        assert response.status_code == 201, response.json()
        assert self.model.objects.count() == before + 1
        pk = response.json().get("id", response.json().get("code"))
        self.assert_history_user(pk, "+", user)

    def put_data(self, obj) -> dict:
        """A whole representation for PUT (subclasses keep what may not change, such as an owner)."""
        return {**self.create_data(), **self.update_data}

    def test_update(self):
        obj = self.make_object()
        user, client = self.client_with("view", "change")
        data = self.put_data(obj)
        response = client.put(self.detail_url(obj), data, format="json")
        assert response.status_code == 200, response.json()
        self.assert_fields_saved(obj, self.update_data)
        self.assert_history_user(obj.pk, "~", user)

    def test_partial_update(self):
        obj = self.make_object()
        user, client = self.client_with("view", "change")
        response = client.patch(self.detail_url(obj), self.update_data, format="json")
        assert response.status_code == 200, response.json()
        self.assert_fields_saved(obj, self.update_data)
        self.assert_history_user(obj.pk, "~", user)

    def test_delete(self):
        obj = self.make_object()
        user, client = self.client_with("view", "delete")
        response = client.delete(self.detail_url(obj))
        assert response.status_code == 204
        assert not self.model.objects.filter(pk=obj.pk).exists()
        self.assert_history_user(obj.pk, "-", user)

    # versions (api/versioning.py): ETag out, If-Match in

    def versioned(self) -> bool:
        return any(f.name == "version" for f in self.model._meta.concrete_fields)

    def test_reads_and_writes_carry_the_version_as_etag(self):
        if not self.versioned():
            return
        obj = self.make_object()
        _, client = self.client_with("view", "change")
        read = client.get(self.detail_url(obj))
        assert read["ETag"] == f'"{obj.version}"' and read.json()["version"] == obj.version
        written = client.patch(self.detail_url(obj), self.update_data, format="json", HTTP_IF_MATCH=read["ETag"])
        assert written.status_code == 200, written.json()
        assert written["ETag"] == f'"{obj.version + 1}"' == f'"{written.json()["version"]}"'

    def test_a_stale_if_match_is_a_412_with_the_current_version_and_nothing_written(self):
        if not self.versioned():
            return
        obj = self.make_object()
        _, client = self.client_with("view", "change", "delete")
        stale = f'"{obj.version + 5}"'
        response = client.patch(self.detail_url(obj), self.update_data, format="json", HTTP_IF_MATCH=stale)
        assert response.status_code == 412
        assert response.json()["current_version"] == obj.version and response["ETag"] == f'"{obj.version}"'
        assert "此记录已被他人修改" in response.json()["detail"]
        assert self.model.history.filter(id=obj.pk, history_type="~").count() == 0
        assert client.delete(self.detail_url(obj), HTTP_IF_MATCH=stale).status_code == 412
        assert self.model.objects.filter(pk=obj.pk).exists()

    def test_a_malformed_if_match_is_a_400(self):
        if not self.versioned():
            return
        obj = self.make_object()
        _, client = self.client_with("view", "change")
        response = client.patch(self.detail_url(obj), self.update_data, format="json", HTTP_IF_MATCH="abc")
        assert response.status_code == 400

    def test_if_match_can_be_required(self, settings):
        if not self.versioned():
            return
        settings.TIDU = {**settings.TIDU, "REQUIRE_IF_MATCH": True}
        obj = self.make_object()
        _, client = self.client_with("view", "change")
        assert client.patch(self.detail_url(obj), self.update_data, format="json").status_code == 428
        response = client.patch(self.detail_url(obj), self.update_data, format="json", HTTP_IF_MATCH="*")
        assert response.status_code == 200

    def test_an_unknown_object_gets_404(self):
        _, client = self.client_with("view")
        assert client.get(self.list_url() + "999999/").status_code == 404

    def assert_fields_saved(self, obj, data: dict) -> None:
        _, client = self.client_with("view")
        saved = client.get(self.detail_url(obj)).json()
        for name, value in data.items():
            assert saved[name] == value, name
