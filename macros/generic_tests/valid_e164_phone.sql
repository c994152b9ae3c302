{#- Fails for every non-null value that is not an E.164 phone number (+, country code, 7 to 15
    digits in all). -#}
{% test valid_e164_phone(model, column_name) %}

select {{ column_name }} as invalid_value
from {{ model }}
where
    {{ column_name }} is not null
    and not {{ oe_platform.regex_matches(column_name, oe_platform.e164_pattern()) }}

{% endtest %}
