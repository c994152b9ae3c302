-- Every valid phone number of the staged records is an object linked where it belongs: a current
-- person record's own phone (int_person_records) is its person's own_phone in person_object, a
-- phone a current intelligence log mentions is that log's phone_mentioned in event_object, and a
-- current county line's valid deal number is an object. Returns the numbers left out; an empty
-- result passes.
-- (in the conformed group: it reads the private linkage input int_person_records)
{{ config(group='conformed') }}

with

person_records as (

    select * from {{ ref('int_person_records') }}
    where phone_e164 is not null

),

resolved as (

    select * from {{ ref('person_source_record') }}

),

intel_logs as (

    select * from {{ ref('stg_intel__logs') }}
    where is_current and phone_mentioned_status = 'valid'

),

deal_numbers as (

    select * from {{ ref('stg_clicm__deal_numbers') }}
    where is_current and deal_number_status = 'valid'

),

objects as (

    select * from {{ ref('object') }}
    where object_type = 'phone'

),

person_objects as (

    select * from {{ ref('person_object') }}
    where relationship = 'own_phone'

),

event_objects as (

    select * from {{ ref('event_object') }}
    where relationship = 'phone_mentioned'

),

own_phones as (

    select
        objects.object_id,
        person_objects.person_id,
        person_objects.source_name
    from person_objects
    inner join objects
        on person_objects.object_id = objects.object_id

),

mentioned_phones as (

    select
        objects.object_value,
        event_objects.event_id
    from event_objects
    inner join objects
        on event_objects.object_id = objects.object_id

),

missing_own_phones as (

    select
        'own phone' as failure,
        person_records.person_record_id as failing_key
    from person_records
    inner join resolved
        on person_records.person_record_id = resolved.person_record_id
    left join objects
        on person_records.phone_e164 = objects.object_value
    left join own_phones
        on
            objects.object_id = own_phones.object_id
            and resolved.person_id = own_phones.person_id
            and person_records.source_name = own_phones.source_name
    where own_phones.object_id is null

),

missing_mentions as (

    select
        'phone mentioned' as failure,
        intel_logs.log_id as failing_key
    from intel_logs
    left join mentioned_phones
        on
            intel_logs.log_id = mentioned_phones.event_id
            and intel_logs.phone_mentioned_e164 = mentioned_phones.object_value
    where mentioned_phones.event_id is null

),

missing_deal_numbers as (

    select
        'deal number' as failure,
        deal_numbers.deal_number_id as failing_key
    from deal_numbers
    left join objects
        on deal_numbers.deal_number_e164 = objects.object_value
    where objects.object_id is null

)

select * from missing_own_phones
union all
select * from missing_mentions
union all
select * from missing_deal_numbers
