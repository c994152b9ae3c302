{#- Fails (one row with both counts) when the model's row count differs from the row count of
    `compare_model`; each side optionally filtered by a SQL condition. Use it to prove a model keeps
    every row of its input (no row dropped, no join fan-out). On a delivery day (macros/
    staging_test_scope.sql) both sides count the rows of the day's files only. -#}
{% test row_count_matches(model, compare_model, model_condition=none, compare_condition=none) %}

{%- set day_scope = oe_platform.staging_test_file_scope() -%}
{%- set compare_from = compare_model -%}
{%- set compare_conditions = [] -%}
{%- if compare_condition -%}{%- do compare_conditions.append('(' ~ compare_condition ~ ')') -%}{%- endif -%}
{%- if day_scope and compare_model.schema == 'bronze' -%}
    {%- set compare_from = oe_platform.staging_test_bronze_files(compare_model.identifier) -%}
{%- elif day_scope -%}
    {%- do compare_conditions.append(day_scope) -%}
{%- endif %}

with

model_rows as (

    select count(*) as row_count
    from {{ model }}
    {% if model_condition %}where {{ model_condition }}{% endif %}

),

compare_rows as (

    select count(*) as row_count
    from {{ compare_from }}
    {% if compare_conditions %}where {{ compare_conditions | join(' and ') }}{% endif %}

)

select
    model_rows.row_count as model_row_count,
    compare_rows.row_count as compare_row_count
from model_rows
cross join compare_rows
where model_rows.row_count != compare_rows.row_count

{% endtest %}
