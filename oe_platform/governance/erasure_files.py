"""Removing rows from one landed file, in the format it was delivered in (for erasure).

Ingest numbers rows the same way for every reader (oe_platform/landing): a delimited file by the
physical line its record starts on (the header is line 1), a JSON-lines file by its line, a Parquet
file by position from 1, a workbook by its sheet row. An erased record's place is kept, empty (a
blank line, a Parquet row of nulls, a cleared sheet row), so the numbers of the other rows, which
bronze, rejects and later erasures refer to, stay valid; ingest skips blank lines and rejects an
empty row. A record nested in a JSON line (e.g. the people of a crime) is removed from its array,
the line kept. Each function rewrites the file atomically."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from oe_platform.contracts import FileSpec, Layout


class ErasureFileError(RuntimeError):
    """A landed file could not be rewritten without the erased records."""


def _replace(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.erase.tmp")
    with open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    mode = path.stat().st_mode
    os.replace(tmp, path)
    path.chmod(mode & 0o7777)


def _line_spans(lines: list[str], rows: set[int], known_rows: set[int]) -> set[int]:
    """0-based line indexes to drop: each erased row's first line up to the next row ingest knows of
    (a quoted value may run over several lines)."""
    starts = sorted(known_rows | rows)
    drop: set[int] = set()
    for row in rows:
        later = [s for s in starts if s > row]
        end = later[0] - 1 if later else len(lines)
        drop.update(range(row - 1, min(end, len(lines))))
    return drop


def remove_text_lines(path: Path, encoding: str, rows: set[int], known_rows: set[int]) -> int:
    """A delimited or JSON-lines file with the records starting on `rows` (1-based lines) blanked."""
    if not rows:
        return 0
    data = path.read_bytes()
    text = data.decode(encoding)
    lines = text.split("\n")  # as ingest splits it (a carriage return stays with its line)
    drop = _line_spans(lines, rows, known_rows)
    kept = "\n".join("" if index in drop else line for index, line in enumerate(lines))
    _replace(path, kept.encode(encoding))
    return len(rows)


def _dig(value: Any, dotted: str) -> Any:
    for key in dotted.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def _as_text(value: Any) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else json.dumps(value) if isinstance(value, dict | list) else str(value)


def _matches(item: Any, keys: list[dict[str, str]], delivered: Mapping[str, str]) -> bool:
    """True when the nested element's delivered key fields equal one of the erased keys."""
    return any(
        all(_as_text(_dig(item, delivered[c])) == v for c, v in key.items() if c in delivered)
        for key in keys
    )


def remove_nested_json(path: Path, encoding: str, spec: FileSpec, targets: Mapping[int, list[dict[str, str]]]) -> int:
    """Remove, from the array `spec.path` of each listed line, the elements whose delivered key fields
    equal the canonical key values given for that line."""
    if not targets:
        return 0
    delivered = {canonical: name for name, canonical in spec.columns.items()}
    lines = path.read_bytes().decode(encoding).split("\n")
    removed = 0
    for line_number, keys in targets.items():
        record = json.loads(lines[line_number - 1])
        holder, _, leaf = (spec.path or "").rpartition(".")
        parent = _dig(record, holder) if holder else record
        items = parent.get(leaf) if isinstance(parent, dict) else None
        if not isinstance(items, list):
            raise ErasureFileError(f"{path}, line {line_number}: no array {spec.path!r} to erase from")

        kept = [item for item in items if not _matches(item, keys, delivered)]
        removed += len(items) - len(kept)
        parent[leaf] = kept
        lines[line_number - 1] = json.dumps(record, ensure_ascii=False)
    _replace(path, "\n".join(lines).encode(encoding))
    return removed


def remove_parquet_rows(path: Path, rows: set[int]) -> int:
    """A Parquet delivery with every value of the rows at the given 1-based positions set to null."""
    if not rows:
        return 0
    table = pq.read_table(path)
    positions = pa.array(range(1, table.num_rows + 1), pa.int64())
    erased = pc.is_in(positions, value_set=pa.array(sorted(rows), pa.int64()))
    columns = [pc.if_else(erased, pa.scalar(None, column.type), column) for column in table.columns]
    tmp = path.with_name(f".{path.name}.{os.getpid()}.erase.tmp")
    pq.write_table(pa.Table.from_arrays(columns, schema=table.schema), tmp)
    os.replace(tmp, path)
    return len(rows)


def remove_sheet_rows(path: Path, sheet_rows: Mapping[str, Iterable[int]]) -> int:
    """A workbook with the cells of the given rows (1-based sheet rows) of each named sheet cleared."""
    from openpyxl import load_workbook

    book = load_workbook(path)
    removed = 0
    for sheet, rows in sheet_rows.items():
        if sheet not in book.sheetnames:
            raise ErasureFileError(f"{path}: no sheet {sheet!r} to erase from")
        worksheet = book[sheet]
        for row in sorted(set(rows)):
            for cell in worksheet[row]:
                cell.value = None
            removed += 1
    tmp = path.with_name(f".{path.name}.{os.getpid()}.erase.tmp")
    book.save(tmp)
    os.replace(tmp, path)
    return removed


def rewrite_delivery(path: Path, layout: Layout, erased: list[dict], known_rows: Mapping[str, set[int]]) -> int:
    """Remove the erased rows of one landed file. `erased`: dicts with entity, row_number and the
    entity's canonical key values (`key`); `known_rows`: every row number ingest recorded for the
    file, by entity (accepted, rejected), so a multi-line record is removed whole."""
    by_entity: dict[str, list[dict]] = {}
    for row in erased:
        by_entity.setdefault(row["entity"], []).append(row)
    specs = {spec.entity: spec for spec in layout.files.values()}
    removed = 0
    for entity, rows in by_entity.items():
        spec = specs.get(entity)
        if spec is None:
            raise ErasureFileError(f"{path}: layout {layout.name!r} has no entity {entity!r}")
        numbers = {int(r["row_number"]) for r in rows}
        if spec.nested_in:
            targets: dict[int, list[dict[str, str]]] = {}
            for r in rows:
                targets.setdefault(int(r["row_number"]), []).append(r["key"])
            removed += remove_nested_json(path, layout.encoding, spec, targets)
        elif layout.format in ("csv", "jsonl"):
            known = set().union(*known_rows.values()) if known_rows else set()
            removed += remove_text_lines(path, layout.encoding, numbers, known)
        elif layout.format == "parquet":
            removed += remove_parquet_rows(path, numbers)
        elif layout.format == "xlsx":
            removed += remove_sheet_rows(path, {spec.sheet or entity: numbers})
        else:
            raise ErasureFileError(f"{path}: format {layout.format!r} cannot be rewritten for erasure")
    return removed
