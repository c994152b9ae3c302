{#- Contract constraints on Spark. dbt-spark applies a not_null constraint with ALTER COLUMN ... SET
    NOT NULL, which only Delta tables support; the project's tables are Parquet (Spark's default
    format, the same on a cluster without Delta), where that statement fails. On a Delta table this
    does what dbt-spark does; on any other format it checks the model's not_null, unique and
    primary_key constraints (column and model level) with one query after the build and fails the
    model naming each column that breaks one, as DuckDB refuses such rows. -#}
{% macro spark__persist_constraints(relation, model) %}
    {%- set contract_config = config.get('contract') -%}
    {%- if contract_config.enforced -%}
        {%- if config.get('file_format') == 'delta' -%}
            {%- do alter_table_add_constraints(relation, model.constraints) -%}
            {%- do alter_column_set_constraints(relation, model.columns) -%}
        {%- else -%}
            {%- do oe_platform.assert_constraints(relation, model.columns, model.constraints) -%}
        {%- endif -%}
    {%- endif -%}
{% endmacro %}

{% macro assert_constraints(relation, columns, model_constraints) %}
    {%- set not_null = [] -%}
    {%- set unique = [] -%}
    {%- for column_name, column in columns.items() -%}
        {%- for constraint in column.get('constraints', []) -%}
            {%- if constraint.type in ('not_null', 'primary_key') and column_name not in not_null -%}
                {%- do not_null.append(column_name) -%}
            {%- endif -%}
            {%- if constraint.type in ('unique', 'primary_key') -%}
                {%- do unique.append([column_name]) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- for constraint in model_constraints or [] -%}
        {%- if constraint.type in ('unique', 'primary_key') and constraint.columns -%}
            {%- do unique.append(constraint.columns) -%}
        {%- endif -%}
        {%- if constraint.type == 'primary_key' -%}
            {%- for column_name in constraint.columns or [] if column_name not in not_null -%}
                {%- do not_null.append(column_name) -%}
            {%- endfor -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if not_null or unique -%}
        {%- set checks = [] -%}
        {%- for column_name in not_null -%}
            {%- do checks.append(['coalesce(count_if(' ~ column_name ~ ' is null), 0)', column_name ~ ' is null in {} rows']) -%}
        {%- endfor -%}
        {#- as in SQL (and DuckDB), rows with a null in the key do not count against uniqueness -#}
        {%- for key in unique -%}
            {%- set keyed = 'case when ' ~ key | join(' is not null and ') ~ ' is not null then '
                ~ oe_platform.row_value(key) ~ ' end' -%}
            {%- do checks.append(['count(' ~ keyed ~ ') - count(distinct ' ~ keyed ~ ')',
                                  '(' ~ key | join(', ') ~ ') is not unique: {} duplicate rows']) -%}
        {%- endfor -%}
        {%- set counts -%}
            select
            {%- for check in checks %}
                {{ check[0] }}{{ "," if not loop.last }}
            {%- endfor %}
            from {{ relation }}
        {%- endset -%}
        {%- set row = run_query(counts).rows[0] -%}
        {%- set failing = [] -%}
        {%- for check in checks -%}
            {%- if (row[loop.index0] or 0) > 0 -%}
                {%- do failing.append(check[1].replace('{}', row[loop.index0] | string)) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- if failing -%}
            {%- do exceptions.raise_compiler_error(
                'Contract constraint violated in ' ~ relation ~ ': ' ~ failing | join('; ')
                ~ '. Fix the model so that its rows meet the contract, or change the contract.') -%}
        {%- endif -%}
    {%- endif -%}
{% endmacro %}

{#- One value made of several columns, comparable and countable as a whole: a row on DuckDB, a struct
    on Spark (where row() does not exist; DuckDB has no struct() function). One column is itself. -#}
{% macro row_value(columns) %}
    {{- return(adapter.dispatch('row_value', 'oe_platform')(columns)) -}}
{% endmacro %}

{% macro default__row_value(columns) -%}
    {{ columns[0] if columns | length == 1 else 'row(' ~ columns | join(', ') ~ ')' }}
{%- endmacro %}

{% macro spark__row_value(columns) -%}
    {{ columns[0] if columns | length == 1 else 'struct(' ~ columns | join(', ') ~ ')' }}
{%- endmacro %}
