"""Write delivered rows in each layout of the landing contracts: CSV, JSON lines, Parquet, XLSX.

Everything is deterministic: rows in a fixed order, no timestamps in file contents, Parquet without
pandas metadata, XLSX with fixed document properties and fixed zip entry times.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from openpyxl import Workbook
from openpyxl.writer.excel import ExcelWriter

from oe_platform.contracts import DATE_PATTERNS, Contract, Layout
from oe_platform.synth import reference as ref
from oe_platform.synth.identifiers import shorten_pnc_id
from oe_platform.synth.population import iso_days

FIXED_TIME = dt.datetime(2000, 1, 1, 0, 0, 0)
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
JSON_LIST_COLUMNS = ("flags", "importing_forces")
INTEGER_JSON_COLUMNS = {("missing", "risk_grade")}
LEGACY_ENCODINGS = ("cp1252", "latin-1", "iso-8859-1")
_TRANSLIT = str.maketrans({"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "đ": "d", "Đ": "D", "ß": "ss", "ı": "i"})


@dataclass
class WrittenFile:
    source: str
    org: str
    delivery: str
    path: Path  # relative to the landing root
    rows: int


def delivery_name(pattern: str, day: str) -> str:
    return pattern.replace("*", day.replace("-", ""))


def _fold(value: str, encoding: str) -> str:
    """What a legacy single-byte system stores: characters it cannot hold lose their accents."""
    try:
        value.encode(encoding)
        return value
    except UnicodeEncodeError:
        out = []
        for ch in value:
            try:
                ch.encode(encoding)
                out.append(ch)
            except UnicodeEncodeError:
                base = unicodedata.normalize("NFKD", ch.translate(_TRANSLIT))
                base = "".join(c for c in base if not unicodedata.combining(c))
                out.append(base if base and all(_encodable(c, encoding) for c in base) else "?")
        return "".join(out)


def _encodable(ch: str, encoding: str) -> bool:
    try:
        ch.encode(encoding)
        return True
    except UnicodeEncodeError:
        return False


def _format_dates(values: np.ndarray, kind: str, date_format: str) -> np.ndarray:
    s = pd.Series(values, dtype=object)
    present = s != ""
    if not present.any() or date_format == "iso":
        return values
    y, m, d = s.str[0:4], s.str[5:7], s.str[8:10]
    hh, mi, ss = s.str[11:13], s.str[14:16], s.str[17:19]
    if date_format == "dmy":
        out = d + "/" + m + "/" + y
        if kind == "datetime":
            out = out + " " + hh + ":" + mi
    elif date_format == "mdy":
        out = m + "/" + d + "/" + y
        if kind == "datetime":
            out = out + " " + hh + ":" + mi
    else:  # ymd_compact
        out = y + m + d
        if kind == "datetime":
            out = out + hh + mi + ss
    return np.where(present, out.to_numpy(dtype=object), "").astype(object)


def _phone_style(values: np.ndarray, layout: Layout) -> np.ndarray:
    """A layout's usual way of writing an unformatted national number."""
    out = values.copy()
    plain = np.array([len(v) == 11 and v.isdigit() for v in values], dtype=bool)
    if not plain.any():
        return out
    name = layout.name
    for i in np.flatnonzero(plain):
        v = values[i]
        if name.startswith("athena") or name == "compact_csv" or name == "ocgm_xlsx":
            out[i] = f"{v[:5]} {v[5:]}"
        elif name.startswith("niche") or name == "clicm_jsonl":
            out[i] = "+44" + v[1:]
    return out


