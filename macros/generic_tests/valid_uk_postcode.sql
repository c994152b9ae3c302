{#- Fails for every non-null value that is not a UK postcode in canonical form (upper case, one
    space before the inward code) matching the DOMAIN.md format rule. -#}
{% test valid_uk_postcode(model, column_name) %}

select {{ column_name }} as invalid_value
from {{ model }}
where
    {{ column_name }} is not null
    and not (
        {{ oe_platform.regex_matches(column_name, oe_platform.uk_postcode_pattern()) }}
        and {{ column_name }} = {{ oe_platform.normalise_postcode(column_name) }}
    )

{% endtest %}
