"""Landing contracts: one YAML file per source under contracts/, read by every part of the platform.

A contract declares a source's entities (canonical columns, key, PII class, description) and the
layouts in which forces deliver it (format, delimiter, encoding, date format, file patterns and each
delivered column's canonical name). The generator writes these layouts, ingest parses them, the dbt
sources and the partner docs are generated from them.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml

from oe_platform.config import CONTRACTS_DIR, REPO_ROOT

PII_CLASSES = ("direct", "indirect", "none")
FORMATS = ("csv", "jsonl", "parquet", "xlsx")
DATE_FORMATS = ("iso", "dmy", "mdy", "ymd_compact")
HEADER_NAMES = ("exact", "loose")
# How each date_format token writes a date and a date-time (strftime patterns). Columns declare
# `type: date` or `type: datetime`; any other column is text. Parquet and XLSX carry native dates.
DATE_PATTERNS = {
    "iso": ("%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"),
    "dmy": ("%d/%m/%Y", "%d/%m/%Y %H:%M"),
    "mdy": ("%m/%d/%Y", "%m/%d/%Y %H:%M"),
    "ymd_compact": ("%Y%m%d", "%Y%m%d%H%M%S"),
}
COLUMN_TYPES = ("text", "date", "datetime", "integer")
NATIONAL = "national"


class ContractError(ValueError):
    """A landing contract is malformed: the message names the file and the field."""


@dataclass(frozen=True)
class Column:
    name: str
    description: str
    pii: str
    type: str = "text"  # text, date, datetime or integer: how the delivered value is written
    # required: in every delivered header (even where a layout lets columns be absent), and a value
    # in every row: ingest rejects a row that leaves it empty, with the reason
    required: bool = False


@dataclass(frozen=True)
class Entity:
    name: str
    description: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    # The column holding the source's stable reference for the person, when rows are person records.
    person_key: str | None = None

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def required_columns(self) -> tuple[str, ...]:
        """Columns a delivery can never leave out: the key, the person reference and any column the
        contract marks `required: true`."""
        required = {*self.key, *((self.person_key,) if self.person_key else ()),
                    *(c.name for c in self.columns if c.required)}
        return tuple(c for c in self.column_names if c in required)


@dataclass(frozen=True)
class FileSpec:
    """How one entity arrives in one layout."""

    entity: str
    columns: dict[str, str]  # delivered column name (dotted path for JSON) -> canonical name
    pattern: str | None = None  # glob of the delivered file name
    nested_in: str | None = None  # entity whose records carry this one as an array
    path: str | None = None  # array field holding the nested records
    parent_columns: dict[str, str] = field(default_factory=dict)
    sheet: str | None = None  # xlsx: sheet name
    # delivered column names a header may leave out (the column arrives empty, with a column_absent
    # warning), in a layout whose other columns are all required: e.g. open data whose publisher has
    # added columns over the years
    optional: tuple[str, ...] = ()


@dataclass(frozen=True)
class Layout:
    name: str
    description: str
    forces: tuple[str, ...]
    format: str
    encoding: str
    date_format: str
    files: dict[str, FileSpec]
    delimiter: str = ","
    offence_codes: str | None = None
    # Local code sets: canonical column -> {local code as delivered: national code}.
    codes: dict[str, dict[str, str]] = field(default_factory=dict)
    # True: a delivered header may leave out any column that is not required (it arrives empty, and
    # the file carries a column_absent warning); false: the header must hold every mapped column.
    optional_columns_may_be_absent: bool = False
    # "loose": a delivered column name matches the contract's when they agree letter for letter and
    # digit for digit, whatever the case, spaces and punctuation ("Record ID" is record_id; the file
    # carries a header_names_loose warning); "exact": names as the contract writes them.
    header_names: str = "exact"


@dataclass(frozen=True)
class Contract:
    source: str
    title: str
    owner: str
    description: str
    cadence: str
    warn_after_days: int
    error_after_days: int
    entities: dict[str, Entity]
    layouts: tuple[Layout, ...]
    path: Path

    def layout_for(self, force_code: str) -> Layout | None:
        """The layout a force delivers in; partners with no onboarded layout get None."""
        for layout in self.layouts:
            if force_code in layout.forces or "*" in layout.forces:
                return layout
        return None

    def layout_named(self, name: str) -> Layout:
        for layout in self.layouts:
            if layout.name == name:
                return layout
        raise KeyError(f"{self.source}: no layout named {name!r}")


@cache
def known_forces() -> tuple[str, ...]:
    with open(REPO_ROOT / "seeds" / "forces.csv", newline="", encoding="utf-8") as handle:
        return tuple(row["force_code"] for row in csv.DictReader(handle))


def _require(mapping: dict, key: str, where: str):
    if not isinstance(mapping, dict) or key not in mapping:
        raise ContractError(f"{where}: missing required field {key!r}")
    return mapping[key]


def parse_contract(path: Path) -> Contract:
    """Read and validate one contract file."""
    where = str(path)
    with open(path, encoding="utf-8") as handle:
        # libyaml's safe loader when PyYAML has it (ten times faster: every process that loads the
        # Dagster definitions reads all contracts), else the pure-Python one; both safe
        raw = yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    source = _require(raw, "source", where)
    if source != path.stem:
        raise ContractError(f"{where}: source {source!r} must match the file name {path.stem!r}")

    entities: dict[str, Entity] = {}
    for name, spec in _require(raw, "entities", where).items():
        ewhere = f"{where}: entity {name!r}"
        columns = []
        for col in _require(spec, "columns", ewhere):
            cname = _require(col, "name", ewhere)
            pii = col.get("pii", "")
            if pii not in PII_CLASSES:
                raise ContractError(f"{ewhere}: column {cname!r} has pii {pii!r}; use one of {PII_CLASSES}")
            if not col.get("description"):
                raise ContractError(f"{ewhere}: column {cname!r} has no description")
            ctype = col.get("type", "text")
            if ctype not in COLUMN_TYPES:
                raise ContractError(f"{ewhere}: column {cname!r} has type {ctype!r}; use one of {COLUMN_TYPES}")
            required = col.get("required", False)
            if not isinstance(required, bool):
                raise ContractError(f"{ewhere}: column {cname!r} has required {required!r}; use true or false")
            columns.append(Column(cname, col["description"], pii, ctype, required))
        names = [c.name for c in columns]
        if len(set(names)) != len(names):
            raise ContractError(f"{ewhere}: duplicate column names")
        key = tuple(_require(spec, "key", ewhere))
        for k in key:
            if k not in names:
                raise ContractError(f"{ewhere}: key column {k!r} is not a declared column")
        person_key = spec.get("person_key")
        if person_key is not None and person_key not in names:
            raise ContractError(f"{ewhere}: person_key {person_key!r} is not a declared column")
        entities[name] = Entity(name, spec.get("description", ""), key, tuple(columns), person_key)

    forces_ok = set(known_forces()) | {NATIONAL, "*"}
    layouts = []
    for lay in _require(raw, "layouts", where):
        lname = _require(lay, "name", where)
        lwhere = f"{where}: layout {lname!r}"
        fmt = _require(lay, "format", lwhere)
        if fmt not in FORMATS:
            raise ContractError(f"{lwhere}: format {fmt!r} is not one of {FORMATS}")
        date_format = lay.get("date_format", "iso")
        if date_format not in DATE_FORMATS:
            raise ContractError(f"{lwhere}: date_format {date_format!r} is not one of {DATE_FORMATS}")
        forces = tuple(_require(lay, "forces", lwhere))
        for force in forces:
            if force not in forces_ok:
                raise ContractError(f"{lwhere}: force {force!r} is not in seeds/forces.csv")
        files = {}
        for ename, fspec in _require(lay, "files", lwhere).items():
            if ename not in entities:
                raise ContractError(f"{lwhere}: file for unknown entity {ename!r}")
            mapping = dict(_require(fspec, "columns", f"{lwhere} file {ename!r}"))
            parent = dict(fspec.get("parent_columns", {}))
            for canonical in list(mapping.values()) + list(parent.values()):
                if canonical not in entities[ename].column_names:
                    raise ContractError(
                        f"{lwhere}: file {ename!r} maps to {canonical!r}, "
                        f"which entity {ename!r} does not declare"
                    )
            if not fspec.get("pattern") and not fspec.get("nested_in"):
                raise ContractError(f"{lwhere}: file {ename!r} needs a pattern or nested_in")
            optional = tuple(fspec.get("optional") or ())
            for delivered in optional:
                if delivered not in mapping:
                    raise ContractError(f"{lwhere}: file {ename!r} lists {delivered!r} as optional, "
                                        "but its columns do not map it")
                if mapping[delivered] in entities[ename].required_columns:
                    raise ContractError(f"{lwhere}: file {ename!r} lists {delivered!r} as optional, "
                                        f"but {mapping[delivered]!r} is a key or required column")
            files[ename] = FileSpec(
                entity=ename,
                columns=mapping,
                pattern=fspec.get("pattern"),
                nested_in=fspec.get("nested_in"),
                path=fspec.get("path"),
                parent_columns=parent,
                sheet=fspec.get("sheet"),
                optional=optional,
            )
        missing = set(entities) - set(files)
        if missing:
            raise ContractError(f"{lwhere}: no file declared for entities {sorted(missing)}")
        header_names = lay.get("header_names", "exact")
        if header_names not in HEADER_NAMES:
            raise ContractError(f"{lwhere}: header_names {header_names!r} is not one of {HEADER_NAMES}")
        may_be_absent = lay.get("optional_columns_may_be_absent", False)
        if not isinstance(may_be_absent, bool):
            raise ContractError(f"{lwhere}: optional_columns_may_be_absent must be true or false")
        codes = {}
        for cname, code_map in (lay.get("codes") or {}).items():
            if not any(cname in entity.column_names for entity in entities.values()):
                raise ContractError(f"{lwhere}: code set for {cname!r}, which no entity declares")
            if not isinstance(code_map, dict) or not code_map:
                raise ContractError(f"{lwhere}: code set {cname!r} must map local codes to national codes")
            for local, national in code_map.items():
                if isinstance(local, bool) or isinstance(national, bool) or national is None:
                    raise ContractError(
                        f"{lwhere}: code set {cname!r} has {local!r}: {national!r}; quote YAML words "
                        "such as OFF, NO, Y, N and null so they stay text"
                    )
            codes[cname] = {str(k): str(v) for k, v in code_map.items()}
        layouts.append(
            Layout(
                name=lname,
                description=" ".join(str(lay.get("description", "")).split()),
                forces=forces,
                format=fmt,
                encoding=lay.get("encoding", "utf-8"),
                date_format=date_format,
                files=files,
                delimiter=lay.get("delimiter", ","),
                offence_codes=lay.get("offence_codes"),
                codes=codes,
                optional_columns_may_be_absent=may_be_absent,
                header_names=header_names,
            )
        )
    fresh = raw.get("freshness", {})
    return Contract(
        source=source,
        title=raw.get("title", source),
        owner=raw.get("owner", ""),
        description=" ".join(str(raw.get("description", "")).split()),
        cadence=raw.get("cadence", "daily"),
        warn_after_days=int(fresh.get("warn_after_days", 7)),
        error_after_days=int(fresh.get("error_after_days", 30)),
        entities=entities,
        layouts=tuple(layouts),
        path=path,
    )


@cache
def load_contracts(directory: Path = CONTRACTS_DIR) -> dict[str, Contract]:
    """Every contract under contracts/, by source name."""
    contracts = {}
    for path in sorted(directory.glob("*.yml")):
        contract = parse_contract(path)
        contracts[contract.source] = contract
    return contracts
