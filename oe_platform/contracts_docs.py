"""Render the partner docs of each landing contract (docs/sources/<source>.md), so they never drift.

A test fails when the committed pages differ from what the contracts render; regenerate them with
``python -m oe_platform.contracts_docs``.
"""

from __future__ import annotations

from pathlib import Path

from oe_platform.config import REPO_ROOT
from oe_platform.contracts import DATE_PATTERNS, NATIONAL, Contract, Layout, load_contracts

DOCS_DIR = REPO_ROOT / "docs" / "sources"
HEADER = ("<!-- Generated from contracts/{source}.yml by `python -m oe_platform.contracts_docs`: "
          "edit the contract. -->\n")
DATE_EXAMPLES = {
    "iso": ("2025-01-31", "2025-01-31T14:05:00"),
    "dmy": ("31/01/2025", "31/01/2025 14:05"),
    "mdy": ("01/31/2025", "01/31/2025 14:05"),
    "ymd_compact": ("20250131", "20250131140500"),
}
FORMAT_NAMES = {"csv": "delimited text", "jsonl": "JSON lines", "parquet": "Parquet", "xlsx": "Excel workbook (.xlsx)"}
DELIMITER_NAMES = {",": "comma", "|": "pipe (|)", "\t": "tab", ";": "semicolon"}


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _forces(layout: Layout) -> str:
    if "*" in layout.forces:
        return "any force or partner (folder named by its partner code, e.g. `btp-demo`)"
    if layout.forces == (NATIONAL,):
        return "national (folder `national`)"
    return ", ".join(f"`{f}`" for f in layout.forces)


def _folder(contract: Contract) -> str:
    forces = {f for layout in contract.layouts for f in layout.forces}
    if "*" in forces:
        who = "<partner_code>"
    elif forces == {NATIONAL}:
        who = "national"
    else:
        who = "<force_code>"
    return f"{contract.source}/{who}/<YYYY-MM-DD>/"


def _layout_section(contract: Contract, layout: Layout) -> list[str]:
    lines = [f"### Layout `{layout.name}`", "", _cell(layout.description), ""]
    date_example, datetime_example = DATE_EXAMPLES[layout.date_format]
    facts = [
        ("Delivered by", _forces(layout)),
        ("Format", FORMAT_NAMES[layout.format]),
    ]
    if layout.format == "csv":
        facts += [("Delimiter", DELIMITER_NAMES.get(layout.delimiter, f"`{layout.delimiter}`")),
                  ("Header row", "yes, with the column names below")]
    if layout.format in ("csv", "jsonl"):
        facts += [("Encoding", layout.encoding),
                  ("Dates", f"`{DATE_PATTERNS[layout.date_format][0]}` (e.g. {date_example}); date-times "
                            f"`{DATE_PATTERNS[layout.date_format][1]}` (e.g. {datetime_example})")]
    else:
        facts += [("Dates", "native date and date-time values of the format")]
    if layout.format in ("csv", "xlsx", "parquet"):
        facts.append(("Columns", "any optional column may be left out (it arrives empty) and the order is free; "
                      "the key columns are required" if layout.optional_columns_may_be_absent
                      else "every column below, by name, in any order, except those marked optional (left out, "
                      "they arrive empty)" if any(spec.optional for spec in layout.files.values())
                      else "every column below, by name, in any order"))
    if layout.header_names == "loose":
        facts.append(("Column names", "matched ignoring case, spaces and punctuation (`Record ID` is `record_id`), "
                      "with a warning; use the names below"))
    if layout.offence_codes:
        facts.append(("Offence codes", "Home Office classes (e.g. 92A)" if layout.offence_codes == "home_office"
                      else "the force's local codes, mapped by seeds/local_offence_codes.csv"))
    lines += ["| | |", "| --- | --- |"] + [f"| {k} | {_cell(v)} |" for k, v in facts] + [""]
    for entity, spec in layout.files.items():
        if spec.nested_in:
            where = f"nested in each `{spec.nested_in}` record as the array `{spec.path}`"
        else:
            where = f"file `{spec.pattern}`" + (f", sheet `{spec.sheet}`" if spec.sheet else "")
        lines += [f"**{entity}** — {where}", ""]
        lines += ["| delivered column | canonical column |", "| --- | --- |"]
        for delivered, canonical in spec.parent_columns.items():
            lines.append(f"| `{_cell(delivered)}` (of the parent record) | `{canonical}` |")
        for delivered, canonical in spec.columns.items():
            optional = " (optional)" if delivered in spec.optional else ""
            lines.append(f"| `{_cell(delivered)}`{optional} | `{canonical}` |")
        lines.append("")
    if layout.codes:
        lines += ["**Code sets** (as delivered → national code)", ""]
        lines += ["| column | delivered | national |", "| --- | --- | --- |"]
        for column, mapping in layout.codes.items():
            for local, national in mapping.items():
                lines.append(f"| `{column}` | `{_cell(local)}` | `{_cell(national)}` |")
        lines.append("")
    return lines


