{#- Fails for every non-null value of the column that is not a value of `field` in the reference
    relation `to` (normally a seed): the code set lives in the seed, not in a YAML list. -#}
{% test accepted_code_from_seed(model, column_name, to, field) %}

with

tested as (

    select distinct {{ column_name }} as code
    from {{ model }}
    where {{ column_name }} is not null

),

reference_codes as (

    select distinct {{ field }} as code
    from {{ to }}

)

select tested.code as unknown_code
from tested
left join reference_codes
    on tested.code = reference_codes.code
where reference_codes.code is null

{% endtest %}
