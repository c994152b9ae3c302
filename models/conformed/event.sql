-- One event per current source record: crime reports, intelligence logs, custody records, missing
-- episodes, NRM referrals, OSINT observations and partner (canonical) events. Each source keeps
-- its own surrogate key; staging decided which version is current and what was deleted at source.
with

crimes as (

    select * from {{ ref('stg_crime__crimes') }}
    where is_current

),

intel_logs as (

    select * from {{ ref('stg_intel__logs') }}
    where is_current

),

custody_records as (

    select * from {{ ref('stg_custody__custody_records') }}
    where is_current

),

missing_episodes as (

    select * from {{ ref('stg_missing__episodes') }}
    where is_current

),

nrm_referrals as (

    select * from {{ ref('stg_nrm__referrals') }}
    where is_current

),

osint_observations as (

    select * from {{ ref('stg_osint__observations') }}
    where is_current

),

partner_events as (

    select * from {{ ref('stg_canonical__events') }}
    where is_current

),

offence_classes as (

    select * from {{ ref('home_office_offence_classes') }}

),

unioned as (

    select
        crime_id as event_id,
        'crime' as event_type,
        'crime' as source_name,
        force_code,
        crime_ref as source_record_ref,
        occurred_from as occurred_on,
        occurred_to as occurred_until,
        recorded_on,
        home_office_code as offence_code,
        offence_description as source_offence_description,
        location_postcode,
        cast(null as string) as intel_grading,
        crime_status as event_status
    from crimes

    union all

    select
        log_id as event_id,
        'intel' as event_type,
        'intel' as source_name,
        force_code,
        log_ref as source_record_ref,
        submitted_on as occurred_on,
        cast(null as date) as occurred_until,
        submitted_on as recorded_on,
        cast(null as string) as offence_code,
        cast(null as string) as source_offence_description,
        location_postcode,
        grading_3x5x2 as intel_grading,
        topic as event_status
    from intel_logs

    union all

    select
        custody_record_id as event_id,
        'custody' as event_type,
        'custody' as source_name,
        force_code,
        custody_ref as source_record_ref,
        coalesce(arrested_on, cast(arrived_at as date)) as occurred_on,
        cast(null as date) as occurred_until,
        cast(arrived_at as date) as recorded_on,
        home_office_code as offence_code,
        arrest_offence_description as source_offence_description,
        arrest_location_postcode as location_postcode,
        cast(null as string) as intel_grading,
        outcome as event_status
    from custody_records

    union all

    select
        episode_id as event_id,
        'missing' as event_type,
        'missing' as source_name,
        force_code,
        episode_ref as source_record_ref,
        cast(coalesce(last_seen_at, reported_at) as date) as occurred_on,
        cast(found_at as date) as occurred_until,
        cast(reported_at as date) as recorded_on,
        cast(null as string) as offence_code,
        cast(null as string) as source_offence_description,
        last_seen_postcode as location_postcode,
        cast(null as string) as intel_grading,
        episode_status as event_status
    from missing_episodes

    union all

    select
        nrm_referral_id as event_id,
        'nrm_referral' as event_type,
        'nrm' as source_name,
        force_code,
        referral_id as source_record_ref,
        referred_on as occurred_on,
        coalesce(conclusive_grounds_on, reasonable_grounds_on) as occurred_until,
        referred_on as recorded_on,
        cast(null as string) as offence_code,
        cast(null as string) as source_offence_description,
        exploitation_postcode as location_postcode,
        cast(null as string) as intel_grading,
        coalesce(conclusive_grounds_decision, reasonable_grounds_decision) as event_status
    from nrm_referrals

    union all

    select
        osint_observation_id as event_id,
        'osint_observation' as event_type,
        'osint' as source_name,
        force_code,
        observation_id as source_record_ref,
        cast(observed_at as date) as occurred_on,
        cast(null as date) as occurred_until,
        cast(observed_at as date) as recorded_on,
        cast(null as string) as offence_code,
        cast(null as string) as source_offence_description,
        cast(null as string) as location_postcode,
        cast(null as string) as intel_grading,
        platform as event_status
    from osint_observations

    union all

    -- a partner event delivered without a type, or with one outside the canonical vocabulary, is
    -- kept (its people and place still count) with the explicit type unknown; staging reports it in
    -- stg_data_quality__issues
    select
        canonical_event_id as event_id,
        coalesce(event_type, 'unknown') as event_type,
        'canonical' as source_name,
        coalesce(event_force, force_code) as force_code,
        event_id as source_record_ref,
        cast(occurred_at as date) as occurred_on,
        cast(null as date) as occurred_until,
        cast(occurred_at as date) as recorded_on,
        home_office_code as offence_code,
        description as source_offence_description,
        location_postcode,
        cast(null as string) as intel_grading,
        cast(null as string) as event_status
    from partner_events

),

final as (

    select
        unioned.event_id,
        unioned.event_type,
        unioned.source_name,
        unioned.force_code,
        unioned.source_record_ref,
        unioned.occurred_on,
        unioned.occurred_until,
        unioned.recorded_on,
        unioned.offence_code,
        coalesce(offence_classes.description, unioned.source_offence_description) as offence_description,
        offence_classes.offence_group,
        cast(offence_classes.harm_weight_days as double) as harm_weight_days,
        unioned.location_postcode,
        unioned.intel_grading,
        unioned.event_status

    from unioned
    left join offence_classes
        on unioned.offence_code = offence_classes.home_office_code

)

select * from final
