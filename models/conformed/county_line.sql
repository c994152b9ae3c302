-- One row per current county line of the County Lines Intelligence Collection Matrix (national;
-- field list [unverified]): exporting force, the importing forces as one sorted list, status and
-- closure, the OCG it is attributed to when OCG Mapping holds that group, and counts of its deal
-- numbers, nominals (resolved people, county_line_nominal) and cuckooed addresses.
with

county_lines as (

    select * from {{ ref('stg_clicm__lines') }}
    where is_current

),

importing_forces as (

    select * from {{ ref('stg_clicm__line_importing_forces') }}
    where is_current

),

deal_numbers as (

    select * from {{ ref('stg_clicm__deal_numbers') }}
    where is_current

),

cuckooed_addresses as (

    select * from {{ ref('stg_clicm__cuckooed_addresses') }}
    where is_current

),

line_nominals as (

    select * from {{ ref('county_line_nominal') }}

),

groups as (

    select * from {{ ref('stg_ocgm__ocgs') }}
    where is_current

),

importing_force_lists as (

    select
        county_line_id,
        {{ string_agg_distinct('importing_force') }} as importing_forces,
        count(distinct importing_force) as importing_force_count,
        count(*) - count(importing_force) as unmapped_importing_force_count

    from importing_forces
    group by county_line_id

),

-- deal numbers counted once per number: valid ones by E.164, others by the text delivered
deal_number_counts as (

    select
        line_id,
        force_code,
        count(distinct coalesce(deal_number_e164, deal_number_raw)) as deal_number_count,
        count(distinct case when is_active then coalesce(deal_number_e164, deal_number_raw) end)
            as active_deal_number_count

    from deal_numbers
    group by line_id, force_code

),

nominal_counts as (

    select
        county_line_id,
        cast(sum(nominal_record_count) as bigint) as nominal_record_count,
        count(distinct person_id) as nominal_count

    from line_nominals
    group by county_line_id

),

address_counts as (

    select
        line_id,
        force_code,
        count(distinct address_ref) as cuckooed_address_count

    from cuckooed_addresses
    group by line_id, force_code

),

final as (

    select
        county_lines.county_line_id,
        county_lines.line_id,
        county_lines.force_code,
        county_lines.line_name,
        county_lines.ocg_id,
        groups.organised_crime_group_id,
        county_lines.exporting_force,
        importing_force_lists.importing_forces,
        coalesce(importing_force_lists.importing_force_count, 0) as importing_force_count,
        coalesce(importing_force_lists.unmapped_importing_force_count, 0) as unmapped_importing_force_count,
        county_lines.line_status,
        county_lines.closure_type,
        county_lines.closure_type_label,
        county_lines.first_reported_on,
        county_lines.closed_on,
        coalesce(deal_number_counts.deal_number_count, 0) as deal_number_count,
        coalesce(deal_number_counts.active_deal_number_count, 0) as active_deal_number_count,
        coalesce(nominal_counts.nominal_record_count, 0) as nominal_record_count,
        coalesce(nominal_counts.nominal_count, 0) as nominal_count,
        coalesce(address_counts.cuckooed_address_count, 0) as cuckooed_address_count,
        cast(county_lines._delivery_date as date) as delivered_on

    from county_lines
    left join importing_force_lists
        on county_lines.county_line_id = importing_force_lists.county_line_id
    left join deal_number_counts
        on
            county_lines.line_id = deal_number_counts.line_id
            and county_lines.force_code = deal_number_counts.force_code
    left join nominal_counts
        on county_lines.county_line_id = nominal_counts.county_line_id
    left join address_counts
        on
            county_lines.line_id = address_counts.line_id
            and county_lines.force_code = address_counts.force_code
    left join groups
        on county_lines.ocg_id = groups.ocg_id

)

select * from final
