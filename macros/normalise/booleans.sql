{#- Yes/no answers delivered as text (Y, N, Yes, No, True, False, 1, 0, in any case): a boolean, and
    a status so an answer that is neither is kept visible instead of read as no. -#}

{% macro yes_no_tokens() -%}
    {{ return({'yes': ['Y', 'YES', 'TRUE', 'T', '1'], 'no': ['N', 'NO', 'FALSE', 'F', '0']}) }}
{%- endmacro %}

{#- true, false, or null when blank or not a yes/no answer. -#}
{% macro normalise_yes_no(value) -%}
    case upper(trim({{ value }}))
        {%- for token in yes_no_tokens().yes %}
        when '{{ token }}' then true
        {%- endfor %}
        {%- for token in yes_no_tokens().no %}
        when '{{ token }}' then false
        {%- endfor %}
    end
{%- endmacro %}

{#- valid, missing (blank) or unmapped (some other text, kept raw beside it). -#}
{% macro yes_no_status(value) -%}
    case
        when {{ blank_to_null(value) }} is null then 'missing'
        when upper(trim({{ value }})) in (
            {%- for token in yes_no_tokens().yes + yes_no_tokens().no -%}
            '{{ token }}'{{ ", " if not loop.last }}
            {%- endfor -%}
        ) then 'valid'
        else 'unmapped'
    end
{%- endmacro %}

{#- A multi-valued code column as one ';'-separated text of its parts, whatever the layout: a JSON
    array (["cse", "cce"]) loses its brackets and quotes and its commas become ';'. -#}
{% macro code_list_text(value) -%}
    nullif(trim(replace({{ regex_replace(value, '[\\[\\]"]', '') }}, ',', ';')), '')
{%- endmacro %}
