"""The fast path for clean JSON lines: pyarrow's JSON reader with a schema built from the contract,
a batch of lines at a time.

Like the CSV fast path, it gives exactly the careful path's result (parse.careful_jsonl) or nothing:
the schema declares every mapped field as a string and every nested array as a list of objects, and
pyarrow refuses anything else — a number or boolean where text is mapped, a field the contract does
not know, an array item that is not an object, invalid UTF-8, a line that is not an object — and then
the careful path reads the file record by record, with reasons, rejects and drift messages.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pajson

from oe_platform.contracts import Contract, FileSpec, Layout
from oe_platform.landing.parse import ParsedFile, empty_to_null, flag_table

BLOCK_SIZE = 8 << 20


def _tree(paths: list[str]) -> dict:
    tree: dict = {}
    for path in paths:
        node = tree
        keys = path.split(".")
        for key in keys[:-1]:
            node = node.setdefault(key, {})
            if not isinstance(node, dict):
                raise ValueError(f"{path}: a field is mapped both as a value and as an object")
        node.setdefault(keys[-1], None)
    return tree


def _type(tree: dict, arrays: dict[str, dict], prefix: str = "") -> pa.DataType:
    fields = []
    for key, sub in tree.items():
        path = f"{prefix}{key}"
        if path in arrays:
            fields.append(pa.field(key, pa.list_(_type(arrays[path], {}))))
        elif sub is None:
            fields.append(pa.field(key, pa.string()))
        else:
            fields.append(pa.field(key, _type(sub, arrays, f"{path}.")))
    return pa.struct(fields)


def _field(values: pa.ChunkedArray | pa.Array, keys: list[str]) -> pa.Array:
    for key in keys:
        values = pc.struct_field(values, key)
    return values


def _null_empty(values) -> pa.ChunkedArray:
    return empty_to_null(values)


def fast_jsonl(
    data: bytes, first_line: int, contract: Contract, layout: Layout, spec: FileSpec
) -> ParsedFile | None:
    """Parse clean whole lines of a UTF-8 JSON lines file (the first one is line `first_line` of the
    file) in one go; None when the careful path must decide. Field presence over the whole file
    (field_never_present) is the caller's to judge."""
    if not data.strip() or b"\x00" in data or b"\r" in data:
        return None
    nested = [s for s in layout.files.values() if s.nested_in == spec.entity]
    try:
        arrays = {c.path or "": _tree(list(c.columns)) for c in nested}
        tree = _tree(list(spec.columns) + [p for c in nested for p in c.parent_columns] + list(arrays))
        schema = pa.schema(list(_type(tree, arrays)))
        table = pajson.read_json(
            pa.BufferReader(data),
            read_options=pajson.ReadOptions(block_size=BLOCK_SIZE, use_threads=True),
            parse_options=pajson.ParseOptions(
                explicit_schema=schema, unexpected_field_behavior="error", newlines_in_values=False
            ),
        )
        table.validate(full=True)  # the JSON reader does not check that strings are valid UTF-8
    except (pa.ArrowException, ValueError):
        return None
    n = table.num_rows
    if n == 0 or n != data.count(b"\n") + (0 if data.endswith(b"\n") else 1):
        return None  # blank lines: the careful path numbers the records by line
    record = table.combine_chunks().to_struct_array().chunk(0)
    row_numbers = pa.array(np.arange(first_line, first_line + n, dtype=np.int64))
    result = ParsedFile(top_entities=(spec.entity,), mode="fast", rows_read=n)

    top = {}
    for delivered, canonical in spec.columns.items():
        top[canonical] = _null_empty(_field(record, delivered.split(".")))
    empty = None
    for values in top.values():
        empty = pc.is_null(values) if empty is None else pc.and_(empty, pc.is_null(values))
    for child in nested:
        items = _field(record, (child.path or "").split("."))
        if pc.list_flatten(items).null_count:
            return None  # a null array item: the careful path rejects it with its line
        no_items = pc.fill_null(pc.equal(pc.list_value_length(items), 0), True)
        empty = pc.and_(empty, no_items) if empty is not None else no_items
    if empty is not None and pc.any(empty).as_py():
        return None  # an object with none of the contract's fields: rejected by the careful path

    entity = contract.entities[spec.entity]
    arrays_out = {c: top.get(c, pa.nulls(n, pa.string())) for c in entity.column_names}
    arrays_out["_row_number"] = row_numbers
    result.tables[spec.entity] = pa.table(arrays_out)
    flag_table(result, spec.entity, result.tables[spec.entity], list(top))

    for child in nested:
        items = _field(record, (child.path or "").split("."))
        parents = pc.list_parent_indices(items)
        flat = pc.list_flatten(items)
        values: dict[str, pa.Array] = {}
        for delivered, canonical in child.parent_columns.items():
            values[canonical] = pc.take(_null_empty(_field(record, delivered.split("."))), parents)
        for delivered, canonical in child.columns.items():
            values[canonical] = _null_empty(_field(flat, delivered.split(".")))
        child_entity = contract.entities[child.entity]
        m = len(flat)
        child_arrays = {c: values.get(c, pa.nulls(m, pa.string())) for c in child_entity.column_names}
        child_arrays["_row_number"] = pc.take(row_numbers, parents)
        result.tables[child.entity] = pa.table(child_arrays)
        flag_table(result, child.entity, result.tables[child.entity], list(values))

    return result
