"""Parse one landed file with its layout: accepted canonical rows, rejects with reasons, warnings.

Only the declarative part of a contract is applied here: decode, split, rename delivered columns to
canonical names and keep every value as text. Typing and cleaning happen in dbt staging.

Every record read ends in exactly one place: accepted (a row of the entity's table) or rejected (a
Reject with the raw text, the reason and the column where there is one). A problem with the file as a
whole (wrong format, header that breaks the contract, binary content) raises FileRejected, and the
file is quarantined with that message.

Row numbers: for delimited text the physical line the record starts on (the header is line 1); for
JSON lines the line number; for Parquet the record's position (1-based); for XLSX the sheet row.
"""

from __future__ import annotations

import codecs
import csv
import fnmatch
import json
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import BinaryIO

import pyarrow as pa
import pyarrow.compute as pc

from oe_platform.contracts import Contract, FileSpec, Layout
from oe_platform.landing.cells import (
    EXCERPT_CHARS,
    FORMULA_PREFIXES,
    HUGE_FIELD_CHARS,
    MAX_FIELD_CHARS,
    PLAIN_NUMBER_REGEX,
    clip_raw,
    printable,
)
from oe_platform.landing.textstream import READ_BYTES, LineWindow

# A multi-line (quoted) record longer than this many lines is treated as a broken quote.
MAX_LINES_PER_RECORD = 1000
UTF8_BOM = b"\xef\xbb\xbf"
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")
_SURROGATE = re.compile("[\udc80-\udcff]")
_TEXT_BYTES = bytes(range(32, 256)) + b"\t\n\r\f\x0b"
_MAGIC = (
    (b"PK\x03\x04", "a ZIP archive (an .xlsx workbook is one)"),
    (b"PAR1", "a Parquet file"),
    (b"\x1f\x8b", "gzip-compressed"),
    (b"%PDF", "a PDF document"),
    (b"\xd0\xcf\x11\xe0", "a legacy Office document (.xls/.doc)"),
    (b"BZh", "bzip2-compressed"),
    (b"\xfd7zXZ", "xz-compressed"),
)
_DELIMITER_NAMES = {",": "comma", "|": "pipe", "\t": "tab", ";": "semicolon"}


def delimiter_name(delimiter: str) -> str:
    return _DELIMITER_NAMES.get(delimiter, repr(delimiter))


class FileRejected(Exception):
    """The whole file cannot be read against its contract; it is quarantined with this reason."""


@dataclass
class Reject:
    entity: str
    row_number: int | None
    reason: str
    raw_text: str
    column_name: str | None = None
    raw_text_truncated: bool = False


@dataclass
class Flag:
    """A value kept as delivered but flagged (the warnings table)."""

    entity: str
    row_number: int | None
    column_name: str | None
    kind: str
    detail: str
    value_excerpt: str | None = None


@dataclass
class ParsedFile:
    """Accepted rows per entity (canonical text columns + `_row_number`), rejects, warnings, and how
    many top-level records were read. `top_entities` are the entities the file itself holds (an XLSX
    workbook may hold several sheets); nested entities (JSON arrays) are not counted in rows_read."""

    tables: dict[str, pa.Table] = field(default_factory=dict)
    rejects: list[Reject] = field(default_factory=list)
    warnings: list[Flag] = field(default_factory=list)
    rows_read: int = 0
    top_entities: tuple[str, ...] = ()
    mode: str = "careful"
    flag_tables: list[pa.Table] = field(default_factory=list)  # vectorised warnings (FLAG_COLUMNS)

    def warnings_table(self) -> pa.Table:
        """Every warning (row-level and file-level) as one Arrow table of FLAG_COLUMNS."""
        listed = pa.Table.from_pylist(
            [{"entity": w.entity, "row_number": w.row_number, "column_name": w.column_name, "kind": w.kind,
              "detail": w.detail, "value_excerpt": w.value_excerpt} for w in self.warnings],
            schema=FLAG_COLUMNS,
        )
        return pa.concat_tables([listed, *self.flag_tables])

    def rows_warned(self) -> int:
        """Accepted top-level records with at least one flagged value."""
        flagged = self.warnings_table()
        flagged = flagged.filter(pc.and_(pc.is_in(flagged.column("entity"), pa.array(self.top_entities)),
                                         pc.is_valid(flagged.column("row_number"))))
        return flagged.group_by(["entity", "row_number"]).aggregate([]).num_rows

    def accepted(self, entity: str) -> int:
        table = self.tables.get(entity)
        return 0 if table is None else table.num_rows

    @property
    def rows_accepted(self) -> int:
        return sum(self.accepted(e) for e in self.top_entities)

    @property
    def rows_rejected(self) -> int:
        return sum(1 for r in self.rejects if r.entity in self.top_entities)

    def reject(self, entity: str, row_number: int | None, reason: str, raw: str, column: str | None = None) -> None:
        text, clipped = clip_raw(raw)
        self.rejects.append(Reject(entity, row_number, reason, text, column, clipped))

    def reject_missing_required(self, contract: Contract) -> None:
        """Move accepted rows that leave a required column (contract `required: true`) empty to the
        rejects, with a reason naming the column: a partner's person or event without its key
        cannot be kept apart from the others or referred to."""
        for name, table in list(self.tables.items()):
            required = [c.name for c in contract.entities[name].columns if c.required]
            missing = None
            for column in required:
                values = table.column(column)
                empty = pc.is_null(values)
                if pa.types.is_string(values.type) or pa.types.is_large_string(values.type):
                    # a key of spaces is no key: "   " would stage as '' and pass for one
                    blank = pc.fill_null(pc.equal(pc.utf8_trim_whitespace(values), ""), False)
                    empty = pc.or_(empty, blank)
                missing = empty if missing is None else pc.or_(missing, empty)
            if missing is None or not pc.any(missing).as_py():
                continue
            for record in table.filter(missing).to_pylist():
                row_number = record.pop("_row_number")
                empty_columns = [c for c in required if record.get(c) is None or not str(record.get(c)).strip()]
                self.reject(name, row_number,
                            f"required column(s) {empty_columns} empty: every {name} row must hold "
                            f"{' and '.join(required)}; fill it in and re-deliver the row",
                            json.dumps(record, ensure_ascii=False), empty_columns[0])
            self.tables[name] = table.filter(pc.invert(missing))


