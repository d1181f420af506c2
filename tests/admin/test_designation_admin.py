from django.urls import reverse

from tracker.models import Designation


def designation_post(designation, **changes):
    data = {
        "enterprise": designation.enterprise_id,
        "tier": designation.tier_id,
        "cluster": "",
        "status": designation.status,
        "batch": designation.batch,
        "document_no": designation.document_no,
        "recognized_on": designation.recognized_on.isoformat(),
        "valid_until": designation.valid_until.isoformat(),
        "note": "",
    }
    data.update(changes)
    return data


def test_a_forbidden_transition_shows_on_the_status_field(admin_client, world):
    designation = world["designation"]  # candidate
    url = reverse("admin:tracker_designation_change", args=[designation.pk])
    response = admin_client.post(url, designation_post(designation, status="active"))
    assert response.status_code == 200
    assert "认定状态不能从" in response.context["adminform"].form.errors["status"][0]
    designation.refresh_from_db()
    assert designation.status == "candidate"


def test_an_allowed_transition_is_saved_with_history(admin_client, world):
    designation = world["designation"]
    url = reverse("admin:tracker_designation_change", args=[designation.pk])
    response = admin_client.post(url, designation_post(designation, status="publicized"))
    assert response.status_code == 302
    designation.refresh_from_db()
    assert designation.status == "publicized"
    assert designation.history.first().history_user.username == "admin"


def test_a_model_error_from_the_service_lands_on_its_field(admin_client, world):
    designation = world["designation"]
    url = reverse("admin:tracker_designation_change", args=[designation.pk])
    response = admin_client.post(url, designation_post(designation, valid_until="2020-01-01"))
    assert response.status_code == 200
    assert "valid_until" in response.context["adminform"].form.errors


def test_the_due_soon_filter_lists_designations_ending_within_90_days(admin_client, world, settings):
    from datetime import timedelta

    from django.utils import timezone

    designation = world["designation"]
    Designation.objects.filter(pk=designation.pk).update(valid_until=timezone.localdate() + timedelta(days=30))
    response = admin_client.get(reverse("admin:tracker_designation_changelist"), {"due": "soon"})
    assert list(response.context["cl"].result_list) == [designation]
    Designation.objects.filter(pk=designation.pk).update(valid_until=timezone.localdate() + timedelta(days=200))
    response = admin_client.get(reverse("admin:tracker_designation_changelist"), {"due": "soon"})
    assert list(response.context["cl"].result_list) == []


def test_it_shows_dates_as_iso(admin_client, world):
    content = admin_client.get(reverse("admin:tracker_designation_changelist")).content.decode()
    assert "2027-05-31" in content


def test_the_search_finds_a_fragment_of_the_name_or_a_document_number_typed_in_full(admin_client, world):
    designation = world["designation"]
    url = reverse("admin:tracker_designation_changelist")
    by_name = admin_client.get(url, {"q": designation.enterprise.name[2:4]}).context["cl"].result_list
    by_number = admin_client.get(url, {"q": designation.document_no}).context["cl"].result_list
    neither = admin_client.get(url, {"q": "无此企业"}).context["cl"].result_list
    assert [d.pk for d in by_name] == [d.pk for d in by_number] == [designation.pk] and not list(neither)
