"""Typed formats: Parquet and XLSX deliveries, read by contract and turned into bronze text.

Native values become the text the layout's date format would have written, so staging parses every
layout the same way: dates `YYYY-MM-DD`, date-times `YYYY-MM-DDTHH:MM:SS` (fractions of a second kept
after a dot), numbers as written (whole numbers without `.0`), booleans `true`/`false`, nested Parquet
values as compact JSON.
"""

from __future__ import annotations

import datetime as dt
import json
import zipfile
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from oe_platform.contracts import Contract, FileSpec, Layout
from oe_platform.landing.cells import MAX_FIELD_CHARS
from oe_platform.landing.parse import (
    FileRejected,
    Flag,
    ParsedFile,
    RowCollector,
    check_header,
    contract_ref,
    flag_table,
    note_absent_columns,
)

# An .xlsx is a ZIP of XML: refuse archives that would inflate beyond these (zip bombs).
MAX_XLSX_UNCOMPRESSED = 1 << 30
MAX_XLSX_RATIO = 200


# ---------------------------------------------------------------------------------------------
# Parquet


def _arrow_text(values: pa.ChunkedArray, where: str, column: str) -> pa.ChunkedArray:
    """One Parquet column as text."""
    kind = values.type
    if pa.types.is_dictionary(kind):
        values = values.cast(kind.value_type)
        kind = values.type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        text = values.cast(pa.string())
    elif pa.types.is_null(kind):
        text = pa.chunked_array([pa.nulls(len(values), pa.string())])
    elif pa.types.is_date(kind):
        text = pc.strftime(values, "%Y-%m-%d")
    elif pa.types.is_timestamp(kind):
        if kind.tz is not None:
            values = values.cast(pa.timestamp(kind.unit))  # the stored UTC instant, as written
        text = pc.strftime(values, "%Y-%m-%dT%H:%M:%S")
        text = pc.replace_substring_regex(text, r"\.0+$", "")  # whole seconds print without a fraction
    elif pa.types.is_boolean(kind) or pa.types.is_integer(kind) or pa.types.is_decimal(kind):
        text = values.cast(pa.string())
    elif pa.types.is_floating(kind):
        text = values.cast(pa.string())
    elif pa.types.is_binary(kind) or pa.types.is_large_binary(kind):
        try:
            text = values.cast(pa.string())  # validates UTF-8
        except pa.ArrowInvalid as err:
            raise FileRejected(
                f"{where}: column {column!r} holds bytes that are not UTF-8 text; deliver it as a string column"
            ) from err
    elif pa.types.is_time(kind):
        text = values.cast(pa.string())
    else:  # lists, structs, maps: compact JSON, as JSON lines deliveries are
        text = pa.chunked_array(
            [pa.array([None if v is None else json.dumps(v, default=str, sort_keys=True, ensure_ascii=False)
                       for v in values.to_pylist()], pa.string())]
        )
    return pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)


def _flat(table: pa.Table) -> pa.Table:
    while any(pa.types.is_struct(f.type) for f in table.schema):
        table = table.flatten()  # struct columns as dotted names, as the contract writes them
    return table


def _unreadable(where: str, layout: Layout, err: Exception) -> FileRejected:
    return FileRejected(f"{where}: the file cannot be read as Parquet ({type(err).__name__}: {err}); "
                        f"layout {layout.name!r} declares parquet. Re-export it and re-deliver")


