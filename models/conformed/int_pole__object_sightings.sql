-- Every sighting of an object (a phone number, an e-mail address, an online handle) in a current
-- staged record, with what it is linked to and how: a person record's own phone or e-mail, a phone
-- mentioned in an intelligence log, a county line's deal number and its line holders, an OSINT
-- observation's handle and phone and the person it names. object, person_object and event_object
-- aggregate these rows. Only values whose staging status is valid become objects (phones in E.164);
-- no staged source carries a vehicle registration, so there are no vehicle objects yet.
with

person_records as (

    select * from {{ ref('int_person_records') }}

),

record_dates as (

    select * from {{ ref('int_pole__person_record_dates') }}

),

partner_persons as (

    select * from {{ ref('stg_canonical__persons') }}
    where is_current and email_status = 'valid'

),

intel_logs as (

    select * from {{ ref('stg_intel__logs') }}
    where is_current and phone_mentioned_status = 'valid'

),

county_lines as (

    select * from {{ ref('stg_clicm__lines') }}
    where is_current

),

deal_numbers as (

    select * from {{ ref('stg_clicm__deal_numbers') }}
    where is_current and deal_number_status = 'valid'

),

line_holders as (

    select * from {{ ref('stg_clicm__nominals') }}
    where is_current and source_role = 'line_holder'

),

osint_observations as (

    select * from {{ ref('stg_osint__observations') }}
    where is_current

),

osint_subjects as (

    select * from {{ ref('stg_osint__subjects') }}
    where is_current

),

events as (

    select * from {{ ref('event') }}

),

-- the dates an event was seen (as person_event dates them)
event_dates as (

    select
        events.event_id,
        {{ event_span_start('events') }} as seen_from_on,
        {{ event_span_end('events') }} as seen_to_on

    from events

),

line_deal_numbers as (

    select
        county_lines.county_line_id,
        deal_numbers.deal_number_id,
        deal_numbers.line_id,
        deal_numbers.force_code,
        deal_numbers.deal_number_e164,
        coalesce(deal_numbers.active_from_on, cast(deal_numbers._delivery_date as date)) as seen_from_on,
        coalesce(deal_numbers.active_to_on, cast(deal_numbers._delivery_date as date)) as seen_to_on

    from deal_numbers
    inner join county_lines
        on
            deal_numbers.force_code = county_lines.force_code
            and deal_numbers.line_id = county_lines.line_id

),

observations as (

    select
        osint_observations.osint_observation_id,
        osint_observations.force_code,
        osint_observations.platform,
        osint_observations.handle,
        case when osint_observations.phone_status = 'valid' then osint_observations.phone_e164 end as phone_e164,
        osint_subjects.person_record_id as subject_record_id,
        event_dates.seen_from_on,
        event_dates.seen_to_on

    from osint_observations
    left join osint_subjects
        on
            osint_observations.force_code = osint_subjects.force_code
            and osint_observations.observation_id = osint_subjects.observation_id
    left join event_dates
        on osint_observations.osint_observation_id = event_dates.event_id

),

