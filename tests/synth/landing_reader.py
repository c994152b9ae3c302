"""Read a generated landing zone back through the landing contracts (independently of ingest)."""

from __future__ import annotations

import csv
import fnmatch
import io
import json
from dataclasses import dataclass
from pathlib import Path

import pyarrow.parquet as pq
from openpyxl import load_workbook

from oe_platform.contracts import Contract, Layout


@dataclass
class Delivered:
    source: str
    org: str
    day: str
    path: Path
    layout: Layout
    entity: str
    columns: list[str]  # delivered column names (header, schema or leaf paths)
    rows: list[dict]  # canonical name -> value as read (str, date, int…)
    row_numbers: list[int]


def _leaves(obj: dict, prefix: str = "") -> dict:
    out = {}
    for key, value in obj.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_leaves(value, path + "."))
        else:
            out[path] = value
    return out


def files_of(contract: Contract, landing: Path):
    """(org, day, layout, file) for every delivered file of a source."""
    for path in sorted((landing / contract.source).glob("*/*/*")):
        org, day = path.parent.parent.name, path.parent.name
        layout = contract.layout_for(org)
        assert layout is not None, f"{path}: no layout for {org}"
        yield org, day, layout, path


def read_file(contract: Contract, org: str, day: str, layout: Layout, path: Path) -> list[Delivered]:
    specs = [(e, s) for e, s in layout.files.items()
             if s.pattern and fnmatch.fnmatchcase(path.name, s.pattern)]
    assert specs, f"{path.name} matches no file pattern of layout {layout.name}"
    if layout.format != "xlsx":  # the most specific pattern wins (CRIME_*.txt vs CRIME_NOMINALS_*.txt)
        specs = [max(specs, key=lambda es: len(es[1].pattern.replace("*", "")))]
    out = []
    data = path.read_bytes()
    for entity, spec in specs:
        if layout.format == "csv":
            text = data.decode(layout.encoding)
            reader = csv.reader(io.StringIO(text, newline=""), delimiter=layout.delimiter, strict=True)
            header = next(reader)
            rows, numbers = [], []
            for record in reader:
                assert len(record) == len(header), f"{path}:{reader.line_num}: field count"
                rows.append({spec.columns[h]: v for h, v in zip(header, record, strict=True)})
                numbers.append(reader.line_num)
            out.append(Delivered(contract.source, org, day, path, layout, entity, header, rows, numbers))
        elif layout.format == "jsonl":
            text = data.decode(layout.encoding)
            rows, numbers, seen = [], [], set()
            kids = {e: s for e, s in layout.files.items() if s.nested_in == entity}
            kid_rows = {e: ([], []) for e in kids}
            for number, line in enumerate(text.splitlines(), start=1):
                obj = json.loads(line)
                arrays = {s.path: obj.pop(s.path, []) for s in kids.values()}
                leaves = _leaves(obj)
                seen.update(leaves)
                rows.append({spec.columns[k]: v for k, v in leaves.items() if k in spec.columns})
                numbers.append(number)
                for kname, kspec in kids.items():
                    for item in arrays[kspec.path]:
                        kleaves = _leaves(item)
                        seen.update(f"{kspec.path}[].{k}" for k in kleaves)
                        row = {kspec.columns[k]: v for k, v in kleaves.items() if k in kspec.columns}
                        for delivered, canonical in kspec.parent_columns.items():
                            row[canonical] = obj[delivered]
                        kid_rows[kname][0].append(row)
                        kid_rows[kname][1].append(number)
            out.append(Delivered(contract.source, org, day, path, layout, entity, sorted(seen), rows, numbers))
            for kname, (krows, knums) in kid_rows.items():
                out.append(Delivered(contract.source, org, day, path, layout, kname, [], krows, knums))
        elif layout.format == "parquet":
            table = pq.read_table(path)
            rows = [{spec.columns[k]: v for k, v in r.items()} for r in table.to_pylist()]
            out.append(Delivered(contract.source, org, day, path, layout, entity, table.column_names, rows,
                                 list(range(1, len(rows) + 1))))
        else:
            wb = load_workbook(path, read_only=True)
            ws = wb[spec.sheet]
            values = list(ws.iter_rows(values_only=True))
            header = list(values[0])
            rows = [{spec.columns[h]: v for h, v in zip(header, r, strict=True)} for r in values[1:]]
            out.append(Delivered(contract.source, org, day, path, layout, entity, header, rows,
                                 list(range(2, len(rows) + 2))))
            wb.close()
    return out


def read_source(contract: Contract, landing: Path) -> list[Delivered]:
    out = []
    for org, day, layout, path in files_of(contract, landing):
        out.extend(read_file(contract, org, day, layout, path))
    return out