class RowCollector:
    """Accepted rows of one entity: each row a sequence of text values in `columns` order, transposed
    into Arrow columns once at the end. `table()` gives every column of the entity (columns the file
    does not deliver are null), empty strings as null, plus `_row_number`."""

    def __init__(self, columns: Iterable[str]):
        self.columns = list(columns)
        self.rows: list[Sequence[str | None]] = []
        self.row_numbers: list[int] = []

    def add(self, row_number: int, values: Sequence[str | None]) -> None:
        self.row_numbers.append(row_number)
        self.rows.append(values)

    def table(self, entity_columns: Iterable[str]) -> pa.Table:
        n = len(self.rows)
        transposed = list(zip(*self.rows, strict=True)) if n else [() for _ in self.columns]
        delivered = {}
        for name, values in zip(self.columns, transposed, strict=True):
            delivered[name] = empty_to_null(pa.array(values, type=pa.string()))
        arrays = {c: delivered.get(c, pa.nulls(n, pa.string())) for c in entity_columns}
        arrays["_row_number"] = pa.array(self.row_numbers, type=pa.int64())
        return pa.table(arrays)


# ---------------------------------------------------------------------------------------------
# Matching a file to its file spec(s)


def match_file_specs(layout: Layout, filename: str) -> list[FileSpec]:
    """The top-level file specs a delivered file name matches. The most specific pattern wins
    (CRIME_NOMINALS_*.txt over CRIME_*.txt); specs with the same pattern are all returned (one XLSX
    workbook holding several sheets)."""
    matches = [
        spec for spec in layout.files.values() if spec.pattern and fnmatch.fnmatchcase(filename, spec.pattern)
    ]
    if not matches:
        return []
    best = max(len(s.pattern.replace("*", "").replace("?", "")) for s in matches)
    tied = [s for s in matches if len(s.pattern.replace("*", "").replace("?", "")) == best]
    return tied if layout.format == "xlsx" else tied[:1]


def match_file_spec(contract: Contract, layout: Layout, filename: str) -> FileSpec | None:
    """The single top-level spec for a file name (kept for callers that expect one)."""
    specs = match_file_specs(layout, filename)
    return specs[0] if specs else None


# ---------------------------------------------------------------------------------------------
# Text decoding and sniffing


def _codec_name(encoding: str, where: str) -> str:
    try:
        return codecs.lookup(encoding).name
    except LookupError as err:
        raise FileRejected(f"{where}: the layout declares encoding {encoding!r}, which Python does not know; "
                           "fix the landing contract") from err


