{#- The person attributes of every person staging model, with stg_crime__persons' output names,
    rules and statuses, so linkage unions them column for column (docs/staging.md).

    A person model selects its delivered person values as <attribute>_raw (canonical contract
    names: forename_raw, date_of_birth_raw, …), plus role_raw when it has a role, and the lineage
    columns _layout and _date_format, in one CTE; person_attribute_ctes(that_cte, …) then adds the
    CTEs person_normalised -> person_validated -> person_mapped (the stg_crime__persons chain), and
    person_attribute_columns(…) lists the output columns in stg_crime__persons' order.

    attributes: any of forename, middle_names, surname, date_of_birth, sex, ethnicity, address,
    postcode, phone, pnc_id, cro_number, nhs_number, email, nationality, aliases.
    code_source: the contract whose layout code sets map role and sex (macro layout_code);
    role_column: the contract column holding the role (role_raw; its layout codes give source_role);
    implied_role: for entities without a role column, the role every row has (detainee,
    missing_person…): role_raw is then null and source_role this code. The national role is
    source_role (else role_raw) looked up in the seed person_roles, as in stg_crime__persons. -#}

{% macro person_attribute_ctes(from_cte, attributes, code_source, has_role=true, role_column=none, implied_role=none) -%}
{%- set has = attributes -%}
{%- if has_role %}
person_roles as (

    select * from {{ ref('person_roles') }}

),
{% endif -%}
{%- if 'sex' in has %}
sex_codes as (

    select * from {{ ref('sex_codes') }}

),
{% endif -%}
{%- if 'ethnicity' in has %}
ethnicity_codes as (

    select * from {{ ref('ethnicity_codes') }}

),
{% endif -%}
{%- if 'forename' in has %}
nicknames as (

    select * from {{ ref('nicknames') }}

),

-- a nickname with several formal names (alex: alexander, alexandra) maps to none of them
nickname_lookup as (

    select
        upper(trim(nickname)) as nickname,
        case
            when count(distinct upper(trim(formal_name))) = 1 then min(upper(trim(formal_name)))
        end as formal_name

    from nicknames
    group by upper(trim(nickname))

),
{% endif %}
{%- set normalised = [from_cte ~ '.*'] -%}
{%- if has_role -%}
    {%- if role_column -%}
        {%- do normalised.append(national_code(code_source, role_column, code_key('role_raw')) ~ ' as source_role') -%}
    {%- elif implied_role -%}
        {%- do normalised.append(sql_string_literal(implied_role) ~ ' as source_role') -%}
    {%- else -%}
        {%- do normalised.append('cast(null as ' ~ dbt.type_string() ~ ') as source_role') -%}
    {%- endif -%}
{%- endif -%}
{%- for name in ['forename', 'middle_names', 'surname'] if name in has -%}
    {%- do normalised.append(normalise_name(name ~ '_raw') ~ ' as ' ~ name) -%}
{%- endfor -%}
{%- if 'date_of_birth' in has -%}
    {%- do normalised.append(date_iso_text('date_of_birth_raw', '_date_format') ~ ' as date_of_birth_iso_text') -%}
{%- endif -%}
{%- if 'sex' in has -%}{%- do normalised.append(code_key('sex_raw') ~ ' as sex_key') -%}{%- endif -%}
{%- if 'ethnicity' in has -%}{%- do normalised.append(code_key('ethnicity_raw') ~ ' as ethnicity_key') -%}{%- endif -%}
{%- if 'address' in has -%}{%- do normalised.append(normalise_text('address_raw') ~ ' as address') -%}{%- endif -%}
{%- if 'postcode' in has -%}{%- do normalised.append(normalise_postcode('postcode_raw') ~ ' as postcode') -%}{%- endif -%}
{%- if 'phone' in has -%}{%- do normalised.append(phone_digits('phone_raw') ~ ' as phone_digits') -%}{%- endif -%}
{%- if 'pnc_id' in has -%}{%- do normalised.append(normalise_pnc_id('pnc_id_raw') ~ ' as pnc_id') -%}{%- endif -%}
{%- if 'cro_number' in has -%}
    {%- do normalised.append(normalise_cro_number('cro_number_raw') ~ ' as cro_number') -%}
{%- endif -%}
{%- if 'nhs_number' in has -%}
    {%- do normalised.append(normalise_nhs_number('nhs_number_raw') ~ ' as nhs_number') -%}
{%- endif -%}
{%- if 'email' in has -%}{%- do normalised.append("nullif(lower(trim(email_raw)), '') as email") -%}{%- endif -%}
{%- if 'nationality' in has -%}
    {%- do normalised.append(normalise_text('nationality_raw') ~ ' as nationality') -%}
{%- endif -%}
{%- if 'aliases' in has -%}{%- do normalised.append(normalise_aliases('aliases_raw') ~ ' as aliases') -%}{%- endif -%}

{%- set validated = ['*'] -%}
{%- if has_role -%}
    {%- do validated.append(code_key('coalesce(source_role, role_raw)') ~ ' as role_key') -%}
{%- endif -%}
{%- if 'forename' in has -%}
    {%- do validated.append(name_status('forename_raw', normalised='forename', given_name=true) ~ ' as forename_status') -%}
{%- endif -%}
{%- if 'surname' in has -%}
    {%- do validated.append(name_status('surname_raw', normalised='surname') ~ ' as surname_status') -%}
{%- endif -%}
{%- if 'date_of_birth' in has -%}
    {%- do validated.append(normalise_date('date_of_birth_raw', '_date_format', iso_text='date_of_birth_iso_text')
        ~ ' as date_of_birth_parsed') -%}
    {%- do validated.append(date_status('date_of_birth_raw', '_date_format', iso_text='date_of_birth_iso_text')
        ~ ' as date_of_birth_status') -%}
{%- endif -%}
{%- if 'sex' in has -%}
    {%- do validated.append(layout_code(code_source, 'sex', 'sex_key') ~ ' as sex_layout_code') -%}
{%- endif -%}
{%- if 'postcode' in has -%}
    {%- do validated.append(postcode_status('postcode_raw', normalised='postcode') ~ ' as postcode_status') -%}
    {%- do validated.append(postcode_outward('postcode_raw', normalised='postcode') ~ ' as postcode_outward') -%}
    {%- do validated.append(postcode_sector('postcode_raw', normalised='postcode') ~ ' as postcode_sector') -%}
    {%- do validated.append(postcode_area('postcode_raw', normalised='postcode') ~ ' as postcode_area') -%}
{%- endif -%}
{%- if 'phone' in has -%}
    {%- do validated.append(normalise_phone('phone_raw', digits='phone_digits') ~ ' as phone_e164') -%}
    {%- do validated.append(phone_type('phone_raw', digits='phone_digits') ~ ' as phone_type') -%}
    {%- do validated.append(phone_status('phone_raw', digits='phone_digits') ~ ' as phone_status') -%}
{%- endif -%}
{%- if 'pnc_id' in has -%}
    {%- do validated.append(pnc_id_status('pnc_id_raw', normalised='pnc_id') ~ ' as pnc_id_status') -%}
{%- endif -%}
{%- if 'cro_number' in has -%}
    {%- do validated.append(cro_number_status('cro_number_raw', normalised='cro_number') ~ ' as cro_number_status') -%}
{%- endif -%}
{%- if 'nhs_number' in has -%}
    {%- do validated.append(nhs_number_status('nhs_number_raw', normalised='nhs_number') ~ ' as nhs_number_status') -%}
{%- endif -%}
{%- if 'email' in has -%}
    {%- do validated.append("case when email is null then 'missing' when " ~ regex_matches('email', email_pattern())
        ~ " then 'valid' else 'invalid_format' end as email_status") -%}
{%- endif -%}

{%- set mapped = ['person_validated.*'] -%}
{%- if has_role -%}{%- do mapped.append('person_roles.role') -%}{%- endif -%}
{%- if 'sex' in has -%}
    {%- do mapped.append('coalesce(person_validated.sex_layout_code, sex_codes.sex_code) as sex_code') -%}
{%- endif -%}
{%- if 'ethnicity' in has -%}
    {%- do mapped.append('ethnicity_codes.ethnicity_code') -%}
    {%- do mapped.append('ethnicity_codes.code_system as ethnicity_code_system') -%}
    {%- do mapped.append('ethnicity_codes.broad_group as ethnicity_broad_group') -%}
{%- endif -%}
{%- if 'forename' in has -%}
    {%- do mapped.append('nickname_lookup.nickname is not null as is_forename_nickname') -%}
    {%- do mapped.append('coalesce(nickname_lookup.formal_name, ' ~ name_first_word('person_validated.forename')
        ~ ') as forename_formal') -%}
{%- endif %}
person_normalised as (

    select
        {{ normalised | join(',\n        ') }}

    from {{ from_cte }}

),

person_validated as (

    select
        {{ validated | join(',\n        ') }}

    from person_normalised

),

person_mapped as (

    select
        {{ mapped | join(',\n        ') }}

    from person_validated
    {%- if has_role %}
    left join person_roles
        on person_validated.role_key = person_roles.local_code
    {%- endif %}
    {%- if 'sex' in has %}
    left join sex_codes
        on person_validated.sex_key = sex_codes.local_code
    {%- endif %}
    {%- if 'ethnicity' in has %}
    left join ethnicity_codes
        on person_validated.ethnicity_key = ethnicity_codes.local_code
    {%- endif %}
    {%- if 'forename' in has %}
    left join nickname_lookup
        on {{ name_first_word('person_validated.forename') }} = nickname_lookup.nickname
    {%- endif %}

)
{%- endmacro %}

{#- The person output columns in stg_crime__persons' order (after the ids), for the attributes given. -#}
{% macro person_attribute_columns(attributes, has_role=true) -%}
{%- set has = attributes -%}
{%- if has_role %}
    -- role
    role_raw,
    source_role,
    role,
    case
        when role_key is null then 'missing'
        when role is null then 'unmapped'
        else 'mapped'
    end as role_status,
{%- endif %}

    -- names
    {%- for name in ['forename', 'middle_names', 'surname'] if name in has %}
    {{ name }}_raw,
    {%- endfor %}
    {%- for name in ['forename', 'middle_names', 'surname'] if name in has %}
    {{ name }},
    {%- endfor %}
    {%- if 'forename' in has %}
    forename_status,
    {%- endif %}
    {%- if 'surname' in has %}
    surname_status,
    {%- endif %}
    {%- if 'forename' in has %}
    forename_formal,
    is_forename_nickname,
    {%- endif %}
    {%- if 'surname' in has %}
    {{ name_compact('surname') }} as surname_compact,
    {%- endif %}
    {%- if 'forename' in has %}
    {{ soundex('forename_formal') }} as forename_soundex,
    {%- endif %}
    {%- if 'surname' in has %}
    {{ soundex('surname') }} as surname_soundex,
    {%- endif %}
    {%- if 'aliases' in has %}
    aliases_raw,
    aliases,
    {%- endif %}
{%- if 'date_of_birth' in has %}

    -- date of birth
    date_of_birth_raw,
    case when date_of_birth_status = 'valid' then date_of_birth_parsed end as date_of_birth,
    date_of_birth_parsed,
    date_of_birth_status,
{%- endif %}
{%- if 'sex' in has or 'ethnicity' in has or 'nationality' in has %}

    -- sex, ethnicity and nationality
    {%- if 'sex' in has %}
    sex_raw,
    sex_code,
    case
        when sex_key is null then 'missing'
        when sex_code is null then 'unmapped'
        else 'mapped'
    end as sex_status,
    {%- endif %}
    {%- if 'ethnicity' in has %}
    ethnicity_raw,
    ethnicity_code,
    ethnicity_code_system,
    ethnicity_broad_group,
    case
        when ethnicity_key is null then 'missing'
        when ethnicity_code is null then 'unmapped'
        else 'mapped'
    end as ethnicity_status,
    {%- endif %}
    {%- if 'nationality' in has %}
    nationality_raw,
    nationality,
    {%- endif %}
{%- endif %}
{%- if 'address' in has or 'postcode' in has %}

    -- address
    {%- if 'address' in has %}
    address_raw,
    address,
    {%- endif %}
    {%- if 'postcode' in has %}
    postcode_raw,
    postcode,
    postcode_status,
    postcode_outward,
    postcode_sector,
    postcode_area,
    {%- endif %}
{%- endif %}
{%- if 'phone' in has or 'email' in has %}

    -- phone and email
    {%- if 'phone' in has %}
    phone_raw,
    phone_e164,
    phone_type,
    phone_status,
    {%- endif %}
    {%- if 'email' in has %}
    email_raw,
    email,
    email_status,
    {%- endif %}
{%- endif %}
{%- if 'pnc_id' in has or 'cro_number' in has or 'nhs_number' in has %}

    -- identifiers
    {%- for name in ['pnc_id', 'cro_number', 'nhs_number'] if name in has %}
    {{ name }}_raw,
    {{ name }},
    {{ name }}_status,
    {%- endfor %}
{%- endif %}
{%- endmacro %}

{#- Other names delivered as one text, semicolon-separated: each name upper-cased ASCII with
    punctuation as single spaces, names joined by ';' (no empty names); null when none is left. -#}
{% macro normalise_aliases(value) -%}
    {%- set upper_ascii = 'upper(' ~ strip_accents(value) ~ ')' -%}
    {%- set words = regex_replace(regex_replace(upper_ascii, "['`´‘’]", ''), '[^A-Z;]+', ' ') -%}
    {%- set tidy = regex_replace(regex_replace(words, ' *; *', ';'), ';;+', ';') -%}
    nullif({{ regex_replace('trim(' ~ tidy ~ ')', '^;+|;+$', '') }}, '')
{%- endmacro %}

{#- A deliberately loose e-mail shape: something@something.tld without spaces. -#}
{% macro email_pattern() -%}
    {{ return('^[^@ ]+@[^@ ]+[.][^@ ]+$') }}
{%- endmacro %}