sightings as (

    -- a person record's own phone (every person source; valid numbers only)
    select
        'phone' as object_type,
        cast(null as {{ dbt.type_string() }}) as object_platform,
        person_records.phone_e164 as object_value,
        'own_phone' as relationship,
        person_records.person_record_id,
        cast(null as {{ dbt.type_string() }}) as event_id,
        cast(null as {{ dbt.type_string() }}) as county_line_id,
        person_records.person_record_id as record_key,
        person_records.source_name,
        person_records.force_code,
        record_dates.seen_from_on,
        record_dates.seen_to_on
    from person_records
    inner join record_dates
        on person_records.person_record_id = record_dates.person_record_id
    where person_records.phone_e164 is not null

    union all

    -- a partner person's own e-mail address (the only source that delivers one)
    select
        'email' as object_type,
        cast(null as {{ dbt.type_string() }}) as object_platform,
        partner_persons.email as object_value,
        'own_email' as relationship,
        partner_persons.person_record_id,
        cast(null as {{ dbt.type_string() }}) as event_id,
        cast(null as {{ dbt.type_string() }}) as county_line_id,
        partner_persons.person_record_id as record_key,
        'canonical' as source_name,
        partner_persons.force_code,
        record_dates.seen_from_on,
        record_dates.seen_to_on
    from partner_persons
    inner join record_dates
        on partner_persons.person_record_id = record_dates.person_record_id

    union all

    -- a phone number an intelligence log mentions
    select
        'phone' as object_type,
        cast(null as {{ dbt.type_string() }}) as object_platform,
        intel_logs.phone_mentioned_e164 as object_value,
        'phone_mentioned' as relationship,
        cast(null as {{ dbt.type_string() }}) as person_record_id,
        intel_logs.log_id as event_id,
        cast(null as {{ dbt.type_string() }}) as county_line_id,
        intel_logs.log_id as record_key,
        'intel' as source_name,
        intel_logs.force_code,
        event_dates.seen_from_on,
        event_dates.seen_to_on
    from intel_logs
    left join event_dates
        on intel_logs.log_id = event_dates.event_id

    union all

    -- a deal number of a county line, dated by its active span (else the delivery)
    select
        'phone' as object_type,
        cast(null as {{ dbt.type_string() }}) as object_platform,
        deal_number_e164 as object_value,
        'deal_number' as relationship,
        cast(null as {{ dbt.type_string() }}) as person_record_id,
        cast(null as {{ dbt.type_string() }}) as event_id,
        county_line_id,
        deal_number_id as record_key,
        'clicm' as source_name,
        force_code,
        seen_from_on,
        seen_to_on
    from line_deal_numbers

    union all

    -- the holder of a county line holds its deal numbers
    select
        'phone' as object_type,
        cast(null as {{ dbt.type_string() }}) as object_platform,
        line_deal_numbers.deal_number_e164 as object_value,
        'deal_line_holder' as relationship,
        line_holders.person_record_id,
        cast(null as {{ dbt.type_string() }}) as event_id,
        line_deal_numbers.county_line_id,
        line_deal_numbers.deal_number_id as record_key,
        'clicm' as source_name,
        line_deal_numbers.force_code,
        line_deal_numbers.seen_from_on,
        line_deal_numbers.seen_to_on
    from line_deal_numbers
    inner join line_holders
        on
            line_deal_numbers.force_code = line_holders.force_code
            and line_deal_numbers.line_id = line_holders.line_id

    union all

    -- an OSINT observation's handle, on the observation
    select
        'online_handle' as object_type,
        platform as object_platform,
        handle as object_value,
        'handle_observed' as relationship,
        cast(null as {{ dbt.type_string() }}) as person_record_id,
        osint_observation_id as event_id,
        cast(null as {{ dbt.type_string() }}) as county_line_id,
        osint_observation_id as record_key,
        'osint' as source_name,
        force_code,
        seen_from_on,
        seen_to_on
    from observations
    where handle is not null

    union all

    -- ... and on the person the observation names
    select
        'online_handle' as object_type,
        platform as object_platform,
        handle as object_value,
        'online_handle' as relationship,
        subject_record_id as person_record_id,
        cast(null as {{ dbt.type_string() }}) as event_id,
        cast(null as {{ dbt.type_string() }}) as county_line_id,
        osint_observation_id as record_key,
        'osint' as source_name,
        force_code,
        seen_from_on,
        seen_to_on
    from observations
    where handle is not null and subject_record_id is not null

    union all

    -- an OSINT observation's advertised or linked phone, on the observation
    select
        'phone' as object_type,
        cast(null as {{ dbt.type_string() }}) as object_platform,
        phone_e164 as object_value,
        'phone_observed' as relationship,
        cast(null as {{ dbt.type_string() }}) as person_record_id,
        osint_observation_id as event_id,
        cast(null as {{ dbt.type_string() }}) as county_line_id,
        osint_observation_id as record_key,
        'osint' as source_name,
        force_code,
        seen_from_on,
        seen_to_on
    from observations
    where phone_e164 is not null

    union all

    -- ... and on the person it names: linked, not their own (often a deal line)
    select
        'phone' as object_type,
        cast(null as {{ dbt.type_string() }}) as object_platform,
        phone_e164 as object_value,
        'linked_phone' as relationship,
        subject_record_id as person_record_id,
        cast(null as {{ dbt.type_string() }}) as event_id,
        cast(null as {{ dbt.type_string() }}) as county_line_id,
        osint_observation_id as record_key,
        'osint' as source_name,
        force_code,
        seen_from_on,
        seen_to_on
    from observations
    where phone_e164 is not null and subject_record_id is not null

),

keyed as (

    select
        {{ oe_hash(['object_type', 'object_platform', 'object_value']) }} as object_id,
        *

    from sightings

),

-- one row per object, link and source record (a deal number delivered twice in one line is one)
final as (

    select
        {{ oe_hash([
            'keyed.object_id', 'keyed.relationship', 'keyed.record_key',
            'keyed.person_record_id', 'keyed.event_id', 'keyed.county_line_id',
        ]) }} as object_sighting_id,
        keyed.object_id,
        keyed.object_type,
        keyed.object_platform,
        keyed.object_value,
        keyed.relationship,
        keyed.person_record_id,
        record_dates.person_id,
        keyed.event_id,
        keyed.county_line_id,
        keyed.record_key,
        keyed.source_name,
        keyed.force_code,
        min(keyed.seen_from_on) as seen_from_on,
        max(keyed.seen_to_on) as seen_to_on

    from keyed
    left join record_dates
        on keyed.person_record_id = record_dates.person_record_id
    group by
        keyed.object_id,
        keyed.object_type,
        keyed.object_platform,
        keyed.object_value,
        keyed.relationship,
        keyed.person_record_id,
        record_dates.person_id,
        keyed.event_id,
        keyed.county_line_id,
        keyed.record_key,
        keyed.source_name,
        keyed.force_code

)

select * from final
