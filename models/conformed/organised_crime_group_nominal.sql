-- One row per organised crime group, resolved person and OCG role: the current nominals of OCG
-- Mapping linked to people through person_source_record, so a person mapped twice to one group (two
-- nominal references) is one row, and their other records (crimes, custody…) are one join away.
-- A nominal whose group was never delivered keeps its row with the delivered ocg_id and no
-- organised_crime_group_id. Dates are deliveries: first_seen_on is the first delivery of any version
-- of the (group, nominal) pair, last_seen_on the delivery of its current version.
with

nominals as (

    select * from {{ ref('stg_ocgm__nominals') }}

),

groups as (

    select * from {{ ref('stg_ocgm__ocgs') }}
    where is_current

),

person_records as (

    select * from {{ ref('person_source_record') }}

),

-- first delivery of each (group, nominal) pair, whatever the version
pair_history as (

    select
        force_code,
        ocg_id,
        nominal_id,
        min(cast(_delivery_date as date)) as first_delivered_on

    from nominals
    group by force_code, ocg_id, nominal_id

),

current_nominals as (

    select
        nominals.force_code,
        nominals.ocg_id,
        nominals.person_record_id,
        coalesce(nominals.source_role, 'unknown') as role,
        nominals.home_force,
        pair_history.first_delivered_on,
        cast(nominals._delivery_date as date) as delivered_on

    from nominals
    left join pair_history
        on
            nominals.force_code = pair_history.force_code
            and nominals.ocg_id = pair_history.ocg_id
            and nominals.nominal_id = pair_history.nominal_id
    where nominals.is_current

),

final as (

    select
        {{ oe_hash(['current_nominals.force_code', 'current_nominals.ocg_id', 'person_records.person_id',
                    'current_nominals.role']) }} as organised_crime_group_nominal_id,
        groups.organised_crime_group_id,
        current_nominals.ocg_id,
        person_records.person_id,
        current_nominals.role,
        count(*) as nominal_record_count,
        {{ most_frequent('current_nominals.home_force') }} as home_force,
        min(current_nominals.first_delivered_on) as first_seen_on,
        max(current_nominals.delivered_on) as last_seen_on

    from current_nominals
    left join person_records
        on current_nominals.person_record_id = person_records.person_record_id
    left join groups
        on
            current_nominals.force_code = groups.force_code
            and current_nominals.ocg_id = groups.ocg_id
    group by
        current_nominals.force_code,
        current_nominals.ocg_id,
        groups.organised_crime_group_id,
        person_records.person_id,
        current_nominals.role

)

select * from final
