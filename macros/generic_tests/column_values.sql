{#- The column rules of a model in one test and one scan: every column listed in `not_null` must hold a
    value, and every non-null value of a column listed in `accepted_values` must be one of its values
    (`{column: [values]}`, or `{column: {values: [...], quote: false}}` for numbers and booleans;
    null passes, as in dbt's accepted_values). It returns one row per broken rule: the rule, the
    column, how many rows break it and, for accepted_values, the smallest offending value (coded
    columns only, never free text), so a failure names the column to look at.

    Declared once per model instead of a dbt test per column: each of the 345 tests it replaced was
    a dbt node of its own, a scan of the table and an asset check Dagster plans and records
    (docs/scale.md, "Session 13: one test per model for the column rules"). Keys keep dbt's own
    `unique` and `not_null`. -#}
{% test column_values(model, not_null=[], accepted_values={}) %}

{%- set rules = [] -%}
{%- for column in not_null -%}
    {%- do rules.append({'rule': 'not_null', 'column': column, 'breaks': column ~ ' is null',
                         'example': none}) -%}
{%- endfor -%}
{%- for column, spec in accepted_values.items() -%}
    {%- set values = spec['values'] if spec is mapping else spec -%}
    {%- set quote = spec.get('quote', true) if spec is mapping else true -%}
    {%- if values | length == 0 -%}
        {{ exceptions.raise_compiler_error("column_values on " ~ model ~ ": accepted_values of " ~ column ~ " lists no value") }}
    {%- endif -%}
    {%- set listed = [] -%}
    {%- for value in values -%}
        {%- do listed.append(oe_platform.sql_string_literal(value | string) if quote else value | string) -%}
    {%- endfor -%}
    {%- set breaks = column ~ ' is not null and ' ~ column ~ ' not in (' ~ listed | join(', ') ~ ')' -%}
    {%- do rules.append({'rule': 'accepted_values', 'column': column, 'breaks': breaks,
                         'example': 'cast(' ~ column ~ ' as ' ~ dbt.type_string() ~ ')'}) -%}
{%- endfor -%}
{%- if rules | length == 0 -%}
    {{ exceptions.raise_compiler_error("column_values on " ~ model ~ " lists no column: give not_null or accepted_values") }}
{%- endif %}

with

counted as (

    select
        {%- for rule in rules %}
        sum(case when {{ rule.breaks }} then 1 else 0 end) as breaking_{{ loop.index }},
        {%- if rule.example %}
        min(case when {{ rule.breaks }} then {{ rule.example }} end) as example_{{ loop.index }},
        {%- endif %}
        {%- endfor %}
        count(*) as checked_rows
    from {{ model }}

)

{% for rule in rules -%}
select
    '{{ rule.rule }}' as rule,
    '{{ rule.column }}' as column_name,
    breaking_{{ loop.index }} as breaking_rows,
    {{ 'example_' ~ loop.index if rule.example else 'cast(null as ' ~ dbt.type_string() ~ ')' }} as example_value
from counted
where breaking_{{ loop.index }} > 0
{% if not loop.last %}
union all
{% endif %}
{%- endfor %}

{% endtest %}
