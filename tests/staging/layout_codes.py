"""The contracts' local code sets as a dbt macro, so staging maps codes per layout from one truth.

Each layout of a landing contract may declare `codes`: for a canonical column, the local codes the
force delivers and the national code each stands for (e.g. the legacy intelligence layout's topic
"01" is drugs). dbt cannot read the contracts at compile time, so this module renders them into
`macros/normalise/contract_code_sets.sql`; `test_layout_codes.py` fails when that file differs from
what the contracts render. After a contract change, regenerate it:

    .venv/bin/python -m tests.staging.layout_codes
"""

from __future__ import annotations

import re
from pathlib import Path

from oe_platform.config import REPO_ROOT
from oe_platform.contracts import Contract, load_contracts

MACRO_PATH = REPO_ROOT / "macros" / "normalise" / "contract_code_sets.sql"

HEADER = """\
{#- GENERATED from contracts/*.yml (layouts' `codes`) by `python -m tests.staging.layout_codes`:
    edit the contracts, then regenerate; tests/staging/test_layout_codes.py fails when this file
    differs from what the contracts render.

    contract_code_sets()[source][layout][column] maps code_key(local code) to the national code,
    where code_key upper-cases and folds every run of characters other than A-Z and 0-9 to one
    underscore (macro code_key), so "County Lines", "COUNTY LINES" and "county-lines" all read
    COUNTY_LINES. Staging reads it through the macros in layout_codes.sql. -#}
"""


def code_key(value: str) -> str:
    """Python twin of the SQL macro code_key (macros/normalise/text.sql)."""
    return re.sub(r"[^A-Z0-9]+", "_", value.strip().upper()).strip("_")


def code_sets(contracts: dict[str, Contract]) -> dict[str, dict[str, dict[str, dict[str, str]]]]:
    """source -> layout -> column -> {code_key(local): national}; raises on ambiguous keys."""
    out: dict[str, dict[str, dict[str, dict[str, str]]]] = {}
    for source in sorted(contracts):
        for layout in contracts[source].layouts:
            for column in sorted(layout.codes):
                keyed: dict[str, str] = {}
                for local, national in layout.codes[column].items():
                    key = code_key(local)
                    if not key:
                        raise ValueError(
                            f"{source}/{layout.name}/{column}: local code {local!r} has no letter or digit"
                        )
                    if keyed.get(key, national) != national:
                        raise ValueError(
                            f"{source}/{layout.name}/{column}: local codes that differ only in case or punctuation "
                            f"({local!r}) map to different national codes ({keyed[key]!r}, {national!r})"
                        )
                    keyed[key] = national
                out.setdefault(source, {}).setdefault(layout.name, {})[column] = keyed
    return out


def _quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def render_macro(contracts: dict[str, Contract] | None = None) -> str:
    sets = code_sets(contracts if contracts is not None else load_contracts())
    lines = [HEADER, "{% macro contract_code_sets() -%}", "    {{ return({"]
    for source, layouts in sets.items():
        lines.append(f"        {_quote(source)}: {{")
        for layout, columns in layouts.items():
            lines.append(f"            {_quote(layout)}: {{")
            for column, codes in columns.items():
                body = ", ".join(f"{_quote(k)}: {_quote(v)}" for k, v in codes.items())
                lines.append(f"                {_quote(column)}: {{{body}}},")
            lines.append("            },")
        lines.append("        },")
    lines += ["    }) }}", "{%- endmacro %}", ""]
    return "\n".join(lines)


def write_macro(path: Path = MACRO_PATH) -> bool:
    """Write the macro file; True when it changed."""
    text = render_macro()
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return False
    path.write_text(text, encoding="utf-8")
    return True


if __name__ == "__main__":
    print(("rewrote " if write_macro() else "unchanged ") + str(MACRO_PATH.relative_to(REPO_ROOT)))
