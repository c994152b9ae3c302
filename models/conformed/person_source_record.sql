-- Every current person record of every linked source exactly once, with the person it resolved to.
with

records as (

    select * from {{ ref('int_person_records') }}

),

clusters as (

    select * from {{ source('linkage', 'person_clusters') }}

),

final as (

    select
        records.person_record_id,
        cast(clusters.person_id as {{ dbt.type_string() }}) as person_id,
        records.source_name,
        records.force_code,
        records.record_ref,
        records.source_record_ref,
        cast(clusters.match_confidence as double) as match_confidence,
        cast(clusters.cluster_size as integer) as cluster_size,
        cast(clusters.model_version as integer) as model_version

    from records
    left join clusters
        on records.person_record_id = clusters.person_record_id

)

select * from final
