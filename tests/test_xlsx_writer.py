"""tracker/xlsx.py writes any text, whatever characters staff or an integrator typed into it."""

import io

from openpyxl import load_workbook

from tracker.xlsx import Styled, Table, write_tables

ODD = "甲\x01乙\x0b丙\x1f"
SHOWN = "甲\ufffd乙\ufffd丙\ufffd"


def values(table: Table) -> list[list]:
    sheet = load_workbook(io.BytesIO(write_tables([table]))).active
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


def test_control_characters_are_written_as_replacement_characters_in_every_kind_of_row():
    rows = [[ODD, 1], ["=1+1\x02", 2]]
    assert values(Table(title="t", headers=["名", ODD], rows=rows))[1:] == [[SHOWN, 1], ["=1+1\ufffd", 2]]
    assert values(Table(title="t", headers=["名", "数"], rows=rows, text_columns=[0]))[1][0] == SHOWN
    assert values(Table(title="t", headers=["名", "数"], rows=rows, number_formats={1: "0.00"}))[1][0] == SHOWN
    assert values(Table(title="t", headers=["名", "数"], rows=[Styled([ODD, 1])]))[1][0] == SHOWN
    assert values(Table(title="t", headers=["名", "数"], rows=rows, wrap=True))[1][0] == SHOWN
    assert values(Table(title="t", headers=["名", "数"], rows=rows, note_rows=1))[1][0] == SHOWN
    assert values(Table(title="t", headers=["名", "数"], rows=rows, title_lines=[ODD]))[0][0] == SHOWN
    assert values(Table(title="t", headers=["名", "数"], rows=[["行\n二\t三", 1]]))[1][0] == "行\n二\t三"