def render_source_doc(contract: Contract) -> str:
    """The landing contract of one source as a force or partner data owner reads it (Markdown)."""
    lines = [HEADER.format(source=contract.source).rstrip("\n"), f"# {contract.title} (`{contract.source}`)", ""]
    lines += [_cell(contract.description), ""]
    lines += ["| | |", "| --- | --- |",
              f"| Owner | {_cell(contract.owner)} |",
              f"| Delivered to | `{_folder(contract)}` |",
              f"| Cadence | {contract.cadence} |",
              f"| Freshness | warn after {contract.warn_after_days} days, "
              f"error after {contract.error_after_days} days |",
              f"| Layouts | {', '.join(f'`{lay.name}`' for lay in contract.layouts)} |", ""]
    lines += ["A main record may be delivered again: the later delivery supersedes the earlier one. "
              "`record_action` `D` means the record was deleted at source and must disappear downstream.", ""]
    lines += ["## Canonical columns", ""]
    for entity in contract.entities.values():
        lines += [f"### `{entity.name}`", "", _cell(entity.description), ""]
        lines.append(f"Key: {', '.join(f'`{k}`' for k in entity.key)}."
                     + (f" Person records; the source's person reference is `{entity.person_key}`."
                        if entity.person_key else ""))
        lines += ["", "| column | type | PII | description |", "| --- | --- | --- | --- |"]
        for col in entity.columns:
            required = " **Required**: a row without it is rejected." if col.required else ""
            lines.append(f"| `{col.name}` | {col.type} | {col.pii} | {_cell(col.description)}{required} |")
        lines.append("")
    lines += ["## Layouts", ""]
    for layout in contract.layouts:
        lines += _layout_section(contract, layout)
    return "\n".join(lines).rstrip("\n") + "\n"


def render_index(contracts: dict[str, Contract]) -> str:
    lines = ["<!-- Generated from contracts/*.yml by `python -m oe_platform.contracts_docs`: edit the contracts. -->",
             "# Sources and their landing contracts", "",
             "Each source delivers files under `<landing>/<source>/<force_code | national | partner>/<YYYY-MM-DD>/`, "
             "in one of the layouts of its landing contract (`contracts/<source>.yml`). These pages are generated "
             "from the contracts. The synthetic generator (`oe generate`) writes every source but police_uk, which is "
             "real open data from data.police.uk.", "",
             "| source | title | cadence | layouts | delivered by |", "| --- | --- | --- | --- | --- |"]
    for contract in contracts.values():
        forces = sorted({f for layout in contract.layouts for f in layout.forces})
        who = "any partner" if "*" in forces else ("national" if forces == [NATIONAL] else f"{len(forces)} forces")
        lines.append(f"| [{contract.source}]({contract.source}.md) | {_cell(contract.title)} | {contract.cadence} | "
                     f"{', '.join(f'`{lay.name}`' for lay in contract.layouts)} | {who} |")
    return "\n".join(lines) + "\n"


def rendered_docs(contracts: dict[str, Contract] | None = None) -> dict[str, str]:
    """File name -> content of every page under docs/sources/."""
    contracts = contracts if contracts is not None else load_contracts()
    pages = {f"{c.source}.md": render_source_doc(c) for c in contracts.values()}
    pages["README.md"] = render_index(contracts)
    return pages


def stale_docs(directory: Path = DOCS_DIR) -> list[str]:
    """Pages that are missing or differ from what the contracts render."""
    return [name for name, text in rendered_docs().items()
            if not (directory / name).exists() or (directory / name).read_text(encoding="utf-8") != text]


def write_docs(directory: Path = DOCS_DIR) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    changed = []
    for name, text in rendered_docs().items():
        path = directory / name
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            changed.append(path)
    return changed


if __name__ == "__main__":
    for path in write_docs():
        print(f"wrote {path}")
