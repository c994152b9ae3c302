-- Every landed row accounted for: for the latest attempt of every loaded file, rows read = rows
-- accepted + rows rejected, and the rejects table holds exactly the rows rejected. (That bronze holds
-- exactly the rows accepted is checked by the Dagster asset check every_landed_row_accounted_for.)
-- Returns the files that do not add up; an empty result passes.
with

manifest as (

    select * from {{ ref('stg_ingest__file_manifest') }}
    where is_loaded and is_latest_attempt

),

rejects as (

    select * from {{ ref('stg_ingest__rejects') }}

),

rejects_per_file as (

    select
        manifest.file_id,
        count(rejects.file_id) as rows_in_rejects

    from manifest
    left join rejects
        on
            manifest.file_id = rejects.file_id
            -- a workbook lists its entities comma-separated; nested entities are not counted
            and ',' || manifest.entity || ',' like '%,' || rejects.entity || ',%'
    group by manifest.file_id

)

select
    manifest.path,
    manifest.rows_read,
    manifest.rows_accepted,
    manifest.rows_rejected,
    rejects_per_file.rows_in_rejects

from manifest
inner join rejects_per_file
    on manifest.file_id = rejects_per_file.file_id
where
    manifest.rows_unaccounted != 0
    or rejects_per_file.rows_in_rejects != manifest.rows_rejected