def parse_parquet(
    path: Path, where: str, contract: Contract, layout: Layout, spec: FileSpec, batch_rows: int
) -> Iterator[ParsedFile]:
    """A Parquet delivery, `batch_rows` records at a time (record batches of its row groups); row
    numbers are the records' positions in the file (1-based)."""
    try:
        parquet = pq.ParquetFile(path)
        names = _flat(parquet.schema_arrow.empty_table()).column_names
        batches = parquet.iter_batches(batch_size=batch_rows)
    except (pa.ArrowException, OSError, ValueError) as err:
        raise _unreadable(where, layout, err) from err
    absent = check_header(list(names), contract, layout, spec, where)
    head = ParsedFile(top_entities=(spec.entity,), mode="parquet")
    note_absent_columns(head, spec, absent)
    yield head
    read = 0
    while True:
        try:
            batch = next(batches, None)
        except (pa.ArrowException, OSError, ValueError) as err:
            raise _unreadable(where, layout, err) from err
        if batch is None:
            break
        table = pa.Table.from_batches([batch])
        del batch
        try:
            table.validate(full=True)  # e.g. string columns holding bytes that are not UTF-8
        except pa.ArrowInvalid as err:
            raise FileRejected(f"{where}: the Parquet data is invalid ({err}); re-export it and re-deliver") from err
        result = _parquet_batch(_flat(table), read + 1, where, contract, spec, absent)
        del table
        read += result.rows_read
        yield result
        del result
    if read == 0:
        tail = ParsedFile(top_entities=(spec.entity,), mode="parquet")
        tail.warnings.append(Flag(spec.entity, None, None, "no_data_rows", "no records"))
        yield tail


def _parquet_batch(table: pa.Table, first_row: int, where: str, contract: Contract, spec: FileSpec,
                   absent: list[str]) -> ParsedFile:
    n = table.num_rows
    columns = {spec.columns[name]: _arrow_text(table.column(name), where, name)
               for name in spec.columns if name not in absent}
    entity = contract.entities[spec.entity]
    arrays = {c: columns[c] if c in columns else pa.nulls(n, pa.string()) for c in entity.column_names}
    arrays["_row_number"] = pa.array(np.arange(first_row, first_row + n, dtype=np.int64))
    full = pa.table(arrays)
    result = ParsedFile(top_entities=(spec.entity,), mode="parquet", rows_read=n)
    # a record with every mapped value empty is rejected, as for the text formats
    empty = None
    for name in columns:
        is_null = pc.is_null(full.column(name))
        empty = is_null if empty is None else pc.and_(empty, is_null)
    too_big = None
    for name in columns:
        big = pc.fill_null(pc.greater(pc.utf8_length(full.column(name)), MAX_FIELD_CHARS), False)
        too_big = big if too_big is None else pc.or_(too_big, big)
    bad = None if empty is None else pc.or_(empty, too_big)
    if bad is not None and pc.any(bad).as_py():
        rejected = pc.filter(full, bad)
        for record in rejected.to_pylist():
            row_number = record.pop("_row_number")
            longest = max(((k, v) for k, v in record.items() if v), key=lambda kv: len(kv[1]), default=(None, ""))
            if longest[1] and len(longest[1]) > MAX_FIELD_CHARS:
                reason = f"column {longest[0]!r} holds {len(longest[1])} characters, over the 16 MiB limit"
                raw = json.dumps({k: (v[:200] if v else v) for k, v in record.items()}, ensure_ascii=False)
                result.reject(spec.entity, row_number, reason, raw, longest[0])
            else:
                result.reject(spec.entity, row_number, "every mapped value of the record is empty",
                              json.dumps(record, ensure_ascii=False))
        full = pc.filter(full, pc.invert(bad))
    result.tables[spec.entity] = full
    flag_table(result, spec.entity, full, list(columns))
    return result


# ---------------------------------------------------------------------------------------------
# XLSX (openpyxl, read-only)


def _check_zip(path: Path, where: str) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as err:
        raise FileRejected(f"{where}: the file is not an .xlsx workbook (not a valid ZIP archive: {err}); "
                           "save it as Excel Workbook (.xlsx) and re-deliver") from err
    total = sum(i.file_size for i in infos)
    packed = max(1, sum(i.compress_size for i in infos))
    if total > MAX_XLSX_UNCOMPRESSED or total / packed > MAX_XLSX_RATIO:
        raise FileRejected(
            f"{where}: the workbook would inflate to {total} bytes ({total / packed:.0f}x its size); refused as "
            "a possible zip bomb. Deliver the extract as several smaller workbooks or as CSV"
        )


