-- The linkage input: one row per current person record of every staged person source, with the
-- matching attributes standardised and only trusted values kept (a value whose status is not valid
-- is null here, so placeholders such as UNKNOWN never agree with each other). Person resolution
-- (oe_platform/linkage, Splink) reads this table and writes <lake>/linkage/clusters.parquet.
--
-- Crime persons (current through their crime's current version), then every other staged person
-- model's current records: intelligence subjects, custody detainees, missing persons, OCG Mapping
-- and CLICM nominals, NRM potential victims and alleged exploiters, OSINT subjects and partners'
-- canonical persons. The macro linkage_person_record_columns selects the standard columns from
-- each, with a typed null where a source does not hold an attribute.
with

crime_persons as (

    select * from {{ ref('stg_crime__persons') }}

),

crimes as (

    select * from {{ ref('stg_crime__crimes') }}

),

-- the persons of each crime's current version (a crime delivered again restates all its people;
-- a deleted crime has none)
current_crime_persons as (

    select
        crime_persons.*,
        row_number() over (
            partition by crime_persons.person_record_id
            order by crime_persons._file_id desc, crime_persons._row_number desc
        ) as version_rank

    from crime_persons
    inner join crimes
        on
            crime_persons.force_code = crimes.force_code
            and crime_persons.crime_ref = crimes.crime_ref
            and crime_persons._delivery_date = crimes._delivery_date
    where crimes.is_current

),

crime_records as (

    select
        -- ids
        person_record_id,
        'crime' as source_name,
        force_code,
        person_ref as record_ref,
        crime_ref as source_record_ref,

        -- names
        case when forename_status = 'valid' then forename end as forename_std,
        middle_names as middle_names_std,
        case when surname_status = 'valid' then surname end as surname_std,
        case when forename_status = 'valid' then forename_formal end as forename_formal,
        case when forename_status = 'valid' then forename_soundex end as forename_phonetic,
        case when surname_status = 'valid' then surname_soundex end as surname_phonetic,

        -- date of birth and sex
        cast(date_of_birth as date) as date_of_birth,
        sex_code,

        -- address
        case when postcode_status = 'valid' then postcode end as postcode_std,
        postcode_outward,
        postcode_sector,

        -- phone and identifiers
        case when phone_status = 'valid' then phone_e164 end as phone_e164,
        case when pnc_id_status = 'valid' then pnc_id end as pnc_id,
        case when cro_number_status = 'valid' then cro_number end as cro_number,
        cast(null as string) as nhs_number,

        -- other names (no crime layout carries them)
        cast(null as string) as aliases_std,
        address as address_std,

        -- lineage
        cast(_delivery_date as date) as delivered_on

    from current_crime_persons
    where version_rank = 1

),

{% set other_person_models = [
    ('stg_intel__subjects', 'intel'),
    ('stg_custody__detainees', 'custody'),
    ('stg_missing__missing_persons', 'missing'),
    ('stg_ocgm__nominals', 'ocgm'),
    ('stg_clicm__nominals', 'clicm'),
    ('stg_nrm__potential_victims', 'nrm'),
    ('stg_nrm__alleged_exploiters', 'nrm'),
    ('stg_osint__subjects', 'osint'),
    ('stg_canonical__persons', 'canonical'),
] %}

unioned as (

    select * from crime_records
    {% for model_name, source_name in other_person_models %}
        union all
        select
            {{ linkage_person_record_columns(model_name, source_name) }}
        from {{ ref(model_name) }}
        where is_current
    {% endfor %}

)

select
    -- ids
    person_record_id,
    source_name,
    force_code,
    record_ref,
    source_record_ref,

    -- names
    forename_std,
    middle_names_std,
    surname_std,
    forename_formal,
    forename_phonetic,
    surname_phonetic,

    -- date of birth and sex
    date_of_birth,
    sex_code,

    -- address
    postcode_std,
    postcode_outward,
    postcode_sector,

    -- phone and identifiers
    phone_e164,
    pnc_id,
    cro_number,
    nhs_number,

    -- other names and the address line
    aliases_std,
    address_std,

    -- lineage
    delivered_on

from unioned