def layout_values(contract: Contract, layout: Layout, entity: str, frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """Canonical values of ``frame`` turned into what this layout delivers (codes, dates, styles)."""
    ent = contract.entities[entity]
    out: dict[str, np.ndarray] = {}
    types = {c.name: c.type for c in ent.columns}
    eids = frame["_eid"].to_numpy() if "_eid" in frame else np.zeros(len(frame), dtype=np.int64)
    legacy = layout.encoding in LEGACY_ENCODINGS
    for col in ent.column_names:
        values = frame[col].to_numpy(dtype=object) if col in frame else np.full(len(frame), "", dtype=object)
        values = np.where(pd.isna(values), "", values).astype(object)
        if col in layout.codes:
            inverse: dict[str, str] = {}
            for local, national in layout.codes[col].items():
                inverse.setdefault(national, local)
            if col == "flags":
                values = np.array([";".join(inverse.get(f, f) for f in v.split(";")) if v else ""
                                   for v in values], dtype=object)
            else:
                values = np.array([inverse.get(v, v) for v in values], dtype=object)
        if col in ("offence_code", "arrest_offence_code") and layout.offence_codes == "local":
            local = ref.local_offence_codes()
            orgs = frame["_org"].to_numpy()
            desc_col = "offence_description" if col == "offence_code" else "arrest_offence_description"
            descs = np.empty(len(values), dtype=object)
            codes = np.empty(len(values), dtype=object)
            for i, (v, o, e) in enumerate(zip(values, orgs, eids, strict=True)):
                options = local.get(o, {}).get(v)
                if options:
                    codes[i], descs[i] = options[int(e) % len(options)]
                else:
                    codes[i], descs[i] = v, None
            values = codes
            out["__" + desc_col] = descs
        if types.get(col) in ("date", "datetime") and layout.format in ("csv", "jsonl"):
            values = _format_dates(values, types[col], layout.date_format)
        if col == "phone" or col == "deal_number" or col == "phone_mentioned":
            values = _phone_style(values, layout)
        if col == "pnc_id" and legacy:
            short = (eids % 5) < 2
            values = np.array([shorten_pnc_id(v) if s and v else v for v, s in zip(values, short, strict=True)],
                              dtype=object)
        if col == "surname" and legacy:
            values = np.array([v.upper() for v in values], dtype=object)
        if col == "ethnicity" and legacy:
            values = np.array([ref.ETHNICITY_TO_IC.get(v, v) for v in values], dtype=object)
        out[col] = values
    for col in ("offence_description", "arrest_offence_description"):
        if "__" + col in out:
            descs = out.pop("__" + col)
            out[col] = np.where(pd.isna(descs), out[col], descs).astype(object)
    if legacy:
        for col, values in out.items():
            out[col] = np.array([_fold(v, layout.encoding) if v else v for v in values], dtype=object)
    return out


# --- writers ------------------------------------------------------------------------------------

def write_csv(path: Path, header: list[str], rows: list[list[str]], layout: Layout) -> None:
    buf = io.StringIO()
    terminator = "\r\n" if layout.encoding in LEGACY_ENCODINGS else "\n"
    writer = csv.writer(buf, delimiter=layout.delimiter, lineterminator=terminator, quoting=csv.QUOTE_MINIMAL)
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(buf.getvalue().encode(layout.encoding))


def _set_path(obj: dict, dotted: str, value: object) -> None:
    parts = dotted.split(".")
    for part in parts[:-1]:
        obj = obj.setdefault(part, {})
    obj[parts[-1]] = value


def json_record(paths: list[tuple[str, str]], values: dict[str, object]) -> dict:
    """Nested object from dotted delivered paths; empty values are left out, as the system does."""
    obj: dict = {}
    for delivered, canonical in paths:
        value = values.get(canonical)
        if value is None or value == "":
            continue
        _set_path(obj, delivered, value)
    return obj


def write_parquet(path: Path, columns: dict[str, np.ndarray], types: dict[str, str]) -> None:
    arrays, fields = [], []
    for name, values in columns.items():
        kind = types.get(name, "text")
        vals = [None if v == "" else v for v in values.tolist()]
        if kind == "date":
            arr = pa.array(vals, type=pa.string()).cast(pa.date32())
        elif kind == "datetime":
            arr = pa.array(vals, type=pa.string()).cast(pa.timestamp("s"))
        else:
            arr = pa.array(vals, type=pa.string())
        arrays.append(arr)
        fields.append(pa.field(name, arr.type))
    table = pa.Table.from_arrays(arrays, schema=pa.schema(fields))
    pq.write_table(table, path, compression="zstd", use_dictionary=True, write_statistics=True)


def _excel_value(value: str, kind: str) -> object:
    if value == "":
        return None
    if kind == "date":
        return dt.date.fromisoformat(value)
    if kind == "datetime":
        return dt.datetime.fromisoformat(value)
    if kind == "integer":
        return int(value)
    return value


def write_xlsx(path: Path, sheets: list[tuple[str, list[str], list[list[object]]]]) -> None:
    """An .xlsx with one sheet per entity; byte-identical for the same content."""
    wb = Workbook(write_only=True)
    wb.properties.creator = "OE Data Platform synthetic generator"
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    for title, header, rows in sheets:
        ws = wb.create_sheet(title)
        ws.append(header)
        for row in rows:
            ws.append(row)
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(wb, archive).save()  # not save_workbook(), which stamps the current time
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            fixed = zipfile.ZipInfo(info.filename, date_time=ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o600 << 16
            dst.writestr(fixed, data)
    path.write_bytes(out.getvalue())


def _bounds(keys: list[tuple[str, int]], frame: pd.DataFrame) -> dict[tuple[str, int], np.ndarray]:
    """Row positions of each (org, delivery) group of a frame."""
    if not len(frame):
        return {}
    groups = frame.groupby(["_org", "_delivery"], sort=False).indices
    return {(str(k[0]), int(k[1])): np.sort(v) for k, v in groups.items()}


def render_source(contract: Contract, frames: dict[str, pd.DataFrame], orgs: list[str], days: list[int],
                  landing: Path, truth_rows: list[pd.DataFrame], scenario_rows: list[pd.DataFrame],
                  write: bool = True) -> list[WrittenFile]:
    """Write every delivery of one source for the given organisations and delivery days (with
    ``write`` False, only the truth rows are collected)."""
    written: list[WrittenFile] = []
    day_iso = {d: str(iso_days(np.array([d]))[0]) for d in days}
    for layout in contract.layouts:
        layout_orgs = [o for o in orgs if contract.layout_for(o) is layout]
        if not layout_orgs:
            continue
        values: dict[str, dict[str, np.ndarray]] = {}
        subsets: dict[str, pd.DataFrame] = {}
        for entity in contract.entities:
            frame = frames.get(entity)
            if frame is None:
                frame = pd.DataFrame({"_org": pd.Series(dtype=object), "_delivery": pd.Series(dtype="int64")})
            sub = frame[frame["_org"].isin(layout_orgs) & frame["_delivery"].isin(days)] if len(frame) else frame
            if "_parent_row" not in sub:
                sub = sub.sort_values(["_org", "_delivery", "_row"], kind="stable") if len(sub) else sub
            sub = sub.reset_index(drop=True)
            subsets[entity] = sub
            values[entity] = layout_values(contract, layout, entity, sub) if len(sub) else {}
        top = [e for e, spec in layout.files.items() if spec.nested_in is None]
        nested = {e: spec for e, spec in layout.files.items() if spec.nested_in is not None}
        bounds = {e: _bounds([], subsets[e]) for e in top}
        # Children of nested layouts, grouped under the delivered parent row.
        child_lists: dict[str, dict[int, list[dict]]] = {}
        for ename, spec in nested.items():
            sub = subsets[ename]
            lists: dict[int, list[dict]] = {}
            if len(sub):
                paths = list(spec.columns.items())
                vals = values[ename]
                parents = sub["_parent_row"].to_numpy()
                for i in range(len(sub)):
                    rec = json_record(paths, {c: vals[c][i] for c in vals})
                    lists.setdefault(int(parents[i]), []).append(rec)
            child_lists[ename] = lists
        truth_parts: dict[str, list] = {}
        for org in layout_orgs:
            for day in days:
                folder = landing / contract.source / org / day_iso[day]
                if write:
                    folder.mkdir(parents=True, exist_ok=True)
                xlsx_sheets: dict[str, list] = {}
                files_here: dict[str, WrittenFile] = {}
                for ename in top:
                    spec = layout.files[ename]
                    sub = subsets[ename]
                    pos = bounds[ename].get((org, day), np.empty(0, dtype=np.int64))
                    vals = values[ename]
                    name = delivery_name(spec.pattern, day_iso[day])
                    rel = Path(contract.source) / org / day_iso[day] / name
                    header = list(spec.columns)
                    canon = list(spec.columns.values())
                    if layout.format == "csv":
                        rows = [[vals[c][i] for c in canon] for i in pos]
                        if write:
                            write_csv(landing / rel, header, rows, layout)
                        row_numbers = np.arange(2, len(pos) + 2)
                    elif layout.format == "jsonl":
                        paths = list(spec.columns.items())
                        lines = []
                        kids = [(n, s) for n, s in nested.items() if s.nested_in == ename]
                        rows_arr = sub["_row"].to_numpy()
                        for i in pos:
                            rec = json_record(paths, {c: vals[c][i] for c in vals})
                            for col in JSON_LIST_COLUMNS:
                                for delivered, canonical in paths:
                                    if canonical == col and delivered in rec:
                                        rec[delivered] = rec[delivered].split(";")
                            if (contract.source, "risk_grade") in INTEGER_JSON_COLUMNS and "riskLevel" in rec:
                                rec["riskLevel"] = int(rec["riskLevel"])
                            for kname, kspec in kids:
                                rec[kspec.path] = child_lists[kname].get(int(rows_arr[i]), [])
                            lines.append(json.dumps(rec, ensure_ascii=False))
                        text = "".join(line + "\n" for line in lines)
                        if write:
                            (landing / rel).write_bytes(text.encode(layout.encoding))
                        row_numbers = np.arange(1, len(pos) + 1)
                    elif layout.format == "parquet":
                        types = {c.name: c.type for c in contract.entities[ename].columns}
                        cols = {d: (vals[c][pos] if len(pos) else np.empty(0, dtype=object))
                                for d, c in spec.columns.items()}
                        if write:
                            write_parquet(landing / rel, cols, {d: types[c] for d, c in spec.columns.items()})
                        row_numbers = np.arange(1, len(pos) + 1)
                    else:  # xlsx: entities sharing a file become sheets
                        types = {c.name: c.type for c in contract.entities[ename].columns}
                        rows = [[_excel_value(vals[c][i], types[c]) for c in canon] for i in pos]
                        xlsx_sheets.setdefault(name, []).append((spec.sheet or ename, header, rows))
                        row_numbers = np.arange(2, len(pos) + 2)
                    if name not in files_here:
                        files_here[name] = WrittenFile(contract.source, org, day_iso[day], rel, 0)
                        written.append(files_here[name])
                    files_here[name].rows += len(pos)
                    truth_parts.setdefault(ename, []).append((pos, rel.as_posix(), row_numbers))
                    if ename in top and len(pos) and "_scenario" in sub:
                        scen = pos[sub["_scenario"].to_numpy()[pos] != ""]
                        if len(scen):
                            ent = contract.entities[ename]
                            scenario_rows.append({
                                "scenario_id": sub["_scenario"].to_numpy()[scen],
                                "source": np.full(len(scen), contract.source, dtype=object),
                                "org": np.full(len(scen), org, dtype=object),
                                "entity": np.full(len(scen), ename, dtype=object),
                                "file_path": np.full(len(scen), rel.as_posix(), dtype=object),
                                "record_key": sub[ent.key[0]].to_numpy()[scen],
                                "delivery_date": np.full(len(scen), day_iso[day], dtype=object),
                                "kind": sub["_kind"].to_numpy()[scen],
                            })
                    for kname, kspec in nested.items():
                        if kspec.nested_in != ename or not len(pos):
                            continue
                        child = subsets[kname]
                        parent_line = dict(zip(sub["_row"].to_numpy()[pos].tolist(), row_numbers.tolist(),
                                               strict=True))
                        mask = child["_parent_row"].isin(list(parent_line)).to_numpy()
                        cpos = np.flatnonzero(mask)
                        lines_of = np.array([parent_line[int(p)] for p in child["_parent_row"].to_numpy()[cpos]])
                        truth_parts.setdefault(kname, []).append((cpos, rel.as_posix(), lines_of))
                        files_here[name].rows += len(cpos)
                for name, sheets in xlsx_sheets.items():
                    if write:
                        write_xlsx(folder / name, sheets)
        for ename, parts in truth_parts.items():
            _truth_for(contract, ename, subsets[ename], parts, truth_rows)
    return written


def _truth_for(contract: Contract, entity: str, frame: pd.DataFrame, parts: list, truth_rows: list) -> None:
    ent = contract.entities[entity]
    parts = [p for p in parts if len(p[0])]
    if not ent.person_key or not parts:
        return
    pos = np.concatenate([p[0] for p in parts]).astype(np.int64)
    files = np.repeat(np.array([p[1] for p in parts], dtype=object), [len(p[0]) for p in parts])
    rows = np.concatenate([np.asarray(p[2], dtype=np.int64) for p in parts])
    key = frame[ent.key[0]].to_numpy(dtype=object)[pos]
    for col in ent.key[1:]:
        key = key + "|" + frame[col].to_numpy(dtype=object)[pos]
    take = {c: frame[c].to_numpy()[pos] for c in ("_org", "_delivery", "_kind", "_person", "_noise", "_scenario")}
    truth_rows.append({
        "source": np.full(len(pos), contract.source, dtype=object), "org": take["_org"],
        "entity": np.full(len(pos), entity, dtype=object), "file_path": files, "row_number": rows,
        "record_key": key, "person_key": frame[ent.person_key].to_numpy(dtype=object)[pos],
        "delivery_date": iso_days(take["_delivery"]), "kind": take["_kind"],
        "record_action": (frame["record_action"].to_numpy(dtype=object)[pos] if "record_action" in frame
                          else np.full(len(pos), "", dtype=object)),
        "_person": take["_person"], "noise": take["_noise"], "scenario_id": take["_scenario"],
    })


def date_pattern(date_format: str, kind: str) -> str:
    return DATE_PATTERNS[date_format][0 if kind == "date" else 1]
