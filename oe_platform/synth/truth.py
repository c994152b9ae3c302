"""The ground truth, written only under --truth-out: who every delivered person record really is,
which scenario each person and record belongs to, and the noise applied to each record."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from oe_platform.synth.population import Population, iso_days

TRUTH_FILES = ("person_records.parquet", "persons.parquet", "residences.parquet", "scenario_members.parquet",
               "scenario_records.parquet", "manifest.json")


def write_table(frame: pd.DataFrame, path: Path) -> None:
    table = pa.Table.from_pandas(frame.reset_index(drop=True), preserve_index=False).replace_schema_metadata(None)
    pq.write_table(table, path, compression="zstd")


def persons_table(pop: Population) -> pd.DataFrame:
    return pd.DataFrame({
        "person_id": pop.pid, "forename": pop.forename, "middle_names": pop.middle, "surname": pop.surname,
        "previous_surname": pop.prev_surname, "alias_forename": pop.alias_forename,
        "alias_surname": pop.alias_surname, "alias_on_file": pop.alias_on_file, "street_name": pop.street_name,
        "date_of_birth": pop.dob_iso,
        "sex": pop.sex, "ethnicity": pop.ethnicity, "nationality": pop.nationality,
        "household_id": pop.household.astype(np.int64), "pnc_id": pop.pnc, "cro_number": pop.cro,
        "nhs_number": pop.nhs, "mobile": pop.mobile, "landline": pop.landline, "email": pop.email,
        "handle": pop.handle, "looked_after_child": pop.looked_after, "mental_health": pop.mental_health,
        "cse_concern": pop.cse_concern, "cce_concern": pop.cce_concern,
        "county_lines_concern": pop.county_lines_concern,
    }).astype({c: "string" for c in ("person_id", "forename", "surname")})


def residences_table(pop: Population, force_codes: list[str]) -> pd.DataFrame:
    rows = []
    for slot in range(pop.res_addr.shape[1]):
        valid = pop.res_from[:, slot] < 2**31 - 1
        if slot > 0:
            valid &= pop.res_addr[:, slot] != pop.res_addr[:, slot - 1]
        idx = np.flatnonzero(valid)
        addr = pop.res_addr[idx, slot]
        start = pop.res_from[idx, slot]
        rows.append(pd.DataFrame({
            "person_id": pop.pid[idx], "slot": slot,
            "from_date": np.where(start < 0, "", iso_days(np.maximum(start, 0))).astype(object),
            "address": pop.addresses.text_arr[addr], "postcode": pop.addresses.postcode_arr[addr],
            "force_code": np.array(force_codes, dtype=object)[pop.addresses.force_arr[addr]],
        }))
    return pd.concat(rows, ignore_index=True).sort_values(["person_id", "slot"], kind="stable")


def write_truth(truth_out: Path, pop: Population, force_codes: list[str], records: list[dict],
                members: list[dict], scenario_rows: list[dict], manifest: dict) -> int:
    truth_out.mkdir(parents=True, exist_ok=True)
    for name in TRUTH_FILES:
        (truth_out / name).unlink(missing_ok=True)
    cols = ["source", "org", "entity", "file_path", "row_number", "record_key", "person_key", "delivery_date",
            "kind", "record_action", "person_id", "noise", "scenario_id"]
    if records:
        person_records = pd.DataFrame({k: np.concatenate([r[k] for r in records]) for k in records[0]})
        person_records["person_id"] = pop.pid[person_records.pop("_person").to_numpy()]
        person_records = person_records[cols].sort_values(["file_path", "row_number", "record_key"], kind="stable")
    else:
        person_records = pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
    write_table(person_records, truth_out / "person_records.parquet")
    write_table(persons_table(pop), truth_out / "persons.parquet")
    write_table(residences_table(pop, force_codes), truth_out / "residences.parquet")
    write_table(pd.DataFrame(members, columns=["scenario_id", "scenario_type", "person_id", "role", "detail"]),
                truth_out / "scenario_members.parquet")
    scen_cols = ["scenario_id", "source", "org", "entity", "file_path", "record_key", "delivery_date", "kind"]
    scen = (pd.DataFrame({k: np.concatenate([r[k] for r in scenario_rows]) for k in scen_cols}) if scenario_rows
            else pd.DataFrame({c: pd.Series(dtype=object) for c in scen_cols}))
    write_table(scen[scen_cols].sort_values(["scenario_id", "file_path", "record_key"], kind="stable"),
                truth_out / "scenario_records.parquet")
    (truth_out / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return len(person_records)
