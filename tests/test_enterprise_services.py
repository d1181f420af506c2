import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError

from tests.factories import EnterpriseFactory, RegionFactory, UserFactory, give_office, make_uscc
from tracker.models import Enterprise
from tracker.services.enterprises import enterprise_create, enterprise_update

pytestmark = pytest.mark.django_db

PILOT_CODE = "91350203M0001QAY9B"  # legally issued, fails the check digit


def test_it_creates_an_enterprise_and_records_who_did_it(staff_user):
    region = RegionFactory()
    enterprise = enterprise_create(user=staff_user, uscc=make_uscc(), name="苏州甲科技有限公司", region=region)
    assert enterprise.history.get().history_user == staff_user


def test_it_rejects_a_wrong_check_digit_and_says_which_character_is_expected(staff_user):
    code = make_uscc()
    wrong = "0" if code[17] != "0" else "1"
    with pytest.raises(ValidationError) as excinfo:
        enterprise_create(user=staff_user, uscc=code[:17] + wrong, name="甲", region=RegionFactory())
    assert f"应为“{code[17]}”" in excinfo.value.message_dict["uscc"][0]
    assert not Enterprise.objects.exists()


def test_an_override_needs_the_dedicated_permission(staff_user):
    with pytest.raises(ValidationError) as excinfo:
        enterprise_create(
            user=staff_user, uscc=PILOT_CODE, uscc_check_override="早期试点代码", name="甲", region=RegionFactory()
        )
    assert "uscc_check_override" in excinfo.value.message_dict


def test_a_user_with_the_permission_may_override_with_a_reason():
    user = UserFactory(username="checker")
    user.user_permissions.add(Permission.objects.get(codename="override_uscc_check"))
    give_office(user)
    enterprise = enterprise_create(
        user=user, uscc=PILOT_CODE, uscc_check_override="福建早期试点地区依法核发", name="甲", region=RegionFactory()
    )
    assert enterprise.history.get().uscc_check_override == "福建早期试点地区依法核发"


def test_an_override_without_a_reason_is_still_rejected():
    user = UserFactory(username="checker")
    user.user_permissions.add(Permission.objects.get(codename="override_uscc_check"))
    with pytest.raises(ValidationError):
        enterprise_create(user=user, uscc=PILOT_CODE, name="甲", region=RegionFactory())


def test_an_update_that_does_not_touch_the_code_does_not_recheck_it(staff_user):
    enterprise = EnterpriseFactory(uscc=PILOT_CODE, uscc_check_override="试点")
    enterprise_update(enterprise=enterprise, user=staff_user, name="新名称")
    enterprise.refresh_from_db()
    assert enterprise.name == "新名称"


def test_a_listing_date_before_founding_is_rejected(staff_user):
    from datetime import date

    with pytest.raises(ValidationError) as excinfo:
        enterprise_create(
            user=staff_user,
            uscc=make_uscc(),
            name="甲",
            region=RegionFactory(),
            founded_on=date(2020, 1, 1),
            listed=True,
            listed_on=date(2019, 1, 1),
        )
    assert "listed_on" in excinfo.value.message_dict
