import datetime
import decimal
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


# --- printing (issue 13): one page setup for every ledger -------------------------------------------------


def test_rmb_capital_numerals():
    from decimal import Decimal

    from grids.ledger import rmb_capital

    cases = {
        0: "零元整",
        400: "肆佰元整",
        3600: "叁仟陆佰元整",
        1005.5: "壹仟零伍元伍角",
        1010: "壹仟零壹拾元整",
        10001: "壹万零壹元整",
        100000: "壹拾万元整",
        1040000: "壹佰零肆万元整",
        60000.06: "陆万元零陆分",
        Decimal("0.08"): "捌分",
        Decimal("1.05"): "壹元零伍分",
        100000001: "壹亿零壹元整",
        Decimal("123456789.12"): "壹亿贰仟叁佰肆拾伍万陆仟柒佰捌拾玖元壹角贰分",
        -3: "负叁元整",
        "0.005": "壹分",  # rounded half up to the fen
    }
    assert {amount: rmb_capital(amount) for amount in cases} == cases


def test_page_setup_header_footer_widths_and_totals():
    from grids.ledger import Printed, column_width

    columns = [
        Column("户编号", 19, "code"),
        Column("户主", 8),
        Column("比率", kind="percent"),
        Column("金额(元)", kind="money", total=True),
        Column("走访情况", 60),
    ]
    rows = [
        ["4301820010010101001", "张三", 0.8118, decimal.Decimal("400.00"), "入户了解情况" * 12],
        ["4301820010010101002", "李四", None, decimal.Decimal("400.00"), "短"],
    ]
    buffer = io.BytesIO()
    counts = write_ledger(
        [
            Sheet(
                "台账",
                columns,
                rows,
                caption="甲村 走访台账 2026年1月",
                after_totals=lambda totals: [f"大写:{totals[3]}"],
            )
        ],
        buffer,
        printed=Printed("王五", datetime.datetime(2026, 2, 1, 9, 30)),
    )
    assert counts == {"台账": 2}  # the 合计 and 大写 rows are not data rows
    buffer.seek(0)
    ws = load_workbook(buffer)["台账"]
    assert ws.page_setup.paperSize == 9  # A4
    assert ws.page_setup.orientation == "landscape"  # wider than a portrait page
    assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (1, 0)
    assert ws.sheet_properties.pageSetUpPr.fitToPage is True
    assert ws.print_options.gridLines is True
    assert ws.print_title_rows == "$2:$2"
    assert ws.oddHeader.center.text == "甲村 走访台账 2026年1月"
    assert ws.oddFooter.left.text == "导出人:王五 导出时间:2026-02-01 09:30"
    assert ws.oddFooter.right.text == "第 &P 页 共 &N 页"
    assert "A1:E1" in {str(r) for r in ws.merged_cells.ranges}
    # widths from the content: the 19-digit number fits whole; the header wraps rather than widening
    assert ws.column_dimensions["A"].width >= 19 + 1
    assert ws.column_dimensions["A"].width == column_width(columns[0])
    assert ws["C3"].number_format == "0.0%" and ws["C3"].value == 0.8118
    assert ws["D3"].number_format == "#,##0.00"
    assert ws["E3"].alignment.wrap_text is True
    assert ws.row_dimensions[3].height >= 2 * 15  # 72 CJK characters in a 60-wide column: two lines or more
    assert ws.row_dimensions[4].height is None  # one line: the default height
    assert [c.value for c in ws[5]][:4] == ["合计", None, None, 400 * 2]
    assert ws["A6"].value == "大写:800.00" and "A6:E6" in {str(r) for r in ws.merged_cells.ranges}


def test_narrow_sheets_print_portrait_and_a_sheet_can_insist():
    buffer = io.BytesIO()
    write_ledger(
        [
            Sheet("窄", [Column("姓名", 8), Column("签名", 14)], [["张三", ""]]),
            Sheet("横", [Column("姓名", 8)], [["张三"]], landscape=True),
        ],
        buffer,
    )
    buffer.seek(0)
    wb = load_workbook(buffer)
    assert wb["窄"].page_setup.orientation == "portrait"
    assert wb["窄"].print_title_rows == "$1:$1"  # no caption: the header is row 1
    assert wb["横"].page_setup.orientation == "landscape"


def test_text_with_line_breaks_wraps_and_short_text_stays_plain():
    buffer = io.BytesIO()
    rows = [["第一行\n第二行\n第三行"], ["短"], [""]]
    write_ledger([Sheet("台账", [Column("走访情况", 40)], rows)], buffer)
    buffer.seek(0)
    ws = load_workbook(buffer)["台账"]
    assert ws["A2"].alignment.wrap_text is True and ws.row_dimensions[2].height >= 3 * 15
    assert not ws["A3"].alignment.wrap_text and ws.row_dimensions[3].height is None
    assert ws["A4"].value is None  # empty text writes nothing
