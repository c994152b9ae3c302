{#- The SQL expression `value` with diacritics removed (é -> e, Ø -> O). DuckDB has strip_accents;
    elsewhere a translate() of the Latin-1 and Latin Extended-A letters seen in UK names, and the
    Romanian and Turkish letters with a comma or cedilla below (Niță -> Nita, as DuckDB gives). -#}
{% macro strip_accents(value) -%}
    {{ return(adapter.dispatch('strip_accents', 'oe_platform')(value)) }}
{%- endmacro %}

{% macro _accent_translate(value) -%}
    translate(
        {{ value }},
        'ÀÁÂÃÄÅàáâãäåĀāĂăĄąÇçĆćČčĎďÈÉÊËèéêëĒēĖėĘęĚěÌÍÎÏìíîïĪīĮįÑñŃńŇňÒÓÔÕÖØòóôõöøŌōŐőŘřŚśŠšŞşŤťÙÚÛÜùúûüŪūŮůŰűÝýÿŹźŻżŽžȘșȚțŢţĞğİĹĺĽľŔŕ',
        'AAAAAAaaaaaaAaAaAaCcCcCcDdEEEEeeeeEeEeEeEeIIIIiiiiIiIiNnNnNnOOOOOOooooooOoOoRrSsSsSsTtUUUUuuuuUuUuUuYyyZzZzZzSsTtTtGgILlLlRr'
    )
{%- endmacro %}

{% macro default__strip_accents(value) -%}
    {{ oe_platform._accent_translate(value) }}
{%- endmacro %}

{% macro duckdb__strip_accents(value) -%}
    strip_accents({{ value }})
{%- endmacro %}

{% macro spark__strip_accents(value) -%}
    {{ oe_platform._accent_translate(value) }}
{%- endmacro %}
