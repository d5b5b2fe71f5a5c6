"""The fill-in .xlsx of each ledger kind: a header row, dropdowns from the dictionary, number formats, 填表说明."""

from __future__ import annotations

import io
from collections.abc import Sequence

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation

from services.rare_earth.domain.ledgers import COLUMNS, KINDS, MAX_ROWS

# Rows pre-formatted and covered by the dropdowns; more rows may be added below them.
FORMATTED_ROWS = 1000
LISTS_SHEET = "字典"
GUIDE_SHEET = "填表说明"
NUMBER_FORMATS = {"date": "yyyy-mm-dd", "kg": "0.000", "kg0": "0.000"}


def template_bytes(kind: str, products: Sequence[tuple[str, str]], customs_codes: Sequence[str]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = KINDS[kind]
    columns = COLUMNS[kind]
    sheet.append([c.header for c in columns])
    for index, column in enumerate(columns, start=1):
        cell = sheet.cell(row=1, column=index)
        cell.font = Font(bold=True, color="C00000" if column.required else "000000")
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
        sheet.column_dimensions[get_column_letter(index)].width = column.width
        number_format = NUMBER_FORMATS.get(column.type, "@")
        for row in range(2, FORMATTED_ROWS + 2):
            sheet.cell(row=row, column=index).number_format = number_format
    sheet.freeze_panes = "A2"

    lists = workbook.create_sheet(LISTS_SHEET)
    lists.append(["产品类别", "产品名称", "出口产品编号"])
    categories = sorted({category for category, _ in products})
    names = sorted({name for _, name in products})
    for row in range(max(len(categories), len(names), len(customs_codes))):
        lists.append([categories[row] if row < len(categories) else None,
                      names[row] if row < len(names) else None,
                      customs_codes[row] if row < len(customs_codes) else None])
    lists.sheet_state = "hidden"
    source = {"category": ("A", len(categories)), "product": ("B", len(names)),
              "customs": ("C", len(customs_codes))}
    for index, column in enumerate(columns, start=1):
        if column.type in source:
            letter, count = source[column.type]
            if not count:
                continue
            validation = DataValidation(
                type="list", formula1=f"{quote_sheetname(LISTS_SHEET)}!${letter}$2:${letter}${count + 1}",
                allow_blank=not column.required, showErrorMessage=True, errorTitle=column.header,
                error=column.note)
            target = get_column_letter(index)
            validation.add(f"{target}2:{target}{FORMATTED_ROWS + 1}")
            sheet.add_data_validation(validation)

    guide = workbook.create_sheet(GUIDE_SHEET)
    guide.append(["列", "栏目", "填写要求"])
    for cell in guide[1]:
        cell.font = Font(bold=True)
    for index, column in enumerate(columns):
        guide.append([get_column_letter(index + 1), column.header, column.note])
    guide.append([])
    for line in (
        f"1. 在“{KINDS[kind]}”工作表第2行起逐行填写，不要修改表头，不要增删列。",
        "2. 产品类别、产品名称须与数据字典中的稀土产品名称列表一致；出口产品编号须与海关产品目录一致。",
        "3. 数量单位为千克，最多保留3位小数。",
        f"4. 每个文件最多{MAX_ROWS}行；上传时选择报送的年份和月份，日期须在该月内。",
        "5. 报送期内可多次上传，系统保留最近一次确认导入的数据；报送截止后需提交数据覆盖申请。",
    ):
        guide.append([line])
    guide.column_dimensions["A"].width = 8
    guide.column_dimensions["B"].width = 24
    guide.column_dimensions["C"].width = 70
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
