-- One row per value ingest kept but flagged (formula-like cells, huge fields, …) and per file-level
-- remark; staging and exports join on (file_id, entity, row_number) to flag or neutralise the value.
with

source as (

    select * from {{ source('ingest', 'warnings') }}

),

renamed as (

    select
        -- ids
        file_id,

        -- where
        path,
        source,
        force_code,
        delivery_date,
        entity,
        row_number,
        column_name,

        -- what
        kind,
        detail,
        value_excerpt,
        kind = 'formula_like' as is_formula_like,

        -- when
        warned_at

    from source

)

select * from renamed
