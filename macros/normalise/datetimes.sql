{#- Date-times delivered as text in a layout's date format (the lineage column _date_format), the
    companion of dates.sql for arrival, report and observation times:
      iso          yyyy-mm-ddThh:mi[:ss[.fff]] (a space for T; Z or a UTC offset such as +01:00 is
                   accepted and ignored: the wall-clock time is kept, see docs/staging.md)
      dmy          dd/mm/yyyy hh:mi[:ss] (/, . or - separators)
      mdy          mm/dd/yyyy hh:mi[:ss]
      ymd_compact  yyyymmddhhmi[ss]
    A value with the date part only is read at midnight. -#}

{% macro _datetime_layouts() -%}
    {%- set time_part = '(?:[ T]([0-9]{1,2}):([0-9]{2})(?::([0-9]{2})(?:[.][0-9]+)?)?)?' -%}
    {{ return({
        'iso': {'pattern': '^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})' ~ time_part ~ ' ?(?:Z|[+-][0-9]{2}:?[0-9]{2})?$',
                'y': 1, 'm': 2, 'd': 3},
        'dmy': {'pattern': '^([0-9]{1,2})[/.-]([0-9]{1,2})[/.-]([0-9]{4})' ~ time_part ~ '$', 'y': 3, 'm': 2, 'd': 1},
        'mdy': {'pattern': '^([0-9]{1,2})[/.-]([0-9]{1,2})[/.-]([0-9]{4})' ~ time_part ~ '$', 'y': 3, 'm': 1, 'd': 2},
        'ymd_compact': {'pattern': '^([0-9]{4})([0-9]{2})([0-9]{2})(?:[ T]?([0-9]{2})([0-9]{2})([0-9]{2})?)?$',
                        'y': 1, 'm': 2, 'd': 3},
    }) }}
{%- endmacro %}

{#- The delivered date-time rearranged as zero-padded 'yyyy-mm-dd hh:mi:ss' text when it has the shape
    of its layout's format (whether or not it is a real date and time); null otherwise. -#}
{% macro datetime_iso_text(value, date_format) -%}
    {%- set text = 'trim(' ~ value ~ ')' -%}
    case lower(trim({{ date_format }}))
        {%- for token, layout in _datetime_layouts().items() %}
        when '{{ token }}' then
            case when {{ regex_matches(text, layout.pattern) }} then
                lpad({{ regex_extract(text, layout.pattern, layout.y) }}, 4, '0')
                || '-' || lpad({{ regex_extract(text, layout.pattern, layout.m) }}, 2, '0')
                || '-' || lpad({{ regex_extract(text, layout.pattern, layout.d) }}, 2, '0')
                || ' ' || lpad(coalesce({{ regex_extract(text, layout.pattern, 4) }}, '0'), 2, '0')
                || ':' || coalesce({{ regex_extract(text, layout.pattern, 5) }}, '00')
                || ':' || coalesce({{ regex_extract(text, layout.pattern, 6) }}, '00')
            end
        {%- endfor %}
    end
{%- endmacro %}

{#- True when 'yyyy-mm-dd hh:mi:ss' text names a real calendar day and time of day. -#}
{% macro iso_text_is_datetime(iso_text) -%}
    ({{ iso_text_is_calendar_date(iso_text) }}
        and cast(substr({{ iso_text }}, 12, 2) as int) <= 23
        and cast(substr({{ iso_text }}, 15, 2) as int) <= 59
        and cast(substr({{ iso_text }}, 18, 2) as int) <= 59)
{%- endmacro %}

{#- The delivered date-time as a timestamp when it is a real date and time in its layout's format,
    whatever its status (date_time_status says whether to trust it). -#}
{% macro normalise_datetime(value, date_format, iso_text=none) -%}
    {%- set iso_text = iso_text or datetime_iso_text(value, date_format) -%}
    case when {{ iso_text_is_datetime(iso_text) }} then {{ try_cast_timestamp(iso_text) }} end
{%- endmacro %}

{#- The statuses of date_status, for a date-time: missing, unparseable, sentinel (date part before var
    dob_sentinel_before or in year 9999), impossible (no such day or time: 31/02, 25:00), future
    (date part after `as_of`, default the run date), valid. -#}
{% macro datetime_status(value, date_format, as_of='current_date', sentinel_before=none, iso_text=none) -%}
    {%- set before = (sentinel_before or var('dob_sentinel_before', '1900-01-02')) | replace('-', '') | int -%}
    {%- set iso_text = iso_text or datetime_iso_text(value, date_format) -%}
    case
        when {{ blank_to_null(value) }} is null then 'missing'
        when ({{ iso_text }}) is null then 'unparseable'
        when cast(replace(substr({{ iso_text }}, 1, 10), '-', '') as int) < {{ before }}
            or substr({{ iso_text }}, 1, 4) = '9999' then 'sentinel'
        when not {{ iso_text_is_datetime(iso_text) }} then 'impossible'
        when {{ try_cast_date('substr(' ~ iso_text ~ ', 1, 10)') }} > {{ as_of }} then 'future'
        else 'valid'
    end
{%- endmacro %}
