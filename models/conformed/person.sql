-- One row per resolved person: the most frequent delivered value of each attribute across the
-- person's records, and how widely the person is known (sources, forces, first and last delivery).
with

records as (

    select * from {{ ref('person_source_record') }}

),

attributes as (

    select * from {{ ref('int_person_records') }}

),

joined as (

    select
        records.person_id,
        records.source_name,
        records.force_code,
        records.match_confidence,
        attributes.forename_std,
        attributes.surname_std,
        attributes.date_of_birth,
        attributes.sex_code,
        attributes.pnc_id,
        attributes.delivered_on

    from records
    inner join attributes
        on records.person_record_id = attributes.person_record_id

),

final as (

    select
        person_id,
        {{ most_frequent('forename_std') }} as forename,
        {{ most_frequent('surname_std') }} as surname,
        {{ most_frequent('date_of_birth') }} as date_of_birth,
        {{ most_frequent('sex_code') }} as sex_code,
        {{ most_frequent('pnc_id') }} as pnc_id,
        count(*) as person_record_count,
        count(distinct source_name) as source_count,
        count(distinct force_code) as force_count,
        min(delivered_on) as first_delivered_on,
        max(delivered_on) as last_delivered_on,
        min(match_confidence) as min_match_confidence

    from joined
    group by person_id

)

select * from final
