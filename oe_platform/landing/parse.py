"""Parse one landed file with its layout: yields accepted canonical rows and rejects with reasons.

Only the declarative part of a contract is applied here: decode, split, rename delivered columns to
canonical names and keep every value as text. Typing and cleaning happen in dbt staging.
"""

from __future__ import annotations

import csv
import fnmatch
import io
import json
from dataclasses import dataclass, field
from pathlib import Path

from oe_platform.contracts import Contract, FileSpec, Layout


class FileRejected(Exception):
    """The whole file cannot be read against its contract; it is quarantined with this reason."""


@dataclass
class Reject:
    entity: str
    row_number: int
    reason: str
    raw_text: str
    column_name: str | None = None


@dataclass
class ParsedFile:
    """Rows per entity (canonical name -> text value), rejects, and how many records were read."""

    rows: dict[str, list[tuple[int, dict[str, str | None]]]] = field(default_factory=dict)
    rejects: list[Reject] = field(default_factory=list)
    rows_read: int = 0


def match_file_spec(contract: Contract, layout: Layout, filename: str) -> FileSpec | None:
    """The top-level file spec whose pattern matches a delivered file name; when several match
    (CRIME_*.txt and CRIME_NOMINALS_*.txt), the most specific pattern wins."""
    matches = [
        spec for spec in layout.files.values() if spec.pattern and fnmatch.fnmatchcase(filename, spec.pattern)
    ]
    if not matches:
        return None
    return max(matches, key=lambda spec: len(spec.pattern.replace("*", "").replace("?", "")))


def _decode(data: bytes, encoding: str, path: Path) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise FileRejected(
            f"{path}: line {line}: bytes {data[err.start:err.end]!r} are not valid {encoding}; "
            f"re-export the file as {encoding} as its landing contract declares"
        ) from err


def _check_header(header: list[str], spec: FileSpec, path: Path) -> None:
    expected = list(spec.columns)
    unknown = [h for h in header if h not in spec.columns]
    missing = [c for c in expected if c not in header]
    if unknown or missing:
        parts = []
        if missing:
            parts.append(f"missing column(s) {missing}")
        if unknown:
            parts.append(f"unexpected column(s) {unknown}")
        raise FileRejected(
            f"{path}: header does not match the landing contract ({'; '.join(parts)}); "
            f"expected exactly {expected}. Fix the extract or change contracts/ and re-deliver"
        )


def parse_delimited(data: bytes, path: Path, layout: Layout, spec: FileSpec) -> ParsedFile:
    text = _decode(data, layout.encoding, path)
    result = ParsedFile(rows={spec.entity: []})
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=layout.delimiter, strict=True)
    try:
        header = next(reader)
    except StopIteration as err:
        raise FileRejected(f"{path}: the file is empty (no header row); deliver at least a header") from err
    except csv.Error as err:
        raise FileRejected(f"{path}: line 1: the header cannot be parsed ({err})") from err
    header = [h.strip() for h in header]
    _check_header(header, spec, path)
    width = len(header)
    lines = text.splitlines()
    while True:
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as err:
            result.rows_read += 1
            result.rejects.append(
                Reject(spec.entity, reader.line_num, f"unparseable row: {err}", lines[reader.line_num - 1])
            )
            continue
        row_number = reader.line_num
        if not record or record == [""]:
            continue
        result.rows_read += 1
        if len(record) != width:
            raw = layout.delimiter.join(record)
            result.rejects.append(
                Reject(
                    spec.entity,
                    row_number,
                    f"row has {len(record)} fields, the header has {width}",
                    raw,
                )
            )
            continue
        row = {spec.columns[h]: (v if v != "" else None) for h, v in zip(header, record, strict=True)}
        result.rows[spec.entity].append((row_number, row))
    return result


def _dig(obj: object, dotted: str) -> object:
    for part in dotted.split("."):
        if not isinstance(obj, dict):
            return None
        obj = obj.get(part)
    return obj


def _as_text(value: object) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    return str(value)


def parse_jsonl(data: bytes, path: Path, layout: Layout, spec: FileSpec) -> ParsedFile:
    text = _decode(data, layout.encoding, path)
    nested = [s for s in layout.files.values() if s.nested_in == spec.entity]
    result = ParsedFile(rows={spec.entity: [], **{n.entity: [] for n in nested}})
    for row_number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        result.rows_read += 1
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as err:
            result.rejects.append(Reject(spec.entity, row_number, f"invalid JSON: {err.msg}", line))
            continue
        if not isinstance(obj, dict):
            result.rejects.append(Reject(spec.entity, row_number, "a line must be a JSON object", line))
            continue
        row = {canonical: _as_text(_dig(obj, delivered)) for delivered, canonical in spec.columns.items()}
        result.rows[spec.entity].append((row_number, row))
        for child in nested:
            items = _dig(obj, child.path or "") or []
            if not isinstance(items, list):
                result.rejects.append(
                    Reject(child.entity, row_number, f"field {child.path!r} must be an array", line, child.path)
                )
                continue
            for item in items:
                crow = {canonical: _as_text(_dig(obj, d)) for d, canonical in child.parent_columns.items()}
                crow.update({canonical: _as_text(_dig(item, d)) for d, canonical in child.columns.items()})
                result.rows[child.entity].append((row_number, crow))
    return result


def parse_file(path: Path, contract: Contract, layout: Layout, spec: FileSpec) -> ParsedFile:
    data = path.read_bytes()
    if layout.format == "csv":
        return parse_delimited(data, path, layout, spec)
    if layout.format == "jsonl":
        return parse_jsonl(data, path, layout, spec)
    raise FileRejected(f"{path}: format {layout.format!r} is not supported by ingest yet")
