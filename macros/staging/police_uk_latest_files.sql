{#- The load time of the latest file of each force and month of a data.police.uk entity, from the file
    manifest rather than from bronze: a month re-published with a header and no rows writes nothing
    to bronze but is still the latest file, so the earlier file's rows stop being current (the
    month is retracted, as the contract says a later file replaces an earlier one; ingest warns
    no_data_rows). Bronze's _loaded_at is the manifest's started_at of the file's load. -#}
{% macro police_uk_latest_files(entity) -%}
    select
        force_code as _force_code,
        delivery_date as _delivery_date,
        max(started_at) as latest_loaded_at

    from {{ ref('stg_ingest__file_manifest') }}
    where source = 'police_uk' and entity = '{{ entity }}' and is_loaded
    group by force_code, delivery_date
{%- endmacro %}
