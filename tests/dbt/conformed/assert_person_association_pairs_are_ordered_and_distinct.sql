-- person_association pairs two different people: never a person with themself; on a symmetric basis
-- person_id_a < person_id_b (so each unordered pair once per basis); only exploiter_of is directed.
-- Returns the offending rows; an empty result passes.
select
    person_association_id,
    basis,
    person_id_a,
    person_id_b,
    is_directed

from {{ ref('person_association') }}
where
    person_id_a = person_id_b
    or (not is_directed and person_id_a >= person_id_b)
    or is_directed != (basis = 'exploiter_of')
    or evidence_count < 1
