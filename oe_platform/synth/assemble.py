"""Assemble each source: references, person columns with noise, and the deliveries that carry them."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from oe_platform.synth import reference as ref
from oe_platform.synth.context import Context
from oe_platform.synth.population import iso_days
from oe_platform.synth.world import (
    PERSON_COLUMNS,
    Delivered,
    RefBook,
    SourceData,
    _concat,
    _defaults,
    expand_deliveries,
    materialise_people,
)

MAIN_ENTITY = {
    "crime": "crimes", "intel": "logs", "custody": "custody_records", "missing": "episodes", "ocgm": "ocgs",
    "clicm": "lines", "nrm": "referrals", "osint": "observations", "canonical": "events",
}
# Order matters: CLICM refers to OCG Mapping references.
SOURCE_ORDER = ("crime", "intel", "custody", "missing", "ocgm", "clicm", "nrm", "osint", "canonical")
PARTNER = "btp-demo"


def _yy(day: int) -> str:
    return str(iso_days(np.array([day]))[0])[2:4]


def _layout(ctx: Context, source: str, org: str) -> str:
    layout = ctx.contracts[source].layout_for(org)
    return layout.name if layout else ""


def event_ref(ctx: Context, source: str, org: str, serial: int, day: int) -> str:
    """The source's own record reference, in the style of the system (layout) that issues it."""
    layout = _layout(ctx, source, org)
    prefix = ref.FORCE_PREFIX.get(org, "")
    yy = _yy(day)
    if source == "crime":
        if layout == "athena_csv":
            return f"{ref.FORCE_NUMBER[org]}/{serial}/{yy}"
        if layout == "legacy_pipe":
            return f"{prefix}/{serial}/{yy}"
        return f"{prefix}-{serial:06d}"
    if source == "intel":
        if layout == "athena_intel_csv":
            return f"INT/{prefix}/{yy}/{serial:06d}"
        if layout == "legacy_intel_tab":
            return f"{serial:07d}"
        return f"{prefix}-IL-{yy}-{serial:06d}"
    if source == "custody":
        if layout == "athena_custody_csv":
            return f"{ref.FORCE_NUMBER[org]}/C/{serial:06d}/{yy}"
        if layout == "legacy_custody_pipe":
            return f"{prefix}{yy}{serial:06d}"
        return f"{prefix}-CUS-{serial:08d}"
    if source == "missing":
        if layout == "compact_csv":
            return f"MISS/{prefix}/{yy}/{serial:05d}"
        if layout == "mispers_pipe":
            return f"{serial}"
        return f"{prefix}-MP-{yy}-{serial:06d}"
    if source == "ocgm":
        return f"OCG{serial:05d}"
    if source == "clicm":
        return f"CL{serial:05d}"
    if source == "nrm":
        return f"NRM-{yy}-{serial:06d}"
    if source == "osint":
        return f"OSO-{serial:07d}"
    return f"BTPE-{serial:06d}"


def person_ref_format(ctx: Context, source: str, entity: str, org: str) -> Callable[[int], str]:
    layout = _layout(ctx, source, org)
    letter = ref.FORCE_PREFIX.get(org, "X")[0]
    formats: dict[tuple[str, str], Callable[[int], str]] = {
        ("crime", "athena_csv"): lambda x: f"N{x}",
        ("crime", "legacy_pipe"): lambda x: f"{letter}{x}",
        ("crime", "niche_jsonl"): lambda x: f"P{x}",
        ("intel", "athena_intel_csv"): lambda x: f"SUBJ{x:07d}",
        ("intel", "legacy_intel_tab"): lambda x: f"{x}",
        ("intel", "niche_intel_jsonl"): lambda x: f"PER-{x:07d}",
        ("custody", "athena_custody_csv"): lambda x: f"DET{x:07d}",
        ("custody", "legacy_custody_pipe"): lambda x: f"{letter}{x:06d}",
        ("custody", "niche_custody_parquet"): lambda x: f"PID{x:08d}",
        ("missing", "compact_csv"): lambda x: f"MP{x:06d}",
        ("missing", "mispers_pipe"): lambda x: f"{x}",
        ("missing", "niche_missing_jsonl"): lambda x: f"MISP-{x}",
        ("ocgm", "ocgm_xlsx"): lambda x: f"NOM{x:07d}",
        ("clicm", "clicm_jsonl"): lambda x: f"CLN{x:06d}",
        ("osint", "osint_semicolon"): lambda x: f"OS-{x:06d}",
        ("canonical", "canonical_csv"): lambda x: f"BTP-{x:06d}",
    }
    if source == "nrm":
        return (lambda x: f"PV{x:07d}") if entity == "referrals" else (lambda x: f"EX{x:06d}")
    return formats[(source, layout)]


def _assign_event_keys(ctx: Context, data: SourceData, main: pd.DataFrame) -> pd.DataFrame:
    entity = ctx.contracts[data.source].entities[data.main_entity]
    key = entity.key[0]
    main = main.sort_values(["_org", "_day", "_eid"], kind="stable").reset_index(drop=True)
    serial = main.groupby("_org").cumcount().to_numpy() + 1
    main[key] = [event_ref(ctx, data.source, o, int(s), int(d))
                 for o, s, d in zip(main["_org"], serial, main["_day"], strict=True)]
    return main.sort_values("_eid", kind="stable").reset_index(drop=True)


