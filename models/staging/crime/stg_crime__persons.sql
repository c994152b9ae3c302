-- One row per bronze crime person row (staged rows = bronze rows). Names, date of birth, postcode,
-- phone and identifiers are normalised by the macros in macros/normalise; each value as delivered is
-- kept beside its normalised form with a status saying whether it can be trusted. Role, sex and
-- ethnicity are mapped to the national code sets of the reference seeds; nicknames to formal names.
{{ incremental_staging_config() }}
with

source as (

    {{ new_bronze_rows('crime__persons') }}

),

person_roles as (

    select * from {{ ref('person_roles') }}

),

sex_codes as (

    select * from {{ ref('sex_codes') }}

),

ethnicity_codes as (

    select * from {{ ref('ethnicity_codes') }}

),

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

normalised as (

    select
        -- ids
        {{ oe_hash(["'crime'", '_force_code', 'crime_ref', 'person_ref']) }} as person_record_id,
        crime_ref,
        person_ref,
        _force_code as force_code,

        -- role
        role as role_raw,
        {{ code_key('role') }} as role_key,

        -- names
        forename as forename_raw,
        middle_names as middle_names_raw,
        surname as surname_raw,
        {{ normalise_name('forename') }} as forename,
        {{ normalise_name('middle_names') }} as middle_names,
        {{ normalise_name('surname') }} as surname,

        -- date of birth
        date_of_birth as date_of_birth_raw,
        {{ date_iso_text('date_of_birth', '_date_format') }} as date_of_birth_iso_text,

        -- sex and ethnicity
        sex as sex_raw,
        {{ code_key('sex') }} as sex_key,
        ethnicity as ethnicity_raw,
        {{ code_key('ethnicity') }} as ethnicity_key,

        -- address
        address as address_raw,
        {{ normalise_text('address') }} as address,
        postcode as postcode_raw,
        {{ normalise_postcode('postcode') }} as postcode,

        -- phone
        phone as phone_raw,
        {{ phone_digits('phone') }} as phone_digits,

        -- identifiers
        pnc_id as pnc_id_raw,
        {{ normalise_pnc_id('pnc_id') }} as pnc_id,
        cro_number as cro_number_raw,
        {{ normalise_cro_number('cro_number') }} as cro_number,

        -- lineage
        _file_id,
        _row_number,
        _force_code,
        _delivery_date,
        _layout,
        _date_format

    from source

),

validated as (

    select
        *,
        -- names
        {{ name_status('forename_raw', normalised='forename', given_name=true) }} as forename_status,
        {{ name_status('surname_raw', normalised='surname') }} as surname_status,

        -- date of birth
        {{ normalise_date('date_of_birth_raw', '_date_format', iso_text='date_of_birth_iso_text') }}
            as date_of_birth_parsed,
        {{ date_status('date_of_birth_raw', '_date_format', iso_text='date_of_birth_iso_text') }}
            as date_of_birth_status,

        -- address
        {{ postcode_status('postcode_raw', normalised='postcode') }} as postcode_status,
        {{ postcode_outward('postcode_raw', normalised='postcode') }} as postcode_outward,
        {{ postcode_sector('postcode_raw', normalised='postcode') }} as postcode_sector,
        {{ postcode_area('postcode_raw', normalised='postcode') }} as postcode_area,

        -- phone
        {{ normalise_phone('phone_raw', digits='phone_digits') }} as phone_e164,
        {{ phone_type('phone_raw', digits='phone_digits') }} as phone_type,
        {{ phone_status('phone_raw', digits='phone_digits') }} as phone_status,

        -- identifiers
        {{ pnc_id_status('pnc_id_raw', normalised='pnc_id') }} as pnc_id_status,
        {{ cro_number_status('cro_number_raw', normalised='cro_number') }} as cro_number_status

    from normalised

),

mapped as (

    select
        validated.*,
        person_roles.role,
        sex_codes.sex_code,
        ethnicity_codes.ethnicity_code,
        ethnicity_codes.code_system as ethnicity_code_system,
        ethnicity_codes.broad_group as ethnicity_broad_group,
        nickname_lookup.nickname is not null as is_forename_nickname,
        coalesce(nickname_lookup.formal_name, {{ name_first_word('validated.forename') }}) as forename_formal

    from validated
    left join person_roles
        on validated.role_key = person_roles.local_code
    left join sex_codes
        on validated.sex_key = sex_codes.local_code
    left join ethnicity_codes
        on validated.ethnicity_key = ethnicity_codes.local_code
    left join nickname_lookup
        on {{ name_first_word('validated.forename') }} = nickname_lookup.nickname

)

select
    -- ids
    person_record_id,
    crime_ref,
    person_ref,
    force_code,

    -- role
    role_raw,
    role,
    case
        when role_key is null then 'missing'
        when role is null then 'unmapped'
        else 'mapped'
    end as role_status,

    -- names
    forename_raw,
    middle_names_raw,
    surname_raw,
    forename,
    middle_names,
    surname,
    forename_status,
    surname_status,
    forename_formal,
    is_forename_nickname,
    {{ name_compact('surname') }} as surname_compact,
    {{ soundex('forename_formal') }} as forename_soundex,
    {{ soundex('surname') }} as surname_soundex,

    -- date of birth
    date_of_birth_raw,
    case when date_of_birth_status = 'valid' then date_of_birth_parsed end as date_of_birth,
    date_of_birth_parsed,
    date_of_birth_status,

    -- sex and ethnicity
    sex_raw,
    sex_code,
    case
        when sex_key is null then 'missing'
        when sex_code is null then 'unmapped'
        else 'mapped'
    end as sex_status,
    ethnicity_raw,
    ethnicity_code,
    ethnicity_code_system,
    ethnicity_broad_group,
    case
        when ethnicity_key is null then 'missing'
        when ethnicity_code is null then 'unmapped'
        else 'mapped'
    end as ethnicity_status,

    -- address
    address_raw,
    address,
    postcode_raw,
    postcode,
    postcode_status,
    postcode_outward,
    postcode_sector,
    postcode_area,

    -- phone
    phone_raw,
    phone_e164,
    phone_type,
    phone_status,

    -- identifiers
    pnc_id_raw,
    pnc_id,
    pnc_id_status,
    cro_number_raw,
    cro_number,
    cro_number_status,

    -- lineage
    _file_id,
    _row_number,
    _force_code,
    _delivery_date,
    _layout,
    _date_format

from mapped
