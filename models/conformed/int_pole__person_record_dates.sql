-- When each current person record was seen: the span of the events it belongs to (person_event),
-- else, for a record of no event (OCG Mapping and CLICM nominals, partners' person lists, orphans),
-- the delivery date of the record. The attributes a record carries (its phone, e-mail, home
-- postcode) are dated by this span in object, person_object and location.
with

person_records as (

    select * from {{ ref('person_source_record') }}

),

attributes as (

    select * from {{ ref('int_person_records') }}

),

person_events as (

    select * from {{ ref('person_event') }}

),

event_spans as (

    select
        person_record_id,
        min(first_seen_on) as first_seen_on,
        max(last_seen_on) as last_seen_on,
        count(distinct event_id) as event_count

    from person_events
    group by person_record_id

),

final as (

    select
        person_records.person_record_id,
        person_records.person_id,
        person_records.source_name,
        person_records.force_code,
        coalesce(event_spans.first_seen_on, attributes.delivered_on) as seen_from_on,
        coalesce(event_spans.last_seen_on, event_spans.first_seen_on, attributes.delivered_on) as seen_to_on,
        coalesce(event_spans.event_count, 0) as event_count

    from person_records
    left join attributes
        on person_records.person_record_id = attributes.person_record_id
    left join event_spans
        on person_records.person_record_id = event_spans.person_record_id

)

select * from final
