{#- The body of an `as_of` CTE: one row, one column as_of_on, the date every OE score is computed
    at. The var scoring_as_of when set; else the latest event date in the warehouse that is not in
    the future, so the same data always gives the same scores (docs/scores.md). -#}
{% macro scoring_as_of_select() -%}
    {%- if var('scoring_as_of') %}
    {#- one row whatever the events (a constant selected from event would repeat per event) #}
    -- depends_on: {{ ref('event') }}
    select cast({{ sql_string_literal(var('scoring_as_of')) }} as date) as as_of_on
    {%- else %}
    select max(coalesce(occurred_on, recorded_on)) as as_of_on
    from {{ ref('event') }}
    where coalesce(occurred_on, recorded_on) <= current_date
    {%- endif %}
{%- endmacro %}

{#- A list var as a SQL list of string literals: ('a', 'b'). -#}
{% macro sql_in_list(values) -%}
    ({%- for value in values -%}{{ sql_string_literal(value) }}{{ ", " if not loop.last }}{%- endfor -%})
{%- endmacro %}

{#- The rank, decile and order every ranked mart shares: rank 1 = highest score (ties share a
    rank; ranks are dense), decile 1 = the top tenth (ntile over score, ties broken by person_id so
    the split is deterministic). -#}
{% macro ranked_columns(score) -%}
    cast(dense_rank() over (order by {{ score }} desc) as bigint) as rank,
    cast(ntile(10) over (order by {{ score }} desc, person_id) as bigint) as decile
{%- endmacro %}

{#- A count phrase: "3 offences" / "1 offence". -#}
{% macro plural(count, singular, plural_form=none) -%}
    concat(cast({{ count }} as string), ' ', case when {{ count }} = 1 then {{ sql_string_literal(singular) }} else {{ sql_string_literal(plural_form or singular ~ 's') }} end)
{%- endmacro %}
