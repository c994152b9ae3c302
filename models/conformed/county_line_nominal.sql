-- One row per county line, resolved person and line role (line_holder, runner, associate,
-- cuckooed_occupant): the current CLICM nominals linked to people through person_source_record, so
-- a person listed twice on one line is one row. CLICM nominals are current only with their line's
-- current version, so every row has its line. Dates are deliveries: first_seen_on is the first
-- delivery of any version of the (line, nominal) pair, last_seen_on the delivery of its current one.
with

nominals as (

    select * from {{ ref('stg_clicm__nominals') }}

),

county_lines as (

    select * from {{ ref('stg_clicm__lines') }}
    where is_current

),

person_records as (

    select * from {{ ref('person_source_record') }}

),

-- first delivery of each (line, nominal) pair, whatever the version
pair_history as (

    select
        force_code,
        line_id,
        nominal_id,
        min(cast(_delivery_date as date)) as first_delivered_on

    from nominals
    group by force_code, line_id, nominal_id

),

current_nominals as (

    select
        nominals.force_code,
        nominals.line_id,
        nominals.person_record_id,
        coalesce(nominals.source_role, 'unknown') as role,
        nominals.home_force,
        pair_history.first_delivered_on,
        cast(nominals._delivery_date as date) as delivered_on

    from nominals
    left join pair_history
        on
            nominals.force_code = pair_history.force_code
            and nominals.line_id = pair_history.line_id
            and nominals.nominal_id = pair_history.nominal_id
    where nominals.is_current

),

final as (

    select
        {{ oe_hash(['current_nominals.force_code', 'current_nominals.line_id', 'person_records.person_id',
                    'current_nominals.role']) }} as county_line_nominal_id,
        county_lines.county_line_id,
        current_nominals.line_id,
        person_records.person_id,
        current_nominals.role,
        count(*) as nominal_record_count,
        {{ most_frequent('current_nominals.home_force') }} as home_force,
        min(current_nominals.first_delivered_on) as first_seen_on,
        max(current_nominals.delivered_on) as last_seen_on

    from current_nominals
    left join person_records
        on current_nominals.person_record_id = person_records.person_record_id
    left join county_lines
        on
            current_nominals.force_code = county_lines.force_code
            and current_nominals.line_id = county_lines.line_id
    group by
        current_nominals.force_code,
        current_nominals.line_id,
        county_lines.county_line_id,
        person_records.person_id,
        current_nominals.role

)

select * from final
