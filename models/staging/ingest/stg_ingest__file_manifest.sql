-- One row per landed file and ingest attempt, with the latest attempt per file flagged and the
-- reconciliation arithmetic (rows_unaccounted must be 0 for every loaded file).
with

source as (

    select * from {{ source('ingest', 'file_manifest') }}

),

renamed as (

    select
        -- ids
        file_id,
        sha256,
        run_id as ingest_run_id,

        -- file
        path,
        file_name,
        root,
        size_bytes,
        modified_at,

        -- delivery
        source,
        force_code,
        delivery_date,
        layout,
        format,
        entity,

        -- outcome
        status,
        status = 'loaded' as is_loaded,
        status = 'skipped' as is_skipped,
        status in ('quarantined', 'failed') as is_set_aside,
        error,
        note,
        parse_mode,
        quarantine_path,
        contract_sha256,

        -- counts
        coalesce(rows_read, 0) as rows_read,
        coalesce(rows_accepted, 0) as rows_accepted,
        coalesce(rows_rejected, 0) as rows_rejected,
        coalesce(rows_warned, 0) as rows_warned,
        coalesce(rows_read, 0) - coalesce(rows_accepted, 0) - coalesce(rows_rejected, 0) as rows_unaccounted,

        -- timings
        started_at,
        finished_at,
        duration_ms

    from source

),

attempts as (

    select
        *,
        -- the latest attempt per file says where its rows are (a duplicate only points at a loaded
        -- copy; a skipped file is not a delivery and is never an attempt)
        row_number() over (
            partition by file_id, status in ('duplicate', 'skipped')
            order by started_at desc, path desc
        ) = 1
        and status not in ('duplicate', 'skipped') as is_latest_attempt

    from renamed

)

select * from attempts
