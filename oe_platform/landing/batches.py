"""Delimited text and JSON lines read a batch of lines at a time: memory bounded by the batch size.

Each function yields ParsedFile batches of consecutive records (row numbers are the file's own
lines), then file-level warnings; ingest writes each batch before the next is read. Every batch of
whole lines is first given to the fast path (pyarrow); where it declines, the careful path reads on:
for delimited text from the start of that batch to the end of the file (a quoted record may run over
lines, so it cannot restart at a batch boundary), for JSON lines that batch alone (a record is one
line). The fast and careful paths give the same rows, so the result is the same as reading the file
whole, whatever the batch size. `mode` of a batch: "fast" or "careful" ("" for a batch holding only
file-level warnings); the file's mode is "careful" when any batch was read carefully.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import chain
from pathlib import Path

from oe_platform.contracts import Contract, FileSpec, Layout
from oe_platform.landing.fast_csv import clean_header_line, fast_delimited
from oe_platform.landing.fast_jsonl import fast_jsonl
from oe_platform.landing.parse import (
    Flag,
    JsonlPlan,
    ParsedFile,
    careful_delimited,
    careful_jsonl,
    note_bom,
    note_header,
    read_csv_header,
    remove_bom,
    sniff_text,
    split_lines,
)
from oe_platform.landing.textstream import LineBlocks, LineWindow

SNIFF_BYTES = 65536


def _notes(spec: FileSpec) -> ParsedFile:
    return ParsedFile(top_entities=(spec.entity,), mode="")


def parse_delimited(
    path: Path, where: str, contract: Contract, layout: Layout, spec: FileSpec, batch_rows: int, fast: bool = True
) -> Iterator[ParsedFile]:
    """A delimited text file, `batch_rows` records at a time."""
    with open(path, "rb") as handle:
        sniff_text(handle.read(SNIFF_BYTES), layout, where)  # a binary file is quarantined whichever path reads it
        offset, codec, bom_note = remove_bom(handle, layout, where)
        notes = _notes(spec)
        note_bom(notes, spec.entity, bom_note)
        blocks = LineBlocks(handle, offset, codec)
        first = blocks.take_lines(1).decode(codec, errors="surrogateescape")
        read = 0
        if fast and clean_header_line(first):
            # raises on drift
            header, _, renamed = read_csv_header(split_lines(first), contract, layout, spec, where)
            note_header(notes, spec, header, renamed)
            yield notes
            line = 2
            while block := blocks.take_lines(batch_rows):
                batch = fast_delimited(block, codec, line, header, contract, layout, spec)
                if batch is None:
                    # from here on, careful: a record may run over the lines of several batches
                    text = block.decode(codec, errors="surrogateescape")
                    del block
                    lines = LineWindow(chain([text], blocks.rest_text(codec)), line - 1)
                    del text
                    for batch in careful_delimited(lines, line - 1, header, where, contract, layout, spec,
                                                   batch_rows):
                        read += batch.rows_read
                        yield batch
                        del batch
                    break
                del block
                read += batch.rows_read
                line += batch.rows_read
                yield batch
                del batch
        else:
            yield notes
            lines = LineWindow(chain([first], blocks.rest_text(codec)))
            for batch in careful_delimited(lines, 0, None, where, contract, layout, spec, batch_rows):
                read += batch.rows_read
                yield batch
                del batch
    # a header-only file is the careful path's to record (as it was when files were read whole)
    tail = ParsedFile(top_entities=(spec.entity,), mode="" if read else "careful")
    if read == 0:
        tail.warnings.append(Flag(spec.entity, None, None, "no_data_rows", "header only"))
    yield tail


def parse_jsonl(
    path: Path, where: str, contract: Contract, layout: Layout, spec: FileSpec, batch_rows: int, fast: bool = True
) -> Iterator[ParsedFile]:
    """A JSON lines file, `batch_rows` lines at a time; refused (FileRejected) once every batch is
    read when its records hold fields outside the contract."""
    with open(path, "rb") as handle:
        sniff_text(handle.read(SNIFF_BYTES), layout, where)
        offset, codec, bom_note = remove_bom(handle, layout, where)
        notes = _notes(spec)
        note_bom(notes, spec.entity, bom_note)
        yield notes
        plan = JsonlPlan(contract, layout, spec)
        fast = fast and codec in ("utf-8", "utf-8-sig")
        blocks = LineBlocks(handle, offset, codec)
        line, read, accepted, batches = 1, 0, 0, 0
        present: set[str] = set()  # canonical columns with a value in some accepted record
        while block := blocks.take_lines(batch_rows):
            batch = fast_jsonl(block, line, contract, layout, spec) if fast else None
            if batch is None:
                batch = careful_jsonl(plan, block.decode(codec, errors="surrogateescape"), line)
            line += block.count(b"\n")
            del block
            top = batch.tables[spec.entity]
            accepted += top.num_rows
            present.update(c for c in top.column_names if top.column(c).null_count < top.num_rows)
            del top
            read += batch.rows_read
            batches += 1
            yield batch
            del batch
    tail = ParsedFile(top_entities=(spec.entity,), mode="" if batches else "careful")
    never = [d for d, c in spec.columns.items() if accepted and c not in present]
    if plan.unknown:
        raise plan.drift(where, never)
    for field_path in never:
        tail.warnings.append(Flag(spec.entity, None, field_path, "field_never_present",
                                  f"JSON field {field_path!r} is absent or empty in every record of the file"))
    if not read:
        tail.warnings.append(Flag(spec.entity, None, None, "no_data_rows", "no JSON records"))
    yield tail
