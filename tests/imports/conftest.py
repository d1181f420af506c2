import io

import pytest
from openpyxl import Workbook

from tests.factories import RegionFactory


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def suzhou(db):
    city = RegionFactory(code="320500", name="苏州市")
    RegionFactory(code="320583", name="昆山市", level="county", parent=city)
    return city


def workbook(headers, *rows, title_lines=()) -> bytes:
    """An xlsx as staff would fill it: optional title lines, the header row, data rows."""
    book = Workbook()
    sheet = book.active
    for line in title_lines:
        sheet.append([line])
    sheet.append(list(headers))
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    return buffer.getvalue()
