-- One row per bronze NRM referral row (staged rows = bronze rows): a referral of one potential
-- victim, with the referring force checked against the seed forces, the exploitation types
-- (stg_nrm__referral_exploitation_types, one boolean per NRM type through the seed
-- exploitation_types), Duty to Notify as a boolean, and the reasonable and conclusive grounds
-- decisions. The potential victim's attributes are staged by stg_nrm__potential_victims (same
-- rows, same keys). A referral delivered again at each decision supersedes the earlier version.
{{ incremental_staging_config(key=['force_code', 'referral_id']) }}
with

source as (

    {{ new_bronze_rows('nrm__referrals', ['_force_code', 'trim(referral_id)'], ['force_code', 'referral_id']) }}

),

forces as (

    select * from {{ ref('forces') }}

),

referral_types as (

    select * from {{ ref('stg_nrm__referral_exploitation_types') }}

),

types_by_row as (

    select
        _file_id,
        _row_number,
        count(*) as exploitation_type_count,
        sum(case when exploitation_type_status = 'unmapped' then 1 else 0 end) as unmapped_exploitation_type_count,
        max(case when nrm_exploitation_type = 'labour' then 1 else 0 end) = 1 as is_labour_exploitation,
        max(case when nrm_exploitation_type = 'sexual' then 1 else 0 end) = 1 as is_sexual_exploitation,
        max(case when nrm_exploitation_type = 'criminal' then 1 else 0 end) = 1 as is_criminal_exploitation,
        max(case when nrm_exploitation_type = 'domestic_servitude' then 1 else 0 end) = 1 as is_domestic_servitude,
        max(case when nrm_exploitation_type = 'organ_harvesting' then 1 else 0 end) = 1 as is_organ_harvesting,
        max(case when nrm_exploitation_type = 'unknown' then 1 else 0 end) = 1 as is_exploitation_type_unknown

    from referral_types
    group by _file_id, _row_number

),

delivered as (

    select
        -- ids
        {{ oe_hash(["'nrm'", '_force_code', 'referral_id']) }} as nrm_referral_id,
        {{ oe_hash(["'nrm'", '_force_code', 'referral_id']) }} as person_record_id,
        trim(referral_id) as referral_id,
        trim(pv_id) as pv_id,
        _force_code as force_code,

        -- referral
        referral_date as referral_date_raw,
        {{ date_iso_text('referral_date', '_date_format') }} as referral_date_iso_text,
        trim(first_responder_org) as first_responder_org,
        first_responder_type as first_responder_type_raw,
        lower({{ code_key('first_responder_type') }}) as first_responder_type,
        referring_force as referring_force_raw,
        {{ code_key('referring_force') }} as referring_force_key,
        age_group as age_group_raw,
        lower({{ code_key('age_group') }}) as age_group,
        duty_to_notify as duty_to_notify_raw,
        {{ normalise_yes_no('duty_to_notify') }} as is_duty_to_notify,
        {{ yes_no_status('duty_to_notify') }} as duty_to_notify_status,

        -- exploitation
        exploitation_type as exploitation_type_raw,
        exploitation_location as exploitation_location_raw,
        lower({{ code_key('exploitation_location') }}) as exploitation_location,
        exploitation_postcode as exploitation_postcode_raw,
        {{ normalise_postcode('exploitation_postcode') }} as exploitation_postcode,
        {{ postcode_status('exploitation_postcode') }} as exploitation_postcode_status,

        -- decisions
        reasonable_grounds_decision as reasonable_grounds_decision_raw,
        lower({{ code_key('reasonable_grounds_decision') }}) as reasonable_grounds_decision,
        reasonable_grounds_date as reasonable_grounds_date_raw,
        {{ date_iso_text('reasonable_grounds_date', '_date_format') }} as reasonable_grounds_date_iso_text,
        conclusive_grounds_decision as conclusive_grounds_decision_raw,
        lower({{ code_key('conclusive_grounds_decision') }}) as conclusive_grounds_decision,
        conclusive_grounds_date as conclusive_grounds_date_raw,
        {{ date_iso_text('conclusive_grounds_date', '_date_format') }} as conclusive_grounds_date_iso_text,

        -- status
        coalesce(upper(trim(record_action)), 'I') = 'D' as is_deleted_at_source,

        -- lineage
        _file_id,
        _row_number,
        _delivery_date,
        _layout,
        _date_format,
        _loaded_at

    from source

),

