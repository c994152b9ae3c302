{#- The age band of a person at a date, from the date of birth: under 18, 18-24, 25-34, 35-44,
    45-54, 55 and over; unknown when either date is missing or the birth date is after the date.
    Whole years as the safeguarding mart counts them (days / 365.25, floored). -#}
{% macro age_band(date_of_birth, as_of) -%}
    case
        when {{ date_of_birth }} is null or {{ as_of }} is null or {{ date_of_birth }} > {{ as_of }} then 'unknown'
        when floor({{ days_between(date_of_birth, as_of) }} / 365.25) < 18 then 'under 18'
        when floor({{ days_between(date_of_birth, as_of) }} / 365.25) < 25 then '18-24'
        when floor({{ days_between(date_of_birth, as_of) }} / 365.25) < 35 then '25-34'
        when floor({{ days_between(date_of_birth, as_of) }} / 365.25) < 45 then '35-44'
        when floor({{ days_between(date_of_birth, as_of) }} / 365.25) < 55 then '45-54'
        else '55 and over'
    end
{%- endmacro %}
