{#- Referential integrity on a subset: every non-null value of the column, among the model's rows
    meeting `from_condition`, exists in `to`.`field` among its rows meeting `to_condition`
    (e.g. a mapping seed's target code exists in the code seed for the same component). -#}
{% test relationships_where(model, column_name, to, field, from_condition='1 = 1', to_condition='1 = 1') %}

with

children as (

    select {{ column_name }} as child_value
    from {{ model }}
    where {{ column_name }} is not null and ({{ from_condition }})

),

parents as (

    select {{ field }} as parent_value
    from {{ to }}
    where {{ to_condition }}

)

select children.child_value
from children
left join parents
    on children.child_value = parents.parent_value
where parents.parent_value is null

{% endtest %}
