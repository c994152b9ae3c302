{#- A ranking's ranks start at 1 and have no gaps: the largest rank equals the number of distinct
    ranks. Fails with one row (the numbers) when not; an empty ranking passes. -#}
{% test ranks_are_dense(model, rank_column) %}

with

ranks as (

    select
        min({{ rank_column }}) as min_rank,
        max({{ rank_column }}) as max_rank,
        count(distinct {{ rank_column }}) as distinct_ranks

    from {{ model }}

)

select * from ranks
where max_rank is not null and (min_rank != 1 or max_rank != distinct_ranks)

{% endtest %}