def sniff_text(data: bytes, layout: Layout, where: str) -> None:
    """Refuse files that are not text at all, with a message saying what they look like."""
    head = data[:65536]
    for magic, what in _MAGIC:
        if head.startswith(magic):
            raise FileRejected(
                f"{where}: the file is {what}, but layout {layout.name!r} declares {layout.format} text; "
                "deliver the extract in the declared format"
            )
    codec = _codec_name(layout.encoding, where)
    if head[:2] in (b"\xff\xfe", b"\xfe\xff") and not codec.startswith("utf-16"):
        raise FileRejected(
            f"{where}: the file is UTF-16 text (byte-order mark {head[:2]!r}); layout {layout.name!r} "
            f"declares {layout.encoding}. Re-export it as {layout.encoding}"
        )
    if not head:
        return
    nul = head.count(0)
    control = len(head.translate(None, _TEXT_BYTES))
    if nul > max(2, len(head) // 100) or control > max(8, len(head) // 10):
        raise FileRejected(
            f"{where}: the file is binary, not {layout.format} text ({nul} NUL and {control} control bytes in "
            f"the first {len(head)} bytes); deliver the text extract the landing contract declares"
        )


def remove_bom(handle: BinaryIO, layout: Layout, where: str) -> tuple[int, str, tuple[str, str] | None]:
    """Where the file's text starts (after a leading UTF-8 byte-order mark), the codec to read it
    with, and a note (warning kind, detail) when the file said something the layout did not: a file of
    a layout declaring another encoding (cp1252…) that starts with the mark, as Excel's "CSV UTF-8"
    writes it, is read as UTF-8 when it is valid UTF-8 (else as the declared encoding); one without the
    mark, of a single-byte encoding, that is valid UTF-8 with letters beyond ASCII is read as UTF-8;
    a delimited file of a UTF-8 layout that is not valid UTF-8 but reads as Windows-1252 and holds no
    UTF-8 character at all is read as cp1252 (damaged UTF-8 keeps well-formed characters beside the
    bad bytes, and its bad rows are refused as before). Reads the file from the start, in pieces,
    when the layout's encoding is not UTF-8 or the file is not plain ASCII."""
    codec = _codec_name(layout.encoding, where)
    handle.seek(0)
    if handle.read(len(UTF8_BOM)) != UTF8_BOM:
        handle.seek(0)
        if codec in SINGLE_BYTE_CODECS and _utf8_text(handle) == "beyond_ascii":
            return 0, "utf-8", (UTF8_UNDECLARED, (
                f"the file is UTF-8 text (valid UTF-8 with letters beyond ASCII, which {layout.encoding} text "
                f"almost never is), not {layout.encoding} as layout {layout.name!r} declares: it was read as "
                f"UTF-8 (read as {layout.encoding}, Zoë would have become ZoÃ«); ask the sender to export "
                f"{layout.encoding}, or change the layout's encoding"))
        # delimited text only: a spreadsheet's CSV export is where Windows-1252 comes from; JSON text
        # must be UTF-8 (RFC 8259), so a JSON line with other bytes stays refused
        if codec == "utf-8" and layout.format == "csv" and _utf8_text(handle) is None:
            handle.seek(0)
            if _single_byte_text(handle):
                handle.seek(0)
                return 0, "cp1252", (CP1252_UNDECLARED, (
                    f"the file is not UTF-8 as layout {layout.name!r} declares: its letters beyond ASCII are "
                    f"single bytes (é as the byte 0xE9, as a spreadsheet's plain 'CSV' export writes on Windows) "
                    f"and it holds no UTF-8 character at all, so it was read as Windows-1252 (cp1252) rather "
                    f"than each such row refused; check names with accents, and ask the sender to export UTF-8 "
                    f"(or declare encoding cp1252 for the layout)"))
        handle.seek(0)
        return 0, codec, None
    start = len(UTF8_BOM)
    if codec in ("utf-8", "utf-8-sig"):
        return start, codec, None
    if _utf8_text(handle) is None:
        return start, codec, (BYTE_ORDER_MARK, (
            f"the file starts with a UTF-8 byte-order mark but is not UTF-8 text: the mark was removed and the "
            f"file read as {layout.encoding}, as layout {layout.name!r} declares"))
    return start, "utf-8", (BYTE_ORDER_MARK, (
        f"the file starts with a UTF-8 byte-order mark (Excel's 'CSV UTF-8' writes one): the mark was removed "
        f"and the file read as UTF-8, not {layout.encoding} as layout {layout.name!r} declares; ask the sender "
        f"to export {layout.encoding} without it, or change the layout's encoding"))


# single-byte encodings in which almost no text with letters beyond ASCII is also valid UTF-8
SINGLE_BYTE_CODECS = frozenset({"cp1252", "cp1250", "cp1257", "iso8859-1", "iso8859-15", "iso8859-2", "mac-roman"})
# the file-level warnings remove_bom gives (stg_ingest__warnings.kind)
BYTE_ORDER_MARK = "byte_order_mark"
UTF8_UNDECLARED = "utf8_undeclared"
CP1252_UNDECLARED = "cp1252_undeclared"
# A well-formed UTF-8 character beyond ASCII (RFC 3629): text in a single-byte encoding almost never
# holds one by chance (a capital such as Ö followed by a symbol such as ’), a UTF-8 file always does.
_UTF8_MULTIBYTE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf]{2}"
    rb"|\xed[\x80-\x9f][\x80-\xbf]|\xf0[\x90-\xbf][\x80-\xbf]{2}|[\xf1-\xf3][\x80-\xbf]{3}"
    rb"|\xf4[\x80-\x8f][\x80-\xbf]{2}"
)
# bytes Windows-1252 leaves undefined: a file holding one is not cp1252 text either
_CP1252_UNDEFINED = re.compile(rb"[\x81\x8d\x8f\x90\x9d]")


def _single_byte_text(handle: BinaryIO) -> bool:
    """True when the rest of the file reads as Windows-1252 text and holds no UTF-8 character beyond
    ASCII: a file that is not valid UTF-8 because it was written in a single-byte encoding, not a
    UTF-8 file with damaged bytes (which holds well-formed UTF-8 characters beside the bad ones)."""
    carry = b""
    while data := handle.read(READ_BYTES):
        data = carry + data
        if _UTF8_MULTIBYTE.search(data) or _CP1252_UNDEFINED.search(data):
            return False
        carry = data[-3:]  # a character split between two reads is found in the next one
    return True


