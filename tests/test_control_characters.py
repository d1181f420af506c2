"""A control character in typed text (invisible, pasted in, unwritable into an xlsx cell) is refused at
every door — the API, the admin's forms, the Excel imports — naming the field and the character, and
nothing is stored. Tab and line breaks are ordinary text."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from tests.admin.test_enterprise_admin import ADD_URL, enterprise_post
from tests.api.conftest import token_client
from tests.factories import EnterpriseFactory, RegionFactory, make_uscc
from tests.imports.conftest import suzhou, workbook  # noqa: F401 (suzhou: a fixture)
from tests.imports.test_enterprise_import import HEADERS, TODAY
from tracker import imports
from tracker.models import Designation, Enterprise
from tracker.text import control_character_message

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "text, code",
    [("恒达\x0e科技", "U+000E"), ("\x01甲", "U+0001"), ("甲\x1f", "U+001F"), ("甲\x0b乙", "U+000B"), ("甲\x0c", "U+000C")],
)
def test_the_message_names_the_character(text, code):
    message = control_character_message(text)
    assert code in message and "控制字符" in message


def test_tab_and_line_breaks_are_text_and_a_nul_keeps_its_own_message():
    assert control_character_message("甲\t乙\r\n丙") is None
    assert "空字符" in control_character_message("甲\x00")


def test_an_excel_escape_of_one_is_read_only_in_a_workbooks_cell():
    assert control_character_message("恒达_x000B_科技") is None  # typed text: just letters
    assert "U+000B" in control_character_message("恒达_x000B_科技", xlsx_escapes=True)
    assert control_character_message("甲_x0009_乙_x000A_", xlsx_escapes=True) is None  # tab, line feed


def test_the_model_refuses_it_on_full_clean():
    firm = EnterpriseFactory.build(name="恒达\x0e科技", region=RegionFactory())
    with pytest.raises(ValidationError) as error:
        firm.full_clean(validate_unique=False)
    assert "U+000E" in str(error.value.message_dict["name"])


def test_the_api_refuses_it_naming_the_field_and_stores_nothing(staff_user):
    client = token_client(staff_user)
    firm = EnterpriseFactory(name="恒达科技")
    response = client.patch(f"/api/v1/enterprises/{firm.pk}/", {"main_product": "轴承\x07"}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["main_product"]
    assert "U+0007" in response.json()["main_product"][0]
    firm.refresh_from_db()
    assert firm.main_product == ""

    body = {"enterprise": firm.pk, "tier": "little_giant", "recognized_on": "2025-01-01", "note": "甲\x1b"}
    response = client.post("/api/v1/designations/", body, format="json")
    assert response.status_code == 400 and "U+001B" in response.json()["note"][0]
    assert not Designation.objects.exists()

    response = client.patch(f"/api/v1/enterprises/{firm.pk}/", {"main_product": "轴承\t滚子"}, format="json")
    assert response.status_code == 200, response.json()


def test_the_admin_form_refuses_it_on_the_field(admin_client):
    region = RegionFactory()
    data = enterprise_post(region, make_uscc(region.code), name="苏州\x0e测试科技有限公司")
    response = admin_client.post(reverse(ADD_URL), data)
    assert response.status_code == 200  # the form again, with its error
    assert "U+000E" in str(response.context["adminform"].form.errors["name"])
    assert not Enterprise.objects.exists()


@pytest.mark.usefixtures("suzhou")
def test_the_import_refuses_the_cell_naming_row_and_column():
    plan = imports.dry_run(
        "enterprises",
        io.BytesIO(workbook(HEADERS, [1, make_uscc("320500"), "甲_x000B_公司", "苏州市", "", "", "", "", ""])),
        today=TODAY,
    )
    lines = "\n".join(plan.error_lines())
    assert "第 2 行，“企业名称”：不能包含控制字符（U+000B" in lines
