{#- Contract keys on DuckDB without indexes.

    DuckDB enforces a PRIMARY KEY or UNIQUE constraint with an ART index built while the rows are
    inserted. On the conformed tables and marts, whose keys are long strings, that index was most of
    what building them cost: mart_governance__retention_review at tier L (5.5 million rows) took
    32.9 s as dbt built it and 7.8 s without its two key indexes (docs/scale.md, "Contract keys").
    So on DuckDB the table is declared with its columns, types and not_null constraints (a key's
    columns are not null), and its unique and primary_key constraints are checked by one query
    (assert_constraints, the check the Spark target runs on Parquet tables) in a post-hook that runs
    inside the model's transaction, before it commits: a table that breaks its key fails the model,
    naming the key and the number of duplicate rows, and the transaction is rolled back, so the table
    the last good build left stays in place, as when DuckDB refused the rows. -#}

{% macro duckdb__get_table_columns_and_constraints() %}
    {%- set key_types = ('unique', 'primary_key') -%}
    {%- set key_columns = [] -%}
    {%- for constraint in model['constraints'] if constraint.type == 'primary_key' -%}
        {%- do key_columns.extend(constraint.columns or []) -%}
    {%- endfor -%}
    {%- set columns = {} -%}
    {%- for name, column in model['columns'].items() -%}
        {%- set kept = [] -%}
        {%- set types = [] -%}
        {%- for constraint in column.get('constraints', []) -%}
            {%- if constraint.type not in key_types -%}
                {%- do kept.append(constraint) -%}
                {%- do types.append(constraint.type) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- set is_key = name in key_columns or column.get('constraints', []) | selectattr('type', 'equalto', 'primary_key') | list -%}
        {%- if is_key and 'not_null' not in types -%}
            {%- do kept.append({'type': 'not_null'}) -%}
        {%- endif -%}
        {%- set declared = dict(column) -%}
        {%- do declared.update({'constraints': kept}) -%}
        {%- do columns.update({name: declared}) -%}
    {%- endfor -%}
    {%- set model_constraints = model['constraints'] | rejectattr('type', 'in', key_types) | list -%}
    {%- set raw_column_constraints = adapter.render_raw_columns_constraints(raw_columns=columns) -%}
    {%- set raw_model_constraints = adapter.render_raw_model_constraints(raw_constraints=model_constraints) -%}
    (
    {% for c in raw_column_constraints -%}
      {{ c }}{{ "," if not loop.last or raw_model_constraints }}
    {% endfor %}
    {% for c in raw_model_constraints -%}
        {{ c }}{{ "," if not loop.last }}
    {% endfor -%}
    )
{% endmacro %}

{#- The post-hook of every model (dbt_project.yml): on DuckDB, a model with an enforced contract has
    its keys checked; elsewhere nothing (Spark checks them in spark__persist_constraints). -#}
{% macro check_contract_keys() %}
    {{ return(adapter.dispatch('check_contract_keys', 'oe_platform')()) }}
{% endmacro %}

{% macro default__check_contract_keys() %}
{% endmacro %}

{% macro duckdb__check_contract_keys() %}
    {%- set contract_config = config.get('contract') -%}
    {%- if execute and contract_config and contract_config.enforced and model.resource_type == 'model' -%}
        {%- do oe_platform.assert_constraints(this, model.columns, model.constraints) -%}
    {%- endif -%}
{% endmacro %}
