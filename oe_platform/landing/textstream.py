"""Reading a delivered text file a batch of lines at a time, so memory does not grow with the file.

Ingest parses and writes a file in batches of at most `batch_rows()` records (setting
`OE_INGEST_BATCH_ROWS`, default DEFAULT_BATCH_ROWS; `oe ingest --batch-rows`). A text batch also
stops within BATCH_MAX_BYTES (whole lines), so a file of very wide rows stays bounded too.

`LineBlocks` reads the file in pieces and hands out runs of whole lines as bytes (the fast paths read
UTF-8 bytes as they are), or the rest of the file as text decoded incrementally (undecodable bytes kept
as surrogate escapes, as whole-file decoding did). `LineWindow` gives the careful CSV parser the
physical lines by absolute index, reading on demand and dropping the lines it no longer needs.
"""

from __future__ import annotations

import codecs
import os
import re
from collections import deque
from collections.abc import Iterator
from typing import BinaryIO

DEFAULT_BATCH_ROWS = 100_000
BATCH_ROWS_ENV = "OE_INGEST_BATCH_ROWS"
BATCH_MAX_BYTES = 64 << 20  # a text batch also ends at a line end within this many bytes
READ_BYTES = 1 << 20
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")
_FORGET_AFTER = 8192  # lines: LineWindow drops consumed lines in slices of at least this many


class BatchSizeError(ValueError):
    """OE_INGEST_BATCH_ROWS (or --batch-rows) is not a positive whole number."""


def whole_number_above_zero(value: int | str | None) -> int | None:
    """`value` as a whole number of at least 1, or None when it is not one (a setting to refuse)."""
    try:
        number = int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if number >= 1 else None


def batch_rows(value: int | str | None = None) -> int:
    """The batch size: the given value, else OE_INGEST_BATCH_ROWS, else DEFAULT_BATCH_ROWS."""
    if value is None:
        value = os.environ.get(BATCH_ROWS_ENV) or DEFAULT_BATCH_ROWS
    rows = whole_number_above_zero(value)
    if rows is None:
        raise BatchSizeError(f"ingest batch size {value!r} ({BATCH_ROWS_ENV} or --batch-rows) must be a whole "
                             f"number of rows above 0; the default is {DEFAULT_BATCH_ROWS}")
    return rows


class LineBlocks:
    """The bytes of a file from an offset on, handed out as runs of whole lines. Lines are cut at
    b"\n", which is safe in every encoding that writes a line feed as that one byte and never uses
    the byte inside another character (UTF-8, the single-byte code pages such as cp1252); for any
    other encoding (UTF-16…) the rest of the file is one run."""

    def __init__(self, handle: BinaryIO, offset: int, codec: str):
        handle.seek(offset)
        self._handle = handle
        self._parts: deque[bytes] = deque()
        self._eof = False
        try:
            self._splittable = "\n".encode(codec) == b"\n"
        except (UnicodeError, LookupError):
            self._splittable = False

    def _read(self) -> None:
        data = self._handle.read(READ_BYTES)
        if data:
            self._parts.append(data)
        else:
            self._eof = True

    def take_lines(self, count: int, max_bytes: int = BATCH_MAX_BYTES) -> bytes:
        """The next `count` lines (each ending in \\n, the last one perhaps not), fewer at the end of
        the file or when they would exceed `max_bytes` (then as many whole lines as fit, at least
        one); b"" at the end."""
        if not self._splittable:
            count = max_bytes = 1 << 62
        pieces: list[bytes] = []
        size = 0
        need = count
        while need > 0:
            if not self._parts:
                if self._eof:
                    break
                self._read()
                continue
            part = self._parts.popleft()
            found = part.count(b"\n")
            if found >= need or (found and size + len(part) > max_bytes):
                if found >= need:
                    end = -1
                    for _ in range(need):
                        end = part.index(b"\n", end + 1)
                else:  # the last line end within the budget, else the first one: whole lines only
                    end = part.rfind(b"\n", 0, max(0, max_bytes - size))
                    if end < 0:
                        end = part.index(b"\n")
                pieces.append(part[: end + 1])
                if end + 1 < len(part):
                    self._parts.appendleft(part[end + 1:])
                break
            pieces.append(part)
            size += len(part)
            need -= found
        return b"".join(pieces)

    def rest_text(self, codec: str) -> Iterator[str]:
        """The text not yet taken, decoded piece by piece (undecodable bytes as surrogate escapes)."""
        decoder = codecs.getincrementaldecoder(codec)(errors="surrogateescape")
        while self._parts or not self._eof:
            if self._parts:
                text = decoder.decode(self._parts.popleft())
                if text:
                    yield text
            else:
                self._read()
        text = decoder.decode(b"", final=True)
        if text:
            yield text


class LineWindow:
    """Physical lines (\\r\\n, \\n or \\r ends, as parse.split_lines cuts them) of a text given in
    pieces, by absolute index from `first`; read on demand, lines before `forget_before` dropped."""

    def __init__(self, pieces: Iterator[str], first: int = 0):
        self._pieces = pieces
        self._lines: list[str] = []
        self._base = first
        self._tail = ""
        self._done = False

    def _fill(self) -> None:
        piece = next(self._pieces, None)
        if piece is None:
            self._done = True
            if self._tail:
                self._lines.append(self._tail)
                self._tail = ""
            return
        found = _LINE.findall(self._tail + piece) if self._tail else _LINE.findall(piece)
        # the last line may go on in the next piece (no line end yet, or \r before a \n to come)
        self._tail = found.pop() if found and not found[-1].endswith("\n") else ""
        self._lines.extend(found)

    def has(self, index: int) -> bool:
        while index - self._base >= len(self._lines) and not self._done:
            self._fill()
        return index - self._base < len(self._lines)

    def __getitem__(self, index: int) -> str:
        if index < self._base:
            raise IndexError(f"line {index + 1} was already dropped")
        return self._lines[index - self._base]

    def text(self, start: int, stop: int) -> str:
        """Lines start..stop-1 joined (all read already)."""
        return "".join(self._lines[start - self._base: stop - self._base])

    def forget_before(self, index: int) -> None:
        drop = index - self._base
        if drop >= _FORGET_AFTER:
            del self._lines[:drop]
            self._base = index
