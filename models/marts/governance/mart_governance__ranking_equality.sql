-- Equality monitoring of the ranked marts (a lesson of the ICO's 2018 Gangs Matrix notice): for each
-- ranked mart, the sex, age band and ethnicity of its top decile beside the whole population it
-- ranks, with each category's share of both and their difference. Ethnicity is recorded only on
-- custody records (self-defined or officer-defined, as its broad group); a person with none is
-- 'not recorded', and that category's size is itself a finding.
with

offenders as (

    select
        'mart_oe__high_harm_offenders' as ranked_mart,
        person_id,
        decile

    from {{ ref('mart_oe__high_harm_offenders') }}

),

vulnerable as (

    select
        'mart_safeguarding__vulnerable_persons' as ranked_mart,
        person_id,
        decile

    from {{ ref('mart_safeguarding__vulnerable_persons') }}

),

people as (

    select * from {{ ref('person') }}

),

source_records as (

    select * from {{ ref('person_source_record') }}

),

detainees as (

    select * from {{ ref('stg_custody__detainees') }}
    where is_current

),

as_of as (

    {{ scoring_as_of_select() }}

),

ranked as (

    select * from offenders
    union all
    select * from vulnerable

),

ethnicity as (

    select
        source_records.person_id,
        {{ most_frequent('detainees.ethnicity_broad_group') }} as ethnicity_broad_group

    from detainees
    inner join source_records
        on detainees.person_record_id = source_records.person_record_id
    where detainees.ethnicity_broad_group is not null
    group by source_records.person_id

),

described as (

    select
        ranked.ranked_mart,
        ranked.person_id,
        ranked.decile = 1 as is_top_decile,
        coalesce(people.sex_code, 'unknown') as sex,
        {{ age_band('people.date_of_birth', 'as_of.as_of_on') }} as age_band,
        coalesce(ethnicity.ethnicity_broad_group, 'not recorded') as ethnicity

    from ranked
    cross join as_of
    left join people
        on ranked.person_id = people.person_id
    left join ethnicity
        on ranked.person_id = ethnicity.person_id

),

categories as (

    select
        ranked_mart,
        is_top_decile,
        'sex' as characteristic,
        sex as category
    from described
    union all
    select
        ranked_mart,
        is_top_decile,
        'age_band' as characteristic,
        age_band as category
    from described
    union all
    select
        ranked_mart,
        is_top_decile,
        'ethnicity' as characteristic,
        ethnicity as category
    from described

),

sizes as (

    select
        ranked_mart,
        count(*) as population_size,
        sum(case when is_top_decile then 1 else 0 end) as top_decile_size

    from described
    group by ranked_mart

),

counted as (

    select
        ranked_mart,
        characteristic,
        category,
        count(*) as population_count,
        sum(case when is_top_decile then 1 else 0 end) as top_decile_count

    from categories
    group by ranked_mart, characteristic, category

),

final as (

    select
        counted.ranked_mart,
        counted.characteristic,
        counted.category,
        counted.population_count,
        cast(counted.top_decile_count as bigint) as top_decile_count,
        sizes.population_size,
        cast(sizes.top_decile_size as bigint) as top_decile_size,
        round(counted.population_count / sizes.population_size, 4) as population_share,
        round(case when sizes.top_decile_size > 0 then counted.top_decile_count / sizes.top_decile_size end, 4)
            as top_decile_share,
        round(
            case
                when sizes.top_decile_size > 0
                    then
                        counted.top_decile_count / sizes.top_decile_size
                        - counted.population_count / sizes.population_size
            end,
            4
        ) as share_difference,
        round(
            case
                when sizes.top_decile_size > 0
                    then
                        (counted.top_decile_count / sizes.top_decile_size)
                        / (counted.population_count / sizes.population_size)
            end,
            3
        ) as disproportionality_ratio,
        as_of.as_of_on as assessed_on

    from counted
    inner join sizes
        on counted.ranked_mart = sizes.ranked_mart
    cross join as_of

)

select * from final
