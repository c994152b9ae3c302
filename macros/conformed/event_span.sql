{#- The span of days an event covers, as the conformed link tables date it: from the day it
    happened (else the day it was recorded) to the latest day it may have happened (occurred_until,
    e.g. a crime's occurred-to, a missing person's found day), never before the start. `relation`
    is the alias of a relation with event's date columns (occurred_on, occurred_until, recorded_on). -#}
{% macro event_span_start(relation) -%}
    coalesce({{ relation }}.occurred_on, {{ relation }}.recorded_on, {{ relation }}.occurred_until)
{%- endmacro %}

{% macro event_span_end(relation) -%}
    case
        when {{ relation }}.occurred_until >= {{ event_span_start(relation) }} then {{ relation }}.occurred_until
        else {{ event_span_start(relation) }}
    end
{%- endmacro %}