def _utf8_text(handle: BinaryIO) -> str | None:
    """What the rest of the file is as UTF-8: None when it is not valid UTF-8 (stops at the first byte
    that is not), "ascii" when every byte is ASCII (which reads the same in any of these encodings),
    else "beyond_ascii"."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    beyond = False
    try:
        while data := handle.read(READ_BYTES):
            beyond = beyond or not data.isascii()
            decoder.decode(data)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return None
    return "beyond_ascii" if beyond else "ascii"


def note_bom(result: ParsedFile, entity: str, note: tuple[str, str] | None) -> None:
    """The file-level warning remove_bom gave (kind, detail): a byte-order mark, or UTF-8 the layout did
    not declare."""
    if note:
        result.warnings.append(Flag(entity, None, None, *note))


def _bad_bytes_reason(value: str, layout: Layout) -> str:
    found = _SURROGATE.findall(value)
    shown = "".join(found[:8]).encode("utf-8", "surrogateescape")
    return (
        f"bytes {shown!r} are not valid {layout.encoding} (the layout's encoding); "
        f"re-export the file as {layout.encoding} and deliver it again"
    )


# ---------------------------------------------------------------------------------------------
# Header checks (delimited text and XLSX)


def contract_ref(contract: Contract, layout: Layout, spec: FileSpec) -> str:
    sheet = f", sheet {spec.sheet!r}" if spec.sheet else ""
    return f"contracts/{contract.path.name} layout {layout.name!r} entity {spec.entity!r}{sheet}"


def note_absent_columns(result: ParsedFile, spec: FileSpec, absent: list[str], where: str = "") -> None:
    """A file-level warning for each optional column the delivery left out (it arrives empty)."""
    for delivered in absent:
        result.warnings.append(Flag(spec.entity, None, spec.columns[delivered], "column_absent",
                                    f"column {delivered!r} is not in the delivered header{where}; "
                                    "it is optional and arrives empty"))


def check_header(
    header: list[str], contract: Contract, layout: Layout, spec: FileSpec, where: str
) -> list[str]:
    """Raise FileRejected when the delivered header breaks the contract: a column it does not know, a
    duplicate, or a mapped column left out (unless the layout lets optional columns be absent, and
    the column is not required). Returns the delivered names of the absent optional columns."""
    expected = list(spec.columns)
    dupes = sorted(h for h, n in Counter(header).items() if n > 1)
    unknown = [h for h in header if h not in spec.columns]
    missing = [c for c in expected if c not in header]
    absent: list[str] = []
    required_missing: list[str] = []
    if layout.optional_columns_may_be_absent:
        required = set(contract.entities[spec.entity].required_columns)
        required_missing = [c for c in missing if spec.columns[c] in required]
        absent = [c for c in missing if c not in required_missing]
        missing = required_missing
    elif spec.optional:  # only the columns the file's contract lists as optional may be left out
        absent = [c for c in missing if c in spec.optional]
        missing = [c for c in missing if c not in spec.optional]
    if not (unknown or missing or dupes):
        return absent
    parts = []
    if required_missing:
        parts.append(f"missing required column(s) {required_missing} (every delivery must hold them; "
                     f"the other columns may be left out)")
    elif missing:
        parts.append(f"missing column(s) {missing}")
    if unknown:
        parts.append(f"unexpected column(s) {[printable(u) for u in unknown]}")
    if dupes:
        parts.append(f"duplicate column(s) {dupes}")
    if layout.format == "csv" and len(header) == 1:
        for delimiter, name in _DELIMITER_NAMES.items():
            if delimiter != layout.delimiter and len(set(header[0].split(delimiter)) & set(expected)) >= 2:
                raise FileRejected(
                    f"{where}: the header is a single column: the file looks {name}-delimited ({delimiter!r}), "
                    f"but {contract_ref(contract, layout, spec)} declares "
                    f"{delimiter_name(layout.delimiter)}-delimited ({layout.delimiter!r}). Re-export the file with "
                    f"{layout.delimiter!r} between fields (or correct the layout, then run ingest again) and re-deliver"
                )
    hint = " A renamed column shows as one missing and one unexpected." if missing and unknown else ""
    if layout.optional_columns_may_be_absent:
        required = set(contract.entities[spec.entity].required_columns)
        expectation = (f"expected columns among {expected}, in any order, with at least "
                       f"{[c for c in expected if spec.columns[c] in required]}")
    elif spec.optional:
        expectation = f"expected {expected}, of which {list(spec.optional)} may be left out"
    else:
        expectation = f"expected exactly {expected}"
    raise FileRejected(
        f"{where}: header does not match {contract_ref(contract, layout, spec)} "
        f"({'; '.join(parts)}); {expectation}.{hint} "
        "Fix the extract (or change the contract, then run ingest again) and re-deliver"
    )


# ---------------------------------------------------------------------------------------------
# Delimited text, the careful path: every record individually, with resynchronisation after a
# broken multi-line record so one stray quote cannot swallow the rest of the file.


class _LineFeed:
    """Feeds lines to csv.reader; stops a single record from running over MAX_LINES_PER_RECORD."""

    def __init__(self, lines: LineWindow, pos: int):
        self.lines = lines
        self.pos = pos
        self.record_start = pos

    def __iter__(self) -> _LineFeed:
        return self

    def __next__(self) -> str:
        if self.pos - self.record_start >= MAX_LINES_PER_RECORD or not self.lines.has(self.pos):
            raise StopIteration
        line = self.lines[self.pos]
        self.pos += 1
        return line


def _strip_newline(text: str) -> str:
    return text.rstrip("\r\n")


def _csv_error_reason(err: csv.Error, layout: Layout) -> str:
    message = str(err)
    if "field larger than field limit" in message:
        return (
            f"a field is larger than {MAX_FIELD_CHARS // (1 << 20)} MiB, which no extract column holds "
            "(usually an unclosed quote or a corrupt export); fix the row and re-deliver"
        )
    if "unexpected end of data" in message or "newline inside string" in message:
        return (
            "a quoted field is never closed (unbalanced \" quote, or the file was cut short); "
            "the row is rejected and parsing restarts on the next line"
        )
    return f"the row cannot be parsed as {delimiter_name(layout.delimiter)}-delimited text ({message})"


def _quote_char(layout: Layout) -> str:
    return getattr(layout, "quotechar", None) or '"'


def split_lines(text: str) -> list[str]:
    r"""Physical lines with their line ends (\r\n, \n or \r only: never Unicode line separators,
    which are ordinary characters inside a field)."""
    return _LINE.findall(text)


def read_csv_header(
    lines: list[str] | LineWindow, contract: Contract, layout: Layout, spec: FileSpec, where: str
) -> tuple[list[str], int, list[tuple[str, str]]]:
    """The header (validated against the contract, in the contract's names), the index of the first
    line after it, and the delivered names read loosely (layout header_names: loose) with their
    contract names."""
    has = lines.has if isinstance(lines, LineWindow) else (lambda index: index < len(lines))
    first = 0
    while has(first) and not lines[first].strip():
        first += 1
    if not has(first):
        raise FileRejected(
            f"{where}: the file is empty (no header row); deliver at least the header row of "
            f"{contract_ref(contract, layout, spec)}"
        )
    try:
        header = next(csv.reader([lines[first]], delimiter=layout.delimiter, quotechar=_quote_char(layout),
                                 strict=True))
    except csv.Error as err:
        raise FileRejected(f"{where}: line {first + 1}: the header cannot be parsed ({err})") from err
    header = [h.strip().lstrip("\ufeff").strip() for h in header]
    if any(_SURROGATE.search(h) for h in header):
        raise FileRejected(
            f"{where}: line {first + 1}: the header holds {_bad_bytes_reason(''.join(header), layout)}"
        )
    renamed: list[tuple[str, str]] = []
    if layout.header_names == "loose":
        header, renamed = loose_header(header, spec)
    check_header(header, contract, layout, spec, where)
    return header, first + 1, renamed


def _name_key(name: str) -> str:
    return re.sub(r"[^0-9a-z]", "", name.casefold())


REPEATED_HEADER_REASON = (
    "the header row again, inside the file (files joined together, or an export repeating its header "
    "every page): the row is no record and is set aside; remove such lines from the export"
)
"""A row whose every field is its column's name, ignoring case, spaces and punctuation (`header_name_keys`)."""


def header_name_keys(header: list[str]) -> list[str]:
    """The header's names as a row repeating it would read them, each compared ignoring case, spaces and
    punctuation: a row of the header itself is no record, however the export wrote its names."""
    return [_name_key(name) for name in header]


def loose_header(header: list[str], spec: FileSpec) -> tuple[list[str], list[tuple[str, str]]]:
    """The header with each delivered name the contract does not know renamed to the one contract
    name it matches ignoring case, spaces and punctuation ("Date of Birth", "DATE-OF-BIRTH" and
    "DateOfBirth" are date_of_birth), and the renames made. A name matching none, or several, is
    left as delivered (the header check then names it)."""
    keys: dict[str, list[str]] = {}
    for name in spec.columns:
        keys.setdefault(_name_key(name), []).append(name)
    loosened, renamed = [], []
    for delivered in header:
        matches = keys.get(_name_key(delivered), [])
        if delivered not in spec.columns and len(matches) == 1:
            loosened.append(matches[0])
            renamed.append((delivered, matches[0]))
        else:
            loosened.append(delivered)
    return loosened, renamed


HEADER_NAMES_LOOSE = "header_names_loose"


def note_header(result: ParsedFile, spec: FileSpec, header: list[str], renamed: list[tuple[str, str]]) -> None:
    """The file-level warnings of a checked header: optional columns it leaves out, names matched loosely."""
    note_absent_columns(result, spec, absent_from(header, spec))
    if renamed:
        pairs = ", ".join(f"{delivered!r} as {name!r}" for delivered, name in renamed)
        result.warnings.append(Flag(spec.entity, None, None, HEADER_NAMES_LOOSE,
                                    f"column name(s) read ignoring case, spaces and punctuation: {pairs}; "
                                    "the contract's names are the ones to use"))


def absent_from(header: list[str], spec: FileSpec) -> list[str]:
    """Mapped columns (delivered names) a checked header leaves out."""
    return [c for c in spec.columns if c not in header]


def careful_delimited(
    lines: LineWindow, start: int, header: list[str] | None, where: str, contract: Contract, layout: Layout,
    spec: FileSpec, batch_rows: int,
) -> Iterator[ParsedFile]:
    """The careful path, from line index `start` (0-based) to the end of the file: every record on
    its own, with a reason for each one rejected; one ParsedFile per `batch_rows` records read. With
    `header` None the header is read first (and its absent optional columns noted); else `start` is
    the first line of a record after it."""
    first_batch = ParsedFile(top_entities=(spec.entity,), mode="careful")
    if header is None:
        header, start, renamed = read_csv_header(lines, contract, layout, spec, where)
        note_header(first_batch, spec, header, renamed)
    width = len(header)
    canonical = [spec.columns[h] for h in header]
    header_keys = header_name_keys(header)
    entity_columns = contract.entities[spec.entity].column_names
    csv.field_size_limit(MAX_FIELD_CHARS)
    quote = _quote_char(layout)

    def new_reader(feed: _LineFeed):
        return csv.reader(feed, delimiter=layout.delimiter, quotechar=quote, strict=True)

    def finish(batch: ParsedFile, rows: RowCollector) -> ParsedFile:
        table = rows.table(entity_columns)
        batch.tables[spec.entity] = table
        flag_table(batch, spec.entity, table, canonical)
        return batch

    result, rows = first_batch, RowCollector(canonical)
    feed = _LineFeed(lines, start)
    reader = new_reader(feed)
    resynced = False
    while lines.has(feed.pos):
        if result.rows_read >= batch_rows:
            yield finish(result, rows)
            result, rows = ParsedFile(top_entities=(spec.entity,), mode="careful"), RowCollector(canonical)
        lines.forget_before(feed.pos)  # the records before are done (a resync restarts at or after here)
        start = feed.record_start = feed.pos
        error: csv.Error | None = None
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as err:
            error, record = err, []
        consumed = feed.pos - start
        raw = lines[start] if consumed == 1 else lines.text(start, feed.pos)
        line_number = start + 1
        if error is None and not raw.strip():
            continue  # a blank line holds no record
        result.rows_read += 1
        if error is not None or len(record) != width:
            if error is not None:
                reason = _csv_error_reason(error, layout)
            else:
                reason = (
                    f"row has {len(record)} field{'' if len(record) == 1 else 's'}, the header has {width} "
                    f"({delimiter_name(layout.delimiter)}-delimited); "
                    "check for a missing or extra delimiter and re-deliver the row"
                )
            if consumed > 1:
                # The record ran over several lines: reject its first line only and restart there.
                feed.pos = start + 1
                reader = new_reader(feed)
                resynced = True
                reason += f" (the record ran over {consumed} lines; only line {line_number} is rejected)"
                result.reject(spec.entity, line_number, reason, _strip_newline(lines[start]))
            else:
                result.reject(spec.entity, line_number, reason, _strip_newline(raw))
            continue
        if "\x00" in raw or _SURROGATE.search(raw):
            bad_col = next((canonical[i] for i, v in enumerate(record) if "\x00" in v or _SURROGATE.search(v)),
                           None)
            reason = (
                "the row holds a NUL byte, which no text extract contains; fix the export and re-deliver"
                if "\x00" in raw
                else _bad_bytes_reason(raw, layout)
            )
            result.reject(spec.entity, line_number, reason, _strip_newline(raw), bad_col)
            continue
        if not "".join(record).strip():
            result.reject(spec.entity, line_number, "every field of the row is empty", _strip_newline(raw))
            continue
        if _name_key(record[0]) == header_keys[0] and all(
                _name_key(value) == key for value, key in zip(record[1:], header_keys[1:], strict=True)):
            result.reject(spec.entity, line_number, REPEATED_HEADER_REASON, _strip_newline(raw))
            continue
        if resynced:
            result.warnings.append(Flag(spec.entity, line_number, None, "after_resync",
                                        "the previous record was broken; this row was parsed from its own line"))
            resynced = False
        rows.add(line_number, record)
    yield finish(result, rows)


# ---------------------------------------------------------------------------------------------
# JSON lines with nested arrays


def as_text(value: object) -> str | None:
    """A JSON value as bronze text: strings as they are, true/false, numbers as written, arrays and
    objects as compact JSON."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


class _Node:
    """One level of mapped JSON fields: leaves to extract, sub-objects to descend into, and the keys
    allowed at this level (any other key is schema drift)."""

    def __init__(self) -> None:
        self.leaves: list[tuple[str, int | None]] = []  # (key, output position or None: allowed only)
        self.subs: list[tuple[str, _Node]] = []
        self.allowed: frozenset[str] = frozenset()

    @classmethod
    def build(cls, outputs: dict[str, int], allowed_only: Iterable[str] = ()) -> _Node:
        """outputs: dotted path -> output position; allowed_only: dotted paths that may appear (arrays of
        nested records, parent columns) but are not output here."""
        root = cls()
        for path, position in [*outputs.items(), *((p, None) for p in allowed_only)]:
            node = root
            keys = path.split(".")
            for key in keys[:-1]:
                child = dict(node.subs).get(key)
                if child is None:
                    child = cls()
                    node.subs.append((key, child))
                node = child
            node.leaves.append((keys[-1], position))
        root._freeze()
        return root

    def _freeze(self) -> None:
        self.allowed = frozenset([k for k, _ in self.leaves] + [k for k, _ in self.subs])
        self.leaves = [(k, p) for k, p in self.leaves if p is not None]
        for _, sub in self.subs:
            sub._freeze()

    def extract(self, obj: dict, out: list, unknown: set[str] | None, prefix: str = "") -> None:
        """Write the mapped values of `obj` into `out`; add unknown field paths to `unknown` (None: do
        not check, for plans that read only part of an object)."""
        if unknown is not None and not obj.keys() <= self.allowed:
            unknown.update(prefix + k for k in obj.keys() - self.allowed)
        get = obj.get
        for key, position in self.leaves:
            value = get(key)
            out[position] = value if value.__class__ is str and value else as_text(value)
        for key, sub in self.subs:
            value = get(key)
            if value.__class__ is dict:
                sub.extract(value, out, unknown, f"{prefix}{key}." if unknown is not None else prefix)


_ANY_SURROGATE = re.compile("[\ud800-\udfff]")


def _lone_surrogate(row: list, children: list[tuple[str, list[list]]]) -> bool:
    values = [*row, *(v for _, rows in children for r in rows for v in r)]
    return any(v is not None and _ANY_SURROGATE.search(v) for v in values)


def _path(obj: object, keys: list[str]) -> object:
    for key in keys:
        if obj.__class__ is not dict:
            return None
        obj = obj.get(key)  # type: ignore[union-attr]
    return obj


class JsonlPlan:
    """What the careful JSON lines path extracts from each record of a file (built once per file),
    and the field paths outside the contract found so far (schema drift, reported at the end)."""

    def __init__(self, contract: Contract, layout: Layout, spec: FileSpec):
        self.contract, self.layout, self.spec = contract, layout, spec
        self.nested = [s for s in layout.files.values() if s.nested_in == spec.entity]
        self.top_columns = list(dict.fromkeys(spec.columns.values()))
        self.top = _Node.build({d: self.top_columns.index(c) for d, c in spec.columns.items()},
                               [p for c in self.nested for p in c.parent_columns]
                               + [c.path or "" for c in self.nested])
        self.children = []
        for child in self.nested:
            columns = list(dict.fromkeys([*child.parent_columns.values(), *child.columns.values()]))
            parent = _Node.build({d: columns.index(c) for d, c in child.parent_columns.items()})
            items = _Node.build({d: columns.index(c) for d, c in child.columns.items()})
            self.children.append((child, (child.path or "").split("."), parent, items, columns))
        self.unknown: set[str] = set()

    def drift(self, where: str, never: list[str]) -> FileRejected:
        """The error for a file whose records hold fields outside the contract."""
        contract, layout, spec = self.contract, self.layout, self.spec
        expected = list(spec.columns) + [f"{c.path}[].{p}" for c in self.nested for p in c.columns]
        renamed = f"; fields of the contract empty in every record: {never[:10]}" if never else ""
        return FileRejected(
            f"{where}: JSON fields not in {contract_ref(contract, layout, spec)}: {sorted(self.unknown)[:10]}"
            f"{renamed}. Expected fields: {expected}. Fix the extract (or add the field to the contract, then "
            "run ingest again) and re-deliver"
        )


def careful_jsonl(plan: JsonlPlan, text: str, first_line: int) -> ParsedFile:
    """The careful path over a run of whole lines of a JSON lines file starting at line `first_line`:
    every record on its own, with a reason for each one rejected. Fields outside the contract are
    added to `plan.unknown` (the file is refused once every batch is read)."""
    contract, layout, spec = plan.contract, plan.layout, plan.spec
    result = ParsedFile(top_entities=(spec.entity,), mode="careful")
    top = plan.top
    collectors = {spec.entity: RowCollector(plan.top_columns)}
    plans = []
    for child, path_keys, parent, items_plan, columns in plan.children:
        collectors[child.entity] = RowCollector(columns)
        plans.append((child, path_keys, parent, items_plan, len(columns)))
    width = len(plan.top_columns)
    unknown = plan.unknown

    for index, line in enumerate(text.split("\n"), start=first_line):
        if not line or line.isspace():
            continue
        if line[-1] == "\r":
            line = line[:-1]
        result.rows_read += 1
        if "\x00" in line or _SURROGATE.search(line):
            reason = "the line holds a NUL byte" if "\x00" in line else _bad_bytes_reason(line, layout)
            result.reject(spec.entity, index, reason, line)
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as err:
            result.reject(spec.entity, index, f"invalid JSON at character {err.pos}: {err.msg}", line)
            continue
        except RecursionError:
            result.reject(spec.entity, index, "JSON nested too deeply to be a record", line)
            continue
        if obj.__class__ is not dict:
            result.reject(spec.entity, index, f"a line must be a JSON object, not {type(obj).__name__}", line)
            continue
        row: list[str | None] = [None] * width
        top.extract(obj, row, unknown)
        children: list[tuple[str, list[list[str | None]]]] = []
        child_rejects: list[tuple[str, str, str]] = []
        for child, path_keys, parent, items_plan, child_width in plans:
            items = _path(obj, path_keys)
            if items is None:
                continue
            if items.__class__ is not list:
                child_rejects.append((child.entity, f"field {child.path!r} must be an array", child.path or ""))
                continue
            base: list[str | None] = [None] * child_width
            parent.extract(obj, base, None)  # the top-level plan has checked these fields
            good = []
            for position, item in enumerate(items, start=1):  # type: ignore[arg-type]
                if item.__class__ is not dict:
                    child_rejects.append(
                        (child.entity, f"item {position} of {child.path!r} must be a JSON object", child.path or "")
                    )
                    continue
                crow = list(base)
                items_plan.extract(item, crow, unknown, f"{child.path}[].")
                good.append(crow)
            children.append((child.entity, good))
        if not any(row) and not any(rows for _, rows in children):
            result.reject(spec.entity, index, "the object holds none of the contract's fields", line)
            continue
        if ("\\ud" in line or "\\uD" in line) and _lone_surrogate(row, children):
            result.reject(spec.entity, index, "a string holds an unpaired \\uD800-\\uDFFF escape, which is not "
                          "text; fix the export and re-deliver", line)
            continue
        collectors[spec.entity].add(index, row)
        for entity, crows in children:
            add = collectors[entity].add
            for crow in crows:
                add(index, crow)
        for entity, reason, column in child_rejects:
            result.reject(entity, index, reason, line, column)

    for name, collector in collectors.items():
        table = collector.table(contract.entities[name].column_names)
        result.tables[name] = table
        flag_table(result, name, table, collector.columns)
    return result


# ---------------------------------------------------------------------------------------------
# Vectorised value flags for the Arrow paths (fast CSV, Parquet)


FLAG_COLUMNS = pa.schema([
    pa.field("entity", pa.string()),
    pa.field("row_number", pa.int64()),
    pa.field("column_name", pa.string()),
    pa.field("kind", pa.string()),
    pa.field("detail", pa.string()),
    pa.field("value_excerpt", pa.string()),
])


def _excerpts(values: pa.Array, lengths: pa.Array) -> pa.Array:
    clipped = pc.binary_join_element_wise(
        pc.utf8_slice_codeunits(values, 0, EXCERPT_CHARS), "… (", pc.cast(lengths, pa.string()), " characters)", ""
    )
    return pc.if_else(pc.greater(lengths, EXCERPT_CHARS), clipped, values)


def empty_to_null(values):
    """Empty strings as null (the length test reads only the offsets: cheap on big columns)."""
    return pc.if_else(pc.equal(pc.binary_length(values), 0), pa.scalar(None, pa.string()), values)


_FORMULA_FIRST = pa.array(list(FORMULA_PREFIXES))


def flag_table(result: ParsedFile, entity: str, table: pa.Table, columns: Iterable[str]) -> None:
    """Flag formula-like and huge values of the text columns of an Arrow table, whole columns at a
    time (the same rule as cells.looks_like_formula)."""
    row_numbers = table.column("_row_number")
    for column in dict.fromkeys(columns):
        values = table.column(column)
        if values.null_count == len(values):
            continue
        masks = []
        # bytes >= characters: only a column with a long value pays for counting characters
        if (pc.max(pc.binary_length(values)).as_py() or 0) > HUGE_FIELD_CHARS:
            masks.append(("huge_field", pc.greater(pc.utf8_length(values), HUGE_FIELD_CHARS)))
        starts = pc.is_in(pc.utf8_slice_codeunits(values, 0, 1), value_set=_FORMULA_FIRST)
        if pc.any(starts).as_py():
            masks.append(("formula_like", pc.and_(starts, pc.invert(pc.match_substring_regex(values,
                                                                                             PLAIN_NUMBER_REGEX)))))
        for kind, mask in masks:
            mask = pc.fill_null(mask, False)
            if not pc.any(mask).as_py():
                continue
            hits = pc.filter(pa.table({"v": values, "n": row_numbers}), mask)
            n = hits.num_rows
            lengths = pc.utf8_length(hits.column("v"))
            if kind == "huge_field":
                detail = pc.binary_join_element_wise(pc.cast(lengths, pa.string()), " characters", "")
            else:
                detail = pa.repeat(pa.scalar("begins like a spreadsheet formula"), n)
            result.flag_tables.append(pa.table({
                "entity": pa.repeat(pa.scalar(entity), n),
                "row_number": hits.column("n"),
                "column_name": pa.repeat(pa.scalar(column), n),
                "kind": pa.repeat(pa.scalar(kind), n),
                "detail": detail,
                "value_excerpt": _excerpts(hits.column("v"), lengths),
            }).cast(FLAG_COLUMNS))
