-- person_event holds exactly the person records that belong to a current event, found here by a
-- different path than the model's: a person record's source row reference (person_source_record.
-- source_record_ref) against the event's reference in the same source and force (event), and a
-- partner's person-event links (canonical) by their keys. Every such (record, event) pair has at
-- least one person_event row and person_event has no other pair; sources that deliver one role per
-- record (all but crime and canonical) have exactly one row per record and event.
-- Returns the offending pairs; an empty result passes.
with

person_records as (

    select * from {{ ref('person_source_record') }}

),

events as (

    select * from {{ ref('event') }}

),

partner_person_events as (

    select * from {{ ref('stg_canonical__person_events') }}
    where is_current

),

person_events as (

    select * from {{ ref('person_event') }}

),

expected as (

    select
        person_records.person_record_id,
        events.event_id,
        person_records.source_name
    from person_records
    inner join events
        on
            person_records.source_name = events.source_name
            and person_records.force_code = events.force_code
            and person_records.source_record_ref = events.source_record_ref
    where person_records.source_name in ('crime', 'intel', 'custody', 'missing', 'nrm', 'osint')

    union

    select
        person_records.person_record_id,
        events.event_id,
        person_records.source_name
    from partner_person_events
    inner join person_records
        on partner_person_events.person_record_id = person_records.person_record_id
    inner join events
        on partner_person_events.canonical_event_id = events.event_id

),

actual as (

    select
        person_record_id,
        event_id,
        count(*) as role_count
    from person_events
    group by person_record_id, event_id

)

select
    coalesce(expected.person_record_id, actual.person_record_id) as person_record_id,
    coalesce(expected.event_id, actual.event_id) as event_id,
    case
        when actual.person_record_id is null then 'missing from person_event'
        when expected.person_record_id is null then 'not a current record of a current event'
        else 'more than one role for a one-role source'
    end as failure

from expected
full outer join actual
    on
        expected.person_record_id = actual.person_record_id
        and expected.event_id = actual.event_id
where
    actual.person_record_id is null
    or expected.person_record_id is null
    or (expected.source_name not in ('crime', 'canonical') and actual.role_count != 1)