def _cell_text(value: object, column_type: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value if value != "" else None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        if column_type == "date" or (column_type != "datetime" and value.time() == dt.time(0)):
            return value.date().isoformat()
        return value.isoformat(timespec="seconds" if not value.microsecond else "microseconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e16 else repr(value)
    if isinstance(value, (int, Decimal)):
        return str(value)
    return str(value)


def parse_xlsx(
    path: Path, where: str, contract: Contract, layout: Layout, specs: list[FileSpec], batch_rows: int
) -> Iterator[ParsedFile]:
    """Every sheet of a workbook that the layout maps (one entity per sheet), `batch_rows` rows at a
    time (openpyxl's read-only mode streams the sheet's rows)."""
    _check_zip(path, where)
    import openpyxl  # imported here: only XLSX deliveries pay for it

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=False)
    # openpyxl and the XML parser below it raise many exception types on damaged workbooks; every
    # one of them means the same to the operator: the file is quarantined with the error text.
    except Exception as err:
        raise FileRejected(f"{where}: the workbook cannot be opened ({type(err).__name__}: {err}); "
                           "re-save it as Excel Workbook (.xlsx) and re-deliver") from err
    top = tuple(s.entity for s in specs)
    try:
        for spec in specs:
            yield from _parse_sheet(workbook, top, where, contract, layout, spec, batch_rows)
    except FileRejected:
        raise
    except Exception as err:  # same reason as above, while reading the sheet XML
        raise FileRejected(f"{where}: the workbook cannot be read ({type(err).__name__}: {err}); "
                           "re-save it as Excel Workbook (.xlsx) and re-deliver") from err
    finally:
        workbook.close()


def _parse_sheet(workbook, top: tuple[str, ...], where: str, contract: Contract, layout: Layout,
                 spec: FileSpec, batch_rows: int) -> Iterator[ParsedFile]:
    if spec.sheet:
        if spec.sheet not in workbook.sheetnames:
            raise FileRejected(
                f"{where}: the workbook has no sheet {spec.sheet!r} ({contract_ref(contract, layout, spec)}); "
                f"its sheets are {workbook.sheetnames}"
            )
        sheet = workbook[spec.sheet]
    else:
        sheet = workbook.worksheets[0]
    entity = contract.entities[spec.entity]
    types = {c.name: c.type for c in entity.columns}
    result = ParsedFile(top_entities=top, mode="xlsx")
    collector: RowCollector | None = None
    header: list[str] | None = None
    canonical: list[str] = []
    column_types: list[str] = []
    rows_read = 0

    def finish(batch: ParsedFile, rows: RowCollector) -> ParsedFile:
        table = rows.table(entity.column_names)
        batch.tables[spec.entity] = table
        flag_table(batch, spec.entity, table, canonical)
        return batch

    for row_number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
        if not any(v is not None and (not isinstance(v, str) or v.strip()) for v in values):
            continue
        if header is None:
            cells = list(values)
            while cells and cells[-1] is None:
                cells.pop()
            header = [("" if v is None else str(v)).strip() for v in cells]
            absent = check_header(header, contract, layout, spec, f"{where} sheet {sheet.title!r}")
            note_absent_columns(result, spec, absent, f" of sheet {sheet.title!r}")
            canonical = [spec.columns[h] for h in header]
            column_types = [types.get(c, "text") for c in canonical]
            collector = RowCollector(canonical)
            continue
        assert collector is not None
        if result.rows_read >= batch_rows:
            yield finish(result, collector)
            result, collector = ParsedFile(top_entities=top, mode="xlsx"), RowCollector(canonical)
        rows_read += 1
        result.rows_read += 1
        width = len(header)
        if any(v is not None for v in values[width:]):
            result.reject(spec.entity, row_number,
                          f"row has values beyond the {width} header columns (sheet {sheet.title!r})",
                          json.dumps([_cell_text(v, "text") for v in values], ensure_ascii=False))
            continue
        cells = list(values[:width]) + [None] * (width - len(values))
        collector.add(row_number, [_cell_text(v, t) for v, t in zip(cells, column_types, strict=True)])
    if header is None or collector is None:
        raise FileRejected(f"{where}: sheet {sheet.title!r} is empty (no header row); "
                           f"deliver at least the header row of {contract_ref(contract, layout, spec)}")
    if rows_read == 0:
        result.warnings.append(Flag(spec.entity, None, None, "no_data_rows", f"sheet {sheet.title!r} header only"))
    yield finish(result, collector)