def _person_keys(ctx: Context, books: RefBook, source: str, entity: str, frame: pd.DataFrame) -> np.ndarray:
    out = np.full(len(frame), "", dtype=object)
    orgs = frame["_org"].to_numpy()
    for org in np.unique(orgs):
        rows = np.flatnonzero(orgs == org)
        fmt = person_ref_format(ctx, source, entity, org)
        out[rows] = books.refs(source, entity, org, frame["_person"].to_numpy()[rows],
                               frame["_dup"].to_numpy()[rows], fmt)
    return out


def assemble(ctx: Context, data: SourceData, books: RefBook, first_day: int, last_day: int,
             keys_by_source: dict[str, pd.Series]) -> Delivered:
    contract = ctx.contracts[data.source]
    main_ent = contract.entities[data.main_entity]
    main = _defaults(_concat(data.main, main_ent.column_names))
    for col in main_ent.column_names:
        main[col] = main[col].fillna("").astype(object)
    main = _assign_event_keys(ctx, data, main)
    key_col = main_ent.key[0]
    keys = pd.Series(main[key_col].to_numpy(), index=main["_eid"].to_numpy())
    keys_by_source[data.source] = keys
    if data.source == "clicm" and "_ocg_eid" in main:
        ocg_keys = keys_by_source["ocgm"]
        main["ocg_id"] = [ocg_keys.get(int(e), "") if not pd.isna(e) else "" for e in main["_ocg_eid"]]
    org_of = pd.Series(main["_org"].to_numpy(), index=main["_eid"].to_numpy())

    updates = _concat(data.updates, ("_eid", "_day")) if data.updates else pd.DataFrame(
        {"_eid": pd.Series(dtype="int64"), "_day": pd.Series(dtype="int64")})
    updates = updates.sort_values(["_eid", "_day"], kind="stable").reset_index(drop=True)

    def people(frame: pd.DataFrame, entity_name: str) -> tuple[pd.DataFrame, pd.DataFrame]:
        entity = contract.entities[entity_name]
        cols = [c for c in entity.column_names if c in PERSON_COLUMNS]
        if data.source == "osint":
            cols = [c for c in cols if c != "phone"]
        dup_allowed = entity.person_key is not None and data.source != "canonical"
        frame, clean = materialise_people(frame, ctx.pop, data.source, entity_name, cols, ctx.rates, ctx.seed,
                                          dup_allowed)
        if entity.person_key:
            frame[entity.person_key] = _person_keys(ctx, books, data.source, entity_name, frame)
        if data.source == "osint":
            frame["phone"] = frame["phone_override"].fillna("").astype(object)
            clean["phone"] = frame["phone"]
        if data.source == "nrm" and "_dtn" in frame:
            dtn = frame["_dtn"].fillna(False).to_numpy(dtype=bool)
            for col in ("forename", "middle_names", "surname", "date_of_birth", "address", "postcode", "phone"):
                if col in frame:
                    frame.loc[dtn, col] = ""
                    clean.loc[dtn, col] = ""
        return frame, clean

    if main_ent.person_key:
        main, clean_main = people(main, data.main_entity)
    else:
        main["_noise"] = ""
        clean_main = pd.DataFrame(index=main.index)

    children: dict[str, tuple[pd.DataFrame, pd.DataFrame]] = {}
    for entity_name, parts in data.children.items():
        entity = contract.entities[entity_name]
        child = _defaults(_concat(parts, entity.column_names))
        for col in entity.column_names:
            child[col] = child[col].fillna("").astype(object)
        child = child.sort_values(["_eid"], kind="stable").reset_index(drop=True)
        child["_org"] = org_of.loc[child["_eid"].to_numpy()].to_numpy()
        for col in main_ent.key:
            if col in entity.column_names:
                child[col] = keys.loc[child["_eid"].to_numpy()].to_numpy()
        if entity.person_key or (data.source == "canonical" and entity_name == "persons"):
            child, clean = people(child, entity_name)
        else:
            child["_noise"] = ""
            clean = pd.DataFrame(index=child.index)
        children[entity_name] = (child, clean)
    if data.source == "clicm" and "cuckooed_addresses" in children:
        child, clean = children["cuckooed_addresses"]
        occ = child["_occupant"].to_numpy().astype(np.int64)
        child["occupant_nominal_id"] = books.refs("clicm", "nominals", "national", occ, np.zeros(len(occ), bool),
                                                  person_ref_format(ctx, "clicm", "nominals", "national"))
    if data.source == "canonical" and "person_events" in children:
        child, clean = children["person_events"]
        child["record_id"] = books.refs("canonical", "persons", PARTNER, child["_person"].to_numpy(),
                                        np.zeros(len(child), bool),
                                        person_ref_format(ctx, "canonical", "persons", PARTNER))

    delivered = expand_deliveries(data, main, clean_main, children, updates, ctx.rates, ctx.seed, first_day, last_day)
    if data.source == "canonical" and "persons" in delivered.frames:
        persons = delivered.frames["persons"]
        persons = persons[persons["_kind"] != "deletion"]
        persons = persons.drop_duplicates(["_org", "_delivery", "record_id"], keep="first").reset_index(drop=True)
        persons["_row"] = np.arange(len(persons))
        delivered.frames["persons"] = persons
    return delivered
