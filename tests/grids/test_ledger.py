import datetime
import io

from openpyxl import load_workbook

from grids.ledger import Column, Sheet, write_ledger


def _write(rows, columns=None):
    columns = columns or [
        Column("名称"),
        Column("数量", kind="int"),
        Column("日期", kind="date"),
        Column("电话"),
    ]
    buffer = io.BytesIO()
    counts = write_ledger([Sheet("台账", columns, rows, caption="甲村 2026年1月")], buffer)
    buffer.seek(0)
    return counts, load_workbook(buffer)


def test_title_header_types_and_frozen_header():
    counts, wb = _write([["张三", 3, datetime.date(2026, 1, 5), "13812345678"]])
    ws = wb["台账"]
    assert counts == {"台账": 1}
    assert ws["A1"].value == "甲村 2026年1月"
    assert [c.value for c in ws[2]] == ["名称", "数量", "日期", "电话"]
    assert ws.freeze_panes == "A3"
    assert ws["B3"].value == 3 and ws["B3"].data_type == "n"
    assert ws["C3"].value == datetime.datetime(2026, 1, 5)
    assert ws["D3"].value == "13812345678" and ws["D3"].data_type == "s"


def test_formula_like_text_is_never_a_formula():
    rows = [["=SUM(A1:A2)", 1, None, "+8613812345678"], ["@cmd", 2, None, "-1"]]
    _, wb = _write(rows)
    ws = wb["台账"]
    for row in ws.iter_rows():
        for cell in row:
            assert cell.data_type != "f", cell.coordinate
    assert ws["A3"].value == "=SUM(A1:A2)"
    assert ws["A4"].value == "@cmd"


def test_aware_datetimes_are_written_in_shanghai_time():
    from zoneinfo import ZoneInfo

    moment = datetime.datetime(2026, 1, 31, 16, 30, tzinfo=ZoneInfo("UTC"))
    _, wb = _write(
        [["x", 1, moment, ""]],
        columns=[Column("a"), Column("b", kind="int"), Column("c", kind="datetime"), Column("d")],
    )
    assert wb["台账"]["C3"].value == datetime.datetime(2026, 2, 1, 0, 30)


def test_openpyxl_writes_with_lxml():
    """Large ledgers stream through openpyxl's lxml writer (pyproject pins lxml; docs/benchmarks.md)."""
    from openpyxl.xml import LXML

    assert LXML is True
