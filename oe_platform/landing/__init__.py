"""Landing → bronze: register, parse, accept or reject every delivered row (docs/ingest.md).

discover   where landed files are and which source, force and delivery each belongs to
parse      careful row-by-row parsing of delimited text and JSON lines; shared types and checks
fast_csv   pyarrow fast path for clean delimited files (same result as the careful path)
fast_jsonl pyarrow fast path for clean JSON lines (same result as the careful path)
tabular    Parquet and XLSX deliveries
cells      value checks that keep a row but flag it (formula-like cells, huge fields)
bronze     the lake layout and schemas (bronze, manifest, rejects, warnings)
ingest     the run: manifest, duplicates, quarantine, bronze/rejects/warnings writes
reconcile  every landed row accounted for
watch      new or changed landed files (the Dagster sensor)
"""
