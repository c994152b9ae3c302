{#- Parse a delivered date string by its layout's date-format token (iso, dmy, mdy, ymd_compact).
    Returns null when the text is not a real date in that format. -#}
{% macro parse_date_text(value, format_token) -%}
    {{ return(adapter.dispatch('parse_date_text', 'oe_platform')(value, format_token)) }}
{%- endmacro %}

{% macro default__parse_date_text(value, format_token) -%}
    case {{ format_token }}
        when 'iso' then cast(try_strptime(trim({{ value }}), '%Y-%m-%d') as date)
        when 'dmy' then cast(try_strptime(trim({{ value }}), '%d/%m/%Y') as date)
        when 'mdy' then cast(try_strptime(trim({{ value }}), '%m/%d/%Y') as date)
        when 'ymd_compact' then cast(try_strptime(trim({{ value }}), '%Y%m%d') as date)
    end
{%- endmacro %}

{% macro spark__parse_date_text(value, format_token) -%}
    case {{ format_token }}
        when 'iso' then try_to_timestamp(trim({{ value }}), 'yyyy-MM-dd')::date
        when 'dmy' then try_to_timestamp(trim({{ value }}), 'dd/MM/yyyy')::date
        when 'mdy' then try_to_timestamp(trim({{ value }}), 'MM/dd/yyyy')::date
        when 'ymd_compact' then try_to_timestamp(trim({{ value }}), 'yyyyMMdd')::date
    end
{%- endmacro %}
