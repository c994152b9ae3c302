{#- The linkage input row of one staged person model: the standard person columns, each value kept
    only when its status says it can be trusted (so placeholders never agree with each other), and a
    typed null where the source does not hold that attribute at all. Which attributes a source holds
    is read from the model's documented columns (its YAML), so adding a source is one line in
    int_person_records. -#}
{% macro linkage_person_record_columns(model_name, source_name) -%}
    {%- set node = graph.get('nodes', {}).get('model.' ~ project_name ~ '.' ~ model_name) if execute else none -%}
    {%- set has = (node.columns.keys() | list) if node else [] -%}
        person_record_id,
        '{{ source_name }}' as source_name,
        force_code,
        {{ _linkage_pick(has, 'record_ref') }} as record_ref,
        {{ _linkage_pick(has, 'source_record_ref') }} as source_record_ref,
        {{ _linkage_pick(has, 'forename', status='forename_status') }} as forename_std,
        {{ _linkage_pick(has, 'middle_names') }} as middle_names_std,
        {{ _linkage_pick(has, 'surname', status='surname_status') }} as surname_std,
        {{ _linkage_pick(has, 'forename_formal', status='forename_status') }} as forename_formal,
        {{ _linkage_pick(has, 'forename_soundex', status='forename_status') }} as forename_phonetic,
        {{ _linkage_pick(has, 'surname_soundex', status='surname_status') }} as surname_phonetic,
        {{ _linkage_pick(has, 'date_of_birth', 'date') }} as date_of_birth,
        {{ _linkage_pick(has, 'sex_code') }} as sex_code,
        {{ _linkage_postcode(has) }} as postcode_std,
        {{ _linkage_pick(has, 'postcode_outward') }} as postcode_outward,
        {{ _linkage_pick(has, 'postcode_sector') }} as postcode_sector,
        {{ _linkage_pick(has, 'phone_e164', status='phone_status') }} as phone_e164,
        {{ _linkage_pick(has, 'pnc_id', status='pnc_id_status') }} as pnc_id,
        {{ _linkage_pick(has, 'cro_number', status='cro_number_status') }} as cro_number,
        {{ _linkage_pick(has, 'nhs_number', status='nhs_number_status') }} as nhs_number,
        {{ _linkage_pick(has, 'aliases') }} as aliases_std,
        {{ _linkage_pick(has, 'address') }} as address_std,
        cast(_delivery_date as date) as delivered_on
{%- endmacro %}


{% macro _linkage_pick(has, column, type='string', status=none) -%}
    {%- if column in has and (status is none or status in has) -%}
        {%- if status -%}
            case when {{ status }} = 'valid' then cast({{ column }} as {{ type }}) end
        {%- else -%}
            cast({{ column }} as {{ type }})
        {%- endif -%}
    {%- else -%}
        cast(null as {{ type }})
    {%- endif -%}
{%- endmacro %}


{#- A valid UK postcode; or a postal code from abroad, recognised by starting with a digit, which no UK
    postcode does (US 10001, AU 2615, FR 75001, NL 1012 AB, JP 100-0001), in upper case without spaces
    or punctuation (staging puts a UK postcode's space before the last three characters, which would
    read 75001 as 75 001; linkage compares the compact form, records._postcode): a partner's record of
    someone living abroad still compares on it. Anything else (a placeholder such as NFA, a malformed
    UK postcode) is null. -#}
{% macro _linkage_postcode(has) -%}
    {%- if 'postcode' in has and 'postcode_status' in has -%}
        case
            when postcode_status = 'valid' then cast(postcode as string)
            when postcode_status = 'invalid_format' and {{ regex_matches('postcode', foreign_postal_code_pattern()) }}
                then cast({{ regex_replace('postcode', '[^A-Z0-9]', '') }} as string)
        end
    {%- else -%}
        cast(null as string)
    {%- endif -%}
{%- endmacro %}


{% macro foreign_postal_code_pattern() -%}
    {{ return('^[0-9][0-9A-Z -]{2,9}$') }}
{%- endmacro %}
