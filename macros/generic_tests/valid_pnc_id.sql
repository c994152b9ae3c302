{#- Fails for every non-null value that is not a canonical PNC ID (YYYY/NNNNNNNC) with the right
    check letter. The check letter is computed on the value as staged (already in canonical form when
    the pattern matches), not normalised again: normalising is most of the cost on large tables. -#}
{% test valid_pnc_id(model, column_name) %}

select {{ column_name }} as invalid_value
from {{ model }}
where
    {{ column_name }} is not null
    and not (
        {{ oe_platform.regex_matches(column_name, '^[0-9]{4}/[0-9]{7}[A-HJ-NP-RT-Z]$') }}
        and {{ oe_platform.pnc_id_status(column_name, normalised=column_name) }} = 'valid'
    )

{% endtest %}
