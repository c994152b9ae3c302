-- Every current OCG Mapping nominal's person is in organised_crime_group_nominal for its group and
-- role, and every current CLICM nominal's person is in county_line_nominal for its line and role;
-- each group's and line's nominal_count is the number of distinct people linked to it.
-- Returns the offending nominals and groups; an empty result passes.
with

ocg_nominals as (

    select * from {{ ref('stg_ocgm__nominals') }}
    where is_current

),

line_nominals as (

    select * from {{ ref('stg_clicm__nominals') }}
    where is_current

),

person_records as (

    select * from {{ ref('person_source_record') }}

),

group_links as (

    select * from {{ ref('organised_crime_group_nominal') }}

),

line_links as (

    select * from {{ ref('county_line_nominal') }}

),

groups as (

    select * from {{ ref('organised_crime_group') }}

),

county_lines as (

    select * from {{ ref('county_line') }}

),

unlinked_ocg_nominals as (

    select
        'ocgm nominal not linked' as failure,
        ocg_nominals.person_record_id as failing_key
    from ocg_nominals
    inner join person_records
        on ocg_nominals.person_record_id = person_records.person_record_id
    left join group_links
        on
            ocg_nominals.ocg_id = group_links.ocg_id
            and person_records.person_id = group_links.person_id
            and coalesce(ocg_nominals.source_role, 'unknown') = group_links.role
    where group_links.person_id is null

),

unlinked_line_nominals as (

    select
        'clicm nominal not linked' as failure,
        line_nominals.person_record_id as failing_key
    from line_nominals
    inner join person_records
        on line_nominals.person_record_id = person_records.person_record_id
    left join line_links
        on
            line_nominals.line_id = line_links.line_id
            and person_records.person_id = line_links.person_id
            and coalesce(line_nominals.source_role, 'unknown') = line_links.role
    where line_links.person_id is null

),

group_people as (

    select
        organised_crime_group_id,
        count(distinct person_id) as people
    from group_links
    group by organised_crime_group_id

),

line_people as (

    select
        county_line_id,
        count(distinct person_id) as people
    from line_links
    group by county_line_id

),

miscounted_groups as (

    select
        'organised_crime_group.nominal_count' as failure,
        groups.organised_crime_group_id as failing_key
    from groups
    left join group_people
        on groups.organised_crime_group_id = group_people.organised_crime_group_id
    where groups.nominal_count != coalesce(group_people.people, 0)

),

miscounted_lines as (

    select
        'county_line.nominal_count' as failure,
        county_lines.county_line_id as failing_key
    from county_lines
    left join line_people
        on county_lines.county_line_id = line_people.county_line_id
    where county_lines.nominal_count != coalesce(line_people.people, 0)

)

select * from unlinked_ocg_nominals
union all
select * from unlinked_line_nominals
union all
select * from miscounted_groups
union all
select * from miscounted_lines
