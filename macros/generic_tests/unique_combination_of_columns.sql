{#- Fails for every combination of the listed columns that occurs more than once (a composite key).
    Nulls count as values: two rows with the same nulls are duplicates. -#}
{% test unique_combination_of_columns(model, combination_of_columns) %}

select
    {% for column in combination_of_columns -%}
    {{ column }},
    {% endfor -%}
    count(*) as occurrences
from {{ model }}
group by {% for column in combination_of_columns %}{{ column }}{{ ', ' if not loop.last }}{% endfor %}
having count(*) > 1

{% endtest %}
