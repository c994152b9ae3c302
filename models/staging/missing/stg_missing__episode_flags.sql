-- One row per flag of each bronze missing episode row (an episode without flags has none): the
-- delivered flag (semicolon-separated text, or a JSON array in the JSON layout), its national code
-- from the layout's code set in the contract, and, for exploitation flags (CSE, CCE, county lines),
-- the NRM exploitation type they roll up to (seed exploitation_types). stg_missing__episodes
-- aggregates these rows back to one row per episode.
{{ incremental_staging_config() }}
with

source as (

    {{ new_bronze_rows('missing__episodes') }}

),

exploitation_types as (

    select * from {{ ref('exploitation_types') }}

),

episodes as (

    select
        {{ oe_hash(["'missing'", '_force_code', 'episode_ref']) }} as episode_id,
        episode_ref,
        _force_code as force_code,
        {{ code_list_text('flags') }} as flag_list,
        _file_id,
        _row_number,
        _delivery_date,
        _layout

    from source

),

split as (

    select
        episode_id,
        episode_ref,
        force_code,
        _file_id,
        _row_number,
        _delivery_date,
        _layout,
        {{ split_to_rows('flag_list', ';') }} as flag_part

    from episodes
    where flag_list is not null

),

keyed as (

    select
        *,
        trim(flag_part) as flag_raw,
        {{ code_key('flag_part') }} as flag_key

    from split

),

mapped as (

    select
        keyed.*,
        {{ national_code('missing', 'flags', 'keyed.flag_key', layout='keyed._layout') }} as flag_code

    from keyed
    where keyed.flag_key is not null

)

select
    -- ids
    mapped.episode_id,
    mapped.episode_ref,
    mapped.force_code,

    -- flag
    mapped.flag_raw,
    mapped.flag_code,
    case when mapped.flag_code is null then 'unmapped' else 'mapped' end as flag_status,
    exploitation_types.exploitation_code is not null as is_exploitation_flag,
    exploitation_types.nrm_exploitation_type,

    -- lineage
    mapped._file_id,
    mapped._row_number,
    mapped._delivery_date,
    mapped._layout

from mapped
left join exploitation_types
    on mapped.flag_code = exploitation_types.exploitation_code
