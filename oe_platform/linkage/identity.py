"""Stable person ids.

A new cluster is identified by md5('person|' + its smallest person_record_id) (its *anchor*). On
its own that is stable for as long as the anchor record stays in the cluster. When the previous
run's clusters are available, ids are carried forward by overlap: a new cluster keeps a previous
person_id when each is the other's best match (most records in common; ties to the smaller id or
anchor). So a person keeps their id when records are added, removed or erased (even the anchor),
and when two people merge the merged cluster keeps the id of the larger share; when one splits,
the larger part keeps it and the other part gets a new id. An id is never given to two clusters.

The matching runs in DuckDB (`build_person_ids`): at a few million records the overlap of this
run's clusters with the previous run's persons is two joins and two window functions there, where
pandas merges took 13.5 s of a 5.5-million-record run (docs/scale.md).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb
import pandas as pd

PERSON_IDS_TABLE = "lk_person_ids"


def mint_person_id(anchor_record_id: str, attempt: int = 0) -> str:
    text = f"person|{anchor_record_id}" + (f"|{attempt}" if attempt else "")
    return hashlib.md5(text.encode("utf-8")).hexdigest()


def load_previous_assignments(con: duckdb.DuckDBPyConnection, path: Path, table: str = "lk_previous") -> str | None:
    """The previous run's person_record_id -> person_id (its clusters.parquet) as temp table `table`;
    None when there was no previous run or it assigned nobody."""
    if not path.exists():
        return None
    con.execute(f"create or replace temp table {table} as "
                f"select person_record_id, person_id from read_parquet('{path}')")
    return table if con.execute(f"select count(*) from {table}").fetchall()[0][0] else None


def build_person_ids(con: duckdb.DuckDBPyConnection, records: str, previous: str | None,
                     table: str = PERSON_IDS_TABLE) -> None:
    """Temp table `table` (cluster, person_id): the person id of each cluster of `records`
    (person_record_id, cluster), carried from `previous` (person_record_id, person_id) or minted."""
    if previous is None:
        carried = "select null as cluster, cast(null as varchar) as person_id where false"
    else:
        carried = f"""
            with overlap as (
                select r.cluster, p.person_id, count(*) as shared
                from {records} r join {previous} p using (person_record_id)
                group by all
            ),
            ranked as (
                select
                    o.cluster, o.person_id,
                    row_number() over (partition by o.cluster order by o.shared desc, o.person_id) as for_cluster,
                    row_number() over (partition by o.person_id order by o.shared desc, a.anchor) as for_person
                from overlap o join lk_cluster_anchors a using (cluster)
            )
            select cluster, person_id from ranked where for_cluster = 1 and for_person = 1
        """
    con.execute(f"""
        create or replace temp table lk_cluster_anchors as
        select cluster, min(person_record_id) as anchor from {records} group by cluster
    """)
    con.execute(f"""
        create or replace temp table {table} as
        with carried as ({carried})
        select a.cluster, a.anchor, c.person_id as carried, md5('person|' || a.anchor) as minted
        from lk_cluster_anchors a left join carried c using (cluster)
    """)
    # a minted id may equal one carried forward (the previous cluster anchored at this record now
    # belongs, by its larger share, to another cluster): such a cluster mints again with an attempt
    # number, in cluster order, never taking an id already given
    clashes = con.execute(f"""
        select cluster, anchor from {table}
        where carried is null and minted in (select carried from {table} where carried is not null)
        order by cluster
    """).fetchall()
    if clashes:
        used = {row[0] for row in con.execute(f"select coalesce(carried, minted) from {table}").fetchall()}
        fixed = []
        for cluster, anchor in clashes:
            attempt = 1
            while (candidate := mint_person_id(anchor, attempt)) in used:
                attempt += 1
            used.add(candidate)
            fixed.append((cluster, candidate))
        con.execute(f"create or replace temp table lk_reminted as select cluster, minted as person_id from {table} "
                    "where false")
        con.executemany("insert into lk_reminted values (?, ?)", fixed)
        con.execute(f"update {table} set minted = r.person_id from lk_reminted r where {table}.cluster = r.cluster")
        con.execute("drop table lk_reminted")
    con.execute(f"""
        create or replace temp table {table} as
        select cluster, coalesce(carried, minted) as person_id from {table} order by cluster
    """)
    con.execute("drop table lk_cluster_anchors")


def assign_person_ids(records: pd.DataFrame, previous: pd.DataFrame | None) -> pd.Series:
    """person_id of each cluster (index: cluster key) for records (person_record_id, cluster):
    build_person_ids on frames."""
    con = duckdb.connect()
    try:
        con.register("records_frame", records[["person_record_id", "cluster"]])
        con.execute("create temp table records_in as select * from records_frame")
        if previous is not None:
            con.register("previous_frame", previous[["person_record_id", "person_id"]])
            con.execute("create temp table previous_in as select * from previous_frame")
        build_person_ids(con, "records_in", "previous_in" if previous is not None else None)
        ids = con.execute(f"select cluster, person_id from {PERSON_IDS_TABLE}").df()
    finally:
        con.close()
    return pd.Series(ids["person_id"].to_numpy(), index=ids["cluster"].to_numpy(), name="person_id")
