-- One row per rejected landed record: what was wrong, where, and the record as delivered.
with

source as (

    select * from {{ source('ingest', 'rejects') }}

),

renamed as (

    select
        -- ids
        {{ oe_hash(['file_id', 'entity', 'row_number', 'column_name', 'reason']) }} as reject_id,
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
        reason,
        raw_text,
        coalesce(raw_text_truncated, false) as is_raw_text_truncated,

        -- when
        rejected_at

    from source

)

select * from renamed
