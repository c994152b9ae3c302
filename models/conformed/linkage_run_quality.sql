-- The quality report of the last person-resolution run, as delivered by the linkage asset: summary
-- counts and timings, accuracy against a ground truth where one exists, the cluster-size
-- distribution and the match-weight histogram (docs/linkage.md).
with

quality as (

    select * from {{ source('linkage', 'linkage_quality') }}

),

final as (

    select
        section,
        metric,
        cast(bin_lower as double) as bin_lower,
        cast(bin_upper as double) as bin_upper,
        cast(value as double) as metric_value

    from quality

)

select * from final
