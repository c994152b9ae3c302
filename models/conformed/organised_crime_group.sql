-- One row per current organised crime group of OCG Mapping (national), with its attributes as
-- staged (band labels and criminality codes are [unverified] working assumptions of the contract),
-- how many people are mapped to it (organised_crime_group_nominal) and how many current county
-- lines name it.
with

groups as (

    select * from {{ ref('stg_ocgm__ocgs') }}
    where is_current

),

group_nominals as (

    select * from {{ ref('organised_crime_group_nominal') }}

),

county_lines as (

    select * from {{ ref('stg_clicm__lines') }}
    where is_current

),

nominal_counts as (

    select
        organised_crime_group_id,
        cast(sum(nominal_record_count) as bigint) as nominal_record_count,
        count(distinct person_id) as nominal_count

    from group_nominals
    where organised_crime_group_id is not null
    group by organised_crime_group_id

),

line_counts as (

    select
        ocg_id,
        count(distinct county_line_id) as county_line_count

    from county_lines
    where ocg_id is not null
    group by ocg_id

),

final as (

    select
        groups.organised_crime_group_id,
        groups.ocg_id,
        groups.force_code,
        groups.ocg_name,
        groups.lead_force,
        groups.band,
        groups.threat_score,
        groups.principal_criminality,
        groups.secondary_criminality,
        groups.ocg_status,
        groups.mapped_on,
        groups.last_reviewed_on,
        coalesce(nominal_counts.nominal_record_count, 0) as nominal_record_count,
        coalesce(nominal_counts.nominal_count, 0) as nominal_count,
        coalesce(line_counts.county_line_count, 0) as county_line_count,
        cast(groups._delivery_date as date) as delivered_on

    from groups
    left join nominal_counts
        on groups.organised_crime_group_id = nominal_counts.organised_crime_group_id
    left join line_counts
        on groups.ocg_id = line_counts.ocg_id

)

select * from final
