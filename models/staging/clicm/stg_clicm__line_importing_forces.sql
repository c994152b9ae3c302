-- One row per importing force of each bronze CLICM line row (a line without importing forces has
-- none): the delivered force code checked against the seed forces. Current with its line.
with

lines as (

    select * from {{ ref('stg_clicm__lines') }}

),

forces as (

    select * from {{ ref('forces') }}

),

split as (

    select
        county_line_id,
        line_id,
        force_code,
        is_current,
        _file_id,
        _row_number,
        _delivery_date,
        {{ split_to_rows('importing_forces', ';') }} as importing_force_part

    from lines
    where importing_forces is not null

),

keyed as (

    select
        *,
        trim(importing_force_part) as importing_force_raw,
        {{ code_key('importing_force_part') }} as importing_force_key

    from split

)

select
    -- ids
    keyed.county_line_id,
    keyed.line_id,
    keyed.force_code,

    -- importing force
    keyed.importing_force_raw,
    forces.force_code as importing_force,
    case when forces.force_code is null then 'unmapped' else 'mapped' end as importing_force_status,

    -- versions
    keyed.is_current,

    -- lineage
    keyed._file_id,
    keyed._row_number,
    keyed._delivery_date

from keyed
left join forces
    on keyed.importing_force_key = {{ code_key('forces.force_code') }}
where keyed.importing_force_key is not null
