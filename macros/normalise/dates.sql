{#- Dates delivered as text in a layout's date format. The format is a SQL expression (normally the
    bronze lineage column _date_format), so one model reads every force's layout:
      iso          yyyy-mm-dd (a time part after a space or T is ignored)
      dmy          dd/mm/yyyy (/, . or - separators, one- or two-digit day and month)
      mdy          mm/dd/yyyy
      ymd_compact  yyyymmdd
    Two-digit years are not accepted: the century of a date of birth cannot be guessed safely. -#}

{% macro _date_layouts() -%}
    {{ return({
        'iso': {'pattern': '^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})([ T].*)?$', 'y': 1, 'm': 2, 'd': 3},
        'dmy': {'pattern': '^([0-9]{1,2})[/.-]([0-9]{1,2})[/.-]([0-9]{4})$', 'y': 3, 'm': 2, 'd': 1},
        'mdy': {'pattern': '^([0-9]{1,2})[/.-]([0-9]{1,2})[/.-]([0-9]{4})$', 'y': 3, 'm': 1, 'd': 2},
        'ymd_compact': {'pattern': '^([0-9]{4})([0-9]{2})([0-9]{2})$', 'y': 1, 'm': 2, 'd': 3},
    }) }}
{%- endmacro %}

{#- The delivered date rearranged as zero-padded 'yyyy-mm-dd' text when it has the shape of its
    layout's format (whether or not it is a real calendar date); null otherwise. -#}
{% macro date_iso_text(value, date_format) -%}
    {%- set text = 'trim(' ~ value ~ ')' -%}
    case lower(trim({{ date_format }}))
        {%- for token, layout in _date_layouts().items() %}
        when '{{ token }}' then
            lpad({{ regex_extract(text, layout.pattern, layout.y) }}, 4, '0')
            || '-' || lpad({{ regex_extract(text, layout.pattern, layout.m) }}, 2, '0')
            || '-' || lpad({{ regex_extract(text, layout.pattern, layout.d) }}, 2, '0')
        {%- endfor %}
    end
{%- endmacro %}

{#- True when zero-padded 'yyyy-mm-dd' text names a real calendar day (month 1-12, day within the
    month, 29 February only in leap years); null when the text is null. -#}
{% macro iso_text_is_calendar_date(iso_text) -%}
    {%- set y = 'cast(substr(' ~ iso_text ~ ', 1, 4) as int)' -%}
    {%- set m = 'cast(substr(' ~ iso_text ~ ', 6, 2) as int)' -%}
    {%- set d = 'cast(substr(' ~ iso_text ~ ', 9, 2) as int)' -%}
    ({{ y }} >= 1 and {{ m }} between 1 and 12 and {{ d }} >= 1 and {{ d }} <= case
        when {{ m }} in (4, 6, 9, 11) then 30
        when {{ m }} = 2 and (mod({{ y }}, 400) = 0 or (mod({{ y }}, 4) = 0 and mod({{ y }}, 100) != 0)) then 29
        when {{ m }} = 2 then 28
        else 31
    end)
{%- endmacro %}

{#- The delivered date as a date when it is a real calendar day in its layout's format, whatever its
    status (a future or sentinel date is returned too: date_status says whether to trust it).
    Pass `iso_text` (an expression already holding date_iso_text(value, date_format)) to avoid
    reshaping the text twice; the same holds for date_status. -#}
{% macro normalise_date(value, date_format, iso_text=none) -%}
    {%- set iso_text = iso_text or date_iso_text(value, date_format) -%}
    case when {{ iso_text_is_calendar_date(iso_text) }} then {{ try_cast_date(iso_text) }} end
{%- endmacro %}

{#- Why a delivered date is or is not usable, checked in this order:
      missing      null or blank
      unparseable  not the shape of the layout's format (or an unknown format token)
      sentinel     a placeholder: before var dob_sentinel_before (default 1900-01-02, so 1900-01-01,
                   00/00/0000) or in year 9999 (9999-12-31, 99/99/9999)
      impossible   the shape is right but no such day (31/02/1985, 2001-13-01)
      future       after as_of (default the run date)
      valid        otherwise -#}
{% macro date_status(value, date_format, as_of='current_date', sentinel_before=none, iso_text=none) -%}
    {%- set before = (sentinel_before or var('dob_sentinel_before', '1900-01-02')) | replace('-', '') | int -%}
    {%- set iso_text = iso_text or date_iso_text(value, date_format) -%}
    case
        when {{ blank_to_null(value) }} is null then 'missing'
        when ({{ iso_text }}) is null then 'unparseable'
        when cast(replace({{ iso_text }}, '-', '') as int) < {{ before }}
            or substr({{ iso_text }}, 1, 4) = '9999' then 'sentinel'
        when not {{ iso_text_is_calendar_date(iso_text) }} then 'impossible'
        when {{ try_cast_date(iso_text) }} > {{ as_of }} then 'future'
        else 'valid'
    end
{%- endmacro %}
