{#- Local codes to national codes, per delivered layout, from the landing contracts' `codes`
    (macro contract_code_sets, generated from contracts/*.yml). One staging model reads every
    force's layout, so the mapping is a case on the lineage column _layout. `key` is always an
    expression holding code_key(value) (upper case, punctuation folded to _), so case and
    punctuation never matter. -#}

{#- True when some layout of `source` declares a code set for `column`. -#}
{% macro has_layout_codes(source, column) -%}
    {%- set ns = namespace(found=false) -%}
    {%- for layout_name, columns in contract_code_sets().get(source, {}).items() -%}
        {%- if column in columns -%}{%- set ns.found = true -%}{%- endif -%}
    {%- endfor -%}
    {{ return(ns.found) }}
{%- endmacro %}

{#- The national codes a column can take in any layout of `source` (sorted, distinct). -#}
{% macro contract_national_codes(source, column) -%}
    {%- set codes = [] -%}
    {%- for layout_name, columns in contract_code_sets().get(source, {}).items() -%}
        {%- for national in columns.get(column, {}).values() -%}
            {%- if national not in codes -%}{%- do codes.append(national) -%}{%- endif -%}
        {%- endfor -%}
    {%- endfor -%}
    {{ return(codes | sort) }}
{%- endmacro %}

{#- The national code of a delivered code in its layout's code set; null when the layout declares no
    code set for the column or the code is not in it. -#}
{% macro layout_code(source, column, key, layout='_layout') -%}
    {%- if not has_layout_codes(source, column) -%}
    cast(null as {{ dbt.type_string() }})
    {%- else -%}
    case {{ layout }}
        {%- for layout_name, columns in contract_code_sets().get(source, {}).items() if column in columns %}
        when {{ sql_string_literal(layout_name) }} then case {{ key }}
            {%- for local, national in columns[column].items() %}
            when {{ sql_string_literal(local) }} then {{ sql_string_literal(national) }}
            {%- endfor %}
        end
        {%- endfor %}
    end
    {%- endif -%}
{%- endmacro %}

{#- The national code of a delivered code: its layout's mapping first; otherwise the delivered code
    itself when it already is one of the national codes (of any layout of the source, plus
    `national_codes`), as a partner delivering the canonical vocabulary would send it. Null when
    neither applies: the caller flags that as unmapped and keeps the raw value. -#}
{% macro national_code(source, column, key, layout='_layout', national_codes=[]) -%}
    {%- set known = [] -%}
    {%- for code in contract_national_codes(source, column) + national_codes -%}
        {%- if code not in known -%}{%- do known.append(code) -%}{%- endif -%}
    {%- endfor -%}
    {%- if known | length == 0 -%}
    {{ layout_code(source, column, key, layout) }}
    {%- else -%}
    coalesce(
        {{ layout_code(source, column, key, layout) }},
        case {{ key }}
            {%- for code in known %}
            when {{ sql_string_literal(_jinja_code_key(code)) }} then {{ sql_string_literal(code) }}
            {%- endfor %}
        end
    )
    {%- endif -%}
{%- endmacro %}

{#- code_key of a national code at compile time. National codes are lower-case words joined by _ or -
    (very_low, west-mercia), for which this equals the SQL macro code_key. -#}
{% macro _jinja_code_key(code) -%}
    {{ return(code | string | trim | upper | replace('-', '_') | replace(' ', '_') | replace('.', '_')) }}
{%- endmacro %}

{#- mapped, missing (nothing delivered: the key is null) or unmapped (delivered but not found; the raw
    value is kept beside it). -#}
{% macro code_status(key, mapped) -%}
    case
        when {{ key }} is null then 'missing'
        when {{ mapped }} is null then 'unmapped'
        else 'mapped'
    end
{%- endmacro %}

{#- The event types of the canonical extract format (contracts/canonical.yml, events.event_type). -#}
{% macro canonical_event_types() -%}
    {{ return(['crime', 'stop_search', 'incident', 'missing_found', 'safeguarding_referral', 'intel']) }}
{%- endmacro %}
