"""Stable person ids.

A new cluster is identified by md5('person|' + its smallest person_record_id) (its *anchor*). On
its own that is stable for as long as the anchor record stays in the cluster. When the previous
run's clusters are available, ids are carried forward by overlap: a new cluster keeps a previous
person_id when each is the other's best match (most records in common; ties to the smaller id or
anchor). So a person keeps their id when records are added, removed or erased (even the anchor),
and when two people merge the merged cluster keeps the id of the larger share; when one splits,
the larger part keeps it and the other part gets a new id. An id is never given to two clusters.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd


def mint_person_id(anchor_record_id: str, attempt: int = 0) -> str:
    text = f"person|{anchor_record_id}" + (f"|{attempt}" if attempt else "")
    return hashlib.md5(text.encode("utf-8")).hexdigest()


def read_previous_assignments(path: Path) -> pd.DataFrame | None:
    """person_record_id -> person_id of the previous run, or None when there was none."""
    if not path.exists():
        return None
    previous = pd.read_parquet(path, columns=["person_record_id", "person_id"])
    return previous if len(previous) else None


def assign_person_ids(records: pd.DataFrame, previous: pd.DataFrame | None) -> pd.Series:
    """person_id of each cluster (index: cluster key) for records (person_record_id, cluster key)."""
    anchors = records.groupby("cluster", sort=True)["person_record_id"].min()
    carried: dict = {}
    if previous is not None:
        overlap = (
            records.merge(previous, on="person_record_id", how="inner")
            .groupby(["cluster", "person_id"], sort=False)
            .size()
            .rename("shared")
            .reset_index()
        )
        overlap["anchor"] = overlap["cluster"].map(anchors)
        best_for_cluster = (
            overlap.sort_values(["cluster", "shared", "person_id"], ascending=[True, False, True])
            .drop_duplicates("cluster")
        )
        best_for_person = (
            overlap.sort_values(["person_id", "shared", "anchor"], ascending=[True, False, True])
            .drop_duplicates("person_id")
        )
        mutual = best_for_cluster.merge(best_for_person, on=["cluster", "person_id"])
        carried = dict(zip(mutual["cluster"], mutual["person_id"], strict=True))
    used = set(carried.values())
    ids = {}
    for cluster, anchor in anchors.items():
        if cluster in carried:
            ids[cluster] = carried[cluster]
            continue
        attempt = 0
        candidate = mint_person_id(anchor)
        while candidate in used:
            attempt += 1
            candidate = mint_person_id(anchor, attempt)
        used.add(candidate)
        ids[cluster] = candidate
    return pd.Series(ids, name="person_id")