typed as (

    select
        *,
        {{ normalise_date('referral_date_raw', '_date_format', iso_text='referral_date_iso_text') }} as referred_on,
        {{ date_status('referral_date_raw', '_date_format', iso_text='referral_date_iso_text') }}
            as referral_date_status,
        {{ normalise_date('reasonable_grounds_date_raw', '_date_format', iso_text='reasonable_grounds_date_iso_text') }}
            as reasonable_grounds_on,
        {{ date_status('reasonable_grounds_date_raw', '_date_format', iso_text='reasonable_grounds_date_iso_text') }}
            as reasonable_grounds_date_status,
        {{ normalise_date('conclusive_grounds_date_raw', '_date_format', iso_text='conclusive_grounds_date_iso_text') }}
            as conclusive_grounds_on,
        {{ date_status('conclusive_grounds_date_raw', '_date_format', iso_text='conclusive_grounds_date_iso_text') }}
            as conclusive_grounds_date_status

    from delivered

),

joined as (

    select
        typed.*,
        forces.force_code as referring_force,
        coalesce(types_by_row.exploitation_type_count, 0) as exploitation_type_count,
        coalesce(types_by_row.unmapped_exploitation_type_count, 0) as unmapped_exploitation_type_count,
        coalesce(types_by_row.is_labour_exploitation, false) as is_labour_exploitation,
        coalesce(types_by_row.is_sexual_exploitation, false) as is_sexual_exploitation,
        coalesce(types_by_row.is_criminal_exploitation, false) as is_criminal_exploitation,
        coalesce(types_by_row.is_domestic_servitude, false) as is_domestic_servitude,
        coalesce(types_by_row.is_organ_harvesting, false) as is_organ_harvesting,
        coalesce(types_by_row.is_exploitation_type_unknown, false) as is_exploitation_type_unknown

    from typed
    left join forces
        on typed.referring_force_key = {{ code_key('forces.force_code') }}
    left join types_by_row
        on
            typed._file_id = types_by_row._file_id
            and typed._row_number = types_by_row._row_number

),

versioned as (

    select
        *,
        row_number() over (
            partition by force_code, referral_id
            order by _delivery_date desc, _loaded_at desc, _file_id desc, _row_number desc
        ) = 1 as is_latest_version

    from joined

)

select
    -- ids
    nrm_referral_id,
    person_record_id,
    referral_id,
    pv_id,
    force_code,

    -- referral
    referral_date_raw,
    referred_on,
    referral_date_status,
    first_responder_org,
    first_responder_type_raw,
    first_responder_type,
    referring_force_raw,
    referring_force,
    {{ code_status('referring_force_key', 'referring_force') }} as referring_force_status,
    age_group_raw,
    age_group,
    duty_to_notify_raw,
    is_duty_to_notify,
    duty_to_notify_status,

    -- exploitation
    exploitation_type_raw,
    exploitation_type_count,
    case
        when exploitation_type_count = 0 then 'missing'
        when unmapped_exploitation_type_count = 0 then 'mapped'
        when unmapped_exploitation_type_count = exploitation_type_count then 'unmapped'
        else 'partly_unmapped'
    end as exploitation_type_status,
    is_labour_exploitation,
    is_sexual_exploitation,
    is_criminal_exploitation,
    is_domestic_servitude,
    is_organ_harvesting,
    is_exploitation_type_unknown,
    exploitation_location_raw,
    exploitation_location,
    exploitation_postcode_raw,
    exploitation_postcode,
    exploitation_postcode_status,

    -- decisions
    reasonable_grounds_decision_raw,
    reasonable_grounds_decision,
    reasonable_grounds_date_raw,
    reasonable_grounds_on,
    reasonable_grounds_date_status,
    conclusive_grounds_decision_raw,
    conclusive_grounds_decision,
    conclusive_grounds_date_raw,
    conclusive_grounds_on,
    conclusive_grounds_date_status,

    -- versions
    is_deleted_at_source,
    is_latest_version,
    is_latest_version and not is_deleted_at_source as is_current,

    -- lineage
    _file_id,
    _row_number,
    _delivery_date,
    _layout,
    _date_format

from versioned
