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

{#- Latin letters that are not a base letter with an accent, so no accent stripping reaches them
    (Unicode gives them no decomposition): written the way English records write them, Łukasz ->
    Lukasz, Guðmundsdóttir -> Gudmundsdottir, Þór -> Thor, Ægir -> Aegir, Strauß -> Strauss. Without
    this DuckDB's strip_accents kept them and name normalisation then dropped them (UKASZ, GIR). -#}
{% macro _transliterate_letters(value) -%}
    {%- set text = namespace(sql='translate(' ~ value ~ ", 'ŁłĐđÐðĦħıĿŀŦŧØø', 'LlDdDdHhiLlTtOo')") -%}
    {%- for letter, spelled in [('Æ', 'AE'), ('æ', 'ae'), ('Œ', 'OE'), ('œ', 'oe'), ('Þ', 'TH'), ('þ', 'th'),
                                ('ẞ', 'SS'), ('ß', 'ss'), ('Ĳ', 'IJ'), ('ĳ', 'ij')] -%}
        {%- set text.sql = "replace(" ~ text.sql ~ ", '" ~ letter ~ "', '" ~ spelled ~ "')" -%}
    {%- endfor -%}
    {{ text.sql }}
{%- endmacro %}

{% macro default__strip_accents(value) -%}
    {{ oe_platform._accent_translate(oe_platform._transliterate_letters(value)) }}
{%- endmacro %}

{% macro duckdb__strip_accents(value) -%}
    strip_accents({{ oe_platform._transliterate_letters(value) }})
{%- endmacro %}

{% macro spark__strip_accents(value) -%}
    {{ oe_platform._accent_translate(oe_platform._transliterate_letters(value)) }}
{%- endmacro %}
