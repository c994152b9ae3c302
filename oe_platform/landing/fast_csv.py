"""The fast path for clean delimited text: pyarrow's multi-threaded CSV reader, a batch at a time.

For a run of whole lines of a file's body it gives exactly the result of the careful path
(parse.careful_delimited) or nothing: any sign that the lines are not clean — an undecodable byte, a
NUL, a ragged or blank row, a record over several lines, quoting that Python's strict csv module would
refuse, a field over the size limit — returns None and the caller reads from there on with the careful
path, which rejects the offending rows one by one with reasons.
"""

from __future__ import annotations

import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from oe_platform.contracts import Contract, FileSpec, Layout
from oe_platform.landing.cells import MAX_FIELD_CHARS
from oe_platform.landing.parse import (
    REPEATED_HEADER_REASON,
    ParsedFile,
    _quote_char,
    empty_to_null,
    flag_table,
    header_name_keys,
)

BLOCK_SIZE = 8 << 20
UTF8 = ("utf-8", "utf-8-sig", "ascii")  # read by pyarrow as they are


def _row_pattern(delimiter: str, quote: str) -> str:
    """RE2 pattern of one well-formed record on one line, as Python's strict csv module reads it:
    fields either quoted ("" inside for a quote) or unquoted (not starting with a quote)."""
    d, q = re.escape(delimiter), re.escape(quote)
    field = f"(?:{q}(?:[^{q}]|{q}{q})*{q}|[^{q}{d}\\r\\n][^{d}\\r\\n]*|)"
    return f"^{field}(?:{d}{field})*\\r?$"


def _read(body: bytes, names: list[str], delimiter: str, quote: str | bool) -> pa.Table:
    return pacsv.read_csv(
        pa.BufferReader(body),
        read_options=pacsv.ReadOptions(column_names=names, block_size=BLOCK_SIZE, use_threads=True),
        parse_options=pacsv.ParseOptions(
            delimiter=delimiter,
            quote_char=quote,
            double_quote=True,
            escape_char=False,
            newlines_in_values=False,
            ignore_empty_lines=False,
        ),
        convert_options=pacsv.ConvertOptions(
            column_types={n: pa.string() for n in names},
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
            null_values=[],
            check_utf8=True,
        ),
    )


def clean_header_line(line: str) -> bool:
    """The first line can be read by the fast path (else the careful path reads the whole file)."""
    return bool(line.strip()) and "\x00" not in line and _encodable(line) and line.count("\r") == line.count("\r\n")


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # undecodable bytes, kept as surrogate escapes
        return False
    return True


def _name_keys(values: pa.ChunkedArray) -> pa.ChunkedArray:
    """parse._name_key over an Arrow column: lower case, letters and digits only."""
    return pc.replace_substring_regex(pc.utf8_lower(values), "[^0-9a-z]", "")


def header_rows(table: pa.Table, names: list[str], header: list[str]) -> np.ndarray:
    """The indices of the rows of `table` that are the header itself (parse.REPEATED_HEADER_REASON). Only
    first-column values short enough to be the first name are compared (a name spelled with spaces and
    punctuation is at most a few times longer), then the other columns only on the rows that matched:
    the check costs a length per value on a file without such rows."""
    keys = header_name_keys(header)
    first = table.column(names[0])
    short = pc.less_equal(pc.utf8_length(first), 4 * len(header[0]) + 8)
    candidates = np.flatnonzero(short.to_numpy(zero_copy_only=False))
    if not len(candidates):
        return candidates
    for name, key in zip(names, keys, strict=True):
        values = table.column(name).take(pa.array(candidates))
        same = pc.equal(_name_keys(values), key).to_numpy(zero_copy_only=False)
        candidates = candidates[same]
        if not len(candidates):
            break
    return candidates


def fast_delimited(
    block: bytes, codec: str, first_row: int, header: list[str], contract: Contract, layout: Layout, spec: FileSpec
) -> ParsedFile | None:
    """Parse clean whole lines of a delimited file's body, as delivered in the file's encoding (the
    first one is line `first_row` of the file), in one go; None when the careful path must decide."""
    if b"\x00" in block:
        return None
    try:
        text = block.decode(codec)
    except UnicodeDecodeError:
        return None  # bytes the file's encoding cannot decode
    body = block if codec in UTF8 else text.encode("utf-8")
    del text
    if b"\r" in body and body.count(b"\r") != body.count(b"\r\n"):
        return None  # a lone carriage return: let the careful path split the lines
    if len(body.strip()) == 0:
        return None  # blank lines only: the careful path skips them
    width = len(header)
    names = [f"c{i}" for i in range(width)]
    quote = _quote_char(layout)
    try:
        table = _read(body, names, layout.delimiter, quote)
    except (pa.ArrowException, ValueError):
        return None
    lines = body.count(b"\n") + (0 if body.endswith(b"\n") else 1)
    if table.num_rows != lines:
        return None  # a blank line or a record over several lines
    if quote.encode("utf-8") in body:
        try:
            raw_lines = _read(body, ["line"], "\x1f", False).column("line")
            well_formed = pc.all(pc.match_substring_regex(raw_lines, _row_pattern(layout.delimiter, quote))).as_py()
        except (pa.ArrowException, ValueError):
            return None
        if not well_formed:
            return None
    del body
    columns = {}
    candidates = None  # rows whose fields so far are all blank (a row of only blanks is rejected)
    for name, delivered in zip(names, header, strict=True):
        values = table.column(name)
        if (pc.max(pc.binary_length(values)).as_py() or 0) > MAX_FIELD_CHARS:
            return None  # a field too large: the careful path rejects its row
        if candidates is None or pc.any(candidates).as_py():
            blank = pc.or_(pc.equal(pc.binary_length(values), 0), pc.utf8_is_space(values))
            candidates = blank if candidates is None else pc.and_(candidates, blank)
        columns[spec.columns[delivered]] = empty_to_null(values)
    if candidates is not None and pc.any(candidates).as_py():
        return None  # a row with every field empty is rejected by the careful path
    read = table.num_rows
    row_numbers = np.arange(first_row, first_row + read, dtype=np.int64)
    repeated = header_rows(table, names, header)
    rejected = []
    if len(repeated):  # the header again, inside the file: rejected, as the careful path does
        rejected = [(int(row_numbers[i]), layout.delimiter.join(str(table.column(name)[int(i)].as_py())
                                                                 for name in names))
                    for i in repeated]
        keep = np.ones(read, dtype=bool)
        keep[repeated] = False
        mask = pa.array(keep)
        columns = {c: values.filter(mask) for c, values in columns.items()}
        row_numbers = row_numbers[keep]
    n = len(row_numbers)
    entity = contract.entities[spec.entity]
    arrays = {
        c: columns[c] if c in columns else pa.nulls(n, pa.string()) for c in entity.column_names
    }
    arrays["_row_number"] = pa.array(row_numbers)
    result = ParsedFile(top_entities=(spec.entity,), mode="fast", rows_read=read)
    for row_number, raw in rejected:
        result.reject(spec.entity, row_number, REPEATED_HEADER_REASON, raw)
    result.tables[spec.entity] = pa.table(arrays)
    flag_table(result, spec.entity, result.tables[spec.entity], list(columns))
    return result
