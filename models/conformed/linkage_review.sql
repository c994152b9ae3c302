-- The last person-resolution run's review list, with the resolved person of each record: clusters
-- the guard split, pairs above the threshold an edge guard kept apart, and name-only records with
-- exactly one candidate person (docs/linkage.md).
with

review as (

    select * from {{ source('linkage', 'linkage_review') }}

),

records as (

    select * from {{ ref('person_source_record') }}

),

final as (

    select
        {{ oe_hash(['review.review_type', 'review.person_record_id', 'review.other_person_record_id']) }}
            as review_id,
        cast(review.review_type as {{ dbt.type_string() }}) as review_type,
        cast(review.person_record_id as {{ dbt.type_string() }}) as person_record_id,
        this_record.person_id,
        this_record.source_name,
        cast(review.other_person_record_id as {{ dbt.type_string() }}) as other_person_record_id,
        other_record.person_id as other_person_id,
        other_record.source_name as other_source_name,
        cast(review.reason as {{ dbt.type_string() }}) as reason,
        cast(review.action as {{ dbt.type_string() }}) as action_taken,
        cast(review.profiles as integer) as profiles,
        cast(review.records as integer) as records,
        cast(review.match_probability as double) as match_probability,
        cast(review.detail as {{ dbt.type_string() }}) as detail

    from review
    left join records as this_record
        on review.person_record_id = this_record.person_record_id
    left join records as other_record
        on review.other_person_record_id = other_record.person_record_id

)

select * from final
