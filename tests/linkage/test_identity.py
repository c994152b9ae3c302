"""Stable person ids: across runs, when records come and go, when people merge or split."""

from __future__ import annotations

import pandas as pd

from oe_platform.linkage.identity import assign_person_ids, mint_person_id
from tests.linkage.conftest import person_of, record

PEOPLE = [
    record("st-1", "CHLOE", "INGLEBY", "1995-02-17", postcode="CB4 1XX", force="norfolk"),
    record("st-2", "CHLOE", "INGLEBY", "1995-02-17", postcode="CB4 1XX", force="suffolk"),
    record("st-3", "CHLOE", "INGLEBY", "1995-02-17", force="essex"),
    record("st-4", "RHYS", "DUNMORE", "1979-06-30", postcode="SG1 2AA", force="norfolk"),
]


def test_person_ids_are_stable_across_runs(link):
    first = link(PEOPLE)
    again_without_history = person_of(link(PEOPLE))
    again_with_history = person_of(link(PEOPLE, previous=first.clusters[["person_record_id", "person_id"]]))
    ids = person_of(first)
    assert again_without_history == ids
    assert again_with_history == ids
    assert ids["st-1"] == ids["st-2"] == ids["st-3"] == mint_person_id("st-1")
    assert ids["st-4"] != ids["st-1"]


def test_a_person_keeps_their_id_when_their_anchor_record_is_erased(link):
    first = link(PEOPLE)
    previous = first.clusters[["person_record_id", "person_id"]]
    later = person_of(link([r for r in PEOPLE if r["person_record_id"] != "st-1"], previous=previous))
    assert later["st-2"] == later["st-3"] == person_of(first)["st-2"]
    # without the previous run the id would have been minted from the new smallest record
    assert person_of(link(PEOPLE[1:]))["st-2"] == mint_person_id("st-2")


def test_merge_keeps_the_larger_share_and_split_gives_the_smaller_part_a_new_id():
    previous = pd.DataFrame({
        "person_record_id": ["a1", "a2", "a3", "b1", "c1", "c2", "c3"],
        "person_id": ["PA", "PA", "PA", "PB", "PC", "PC", "PC"],
    })
    records = pd.DataFrame({
        "person_record_id": ["a1", "a2", "a3", "b1", "c1", "c2", "c3", "d1"],
        # A and B merge; C splits into {c1, c2} and {c3}; d1 is new
        "cluster": [1, 1, 1, 1, 2, 2, 3, 4],
    })
    ids = assign_person_ids(records, previous)
    assert ids[1] == "PA"
    assert ids[2] == "PC"
    assert ids[3] == mint_person_id("c3")
    assert ids[4] == mint_person_id("d1")
    assert ids.is_unique


def test_a_minted_id_never_collides_with_a_carried_one():
    # the previous cluster {x1, x2} had the id minted from x1; x2 and x3 now hold the larger share of
    # it, while x1 is on its own: x1's cluster must not get the same id again
    previous = pd.DataFrame({"person_record_id": ["x1", "x2", "x3"], "person_id": [mint_person_id("x1")] * 3})
    records = pd.DataFrame({"person_record_id": ["x1", "x2", "x3"], "cluster": [1, 2, 2]})
    ids = assign_person_ids(records, previous)
    assert ids[2] == mint_person_id("x1")
    assert ids[1] != ids[2]
    assert ids[1] == mint_person_id("x1", attempt=1)
