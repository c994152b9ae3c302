{#- Fails for every non-null value that is not a canonical CRO number (NNNNNN/YYC or SFYY/NNNNNNC)
    with the right check letter (computed on the value, once it equals its own normal form). -#}
{% test valid_cro_number(model, column_name) %}

select {{ column_name }} as invalid_value
from {{ model }}
where
    {{ column_name }} is not null
    and not (
        {{ column_name }} = {{ oe_platform.normalise_cro_number(column_name) }}
        and {{ oe_platform.cro_number_status(column_name, normalised=column_name) }} = 'valid'
    )

{% endtest %}
