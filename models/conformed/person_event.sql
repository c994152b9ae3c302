-- One row per person record, event and role: the people of every current event with their role in
-- it. Each person record is tied to its event through the staging keys event.sql reads (a person
-- record only belongs to the current version of its event), so event_id is exactly event.event_id;
-- person_id comes from person_source_record. The role is the national role staging mapped through
-- the seed person_roles, except in an NRM referral, where the named exploiter's role is the seed's
-- ALLEGED_EXPLOITER role (staging keeps the person's general role, suspect). A record whose role is
-- missing or unmapped keeps the row with role unknown (role_status says which). A person record
-- whose event was never delivered (an orphan intelligence subject, NRM exploiter or partner link)
-- belongs to no event and has no row here, nor has a partner link whose person was never delivered.
with

crimes as (

    select * from {{ ref('stg_crime__crimes') }}
    where is_current

),

crime_persons as (

    select * from {{ ref('stg_crime__persons') }}

),

intel_logs as (

    select * from {{ ref('stg_intel__logs') }}
    where is_current

),

intel_subjects as (

    select * from {{ ref('stg_intel__subjects') }}
    where is_current

),

custody_records as (

    select * from {{ ref('stg_custody__custody_records') }}
    where is_current

),

detainees as (

    select * from {{ ref('stg_custody__detainees') }}
    where is_current

),

missing_episodes as (

    select * from {{ ref('stg_missing__episodes') }}
    where is_current

),

missing_persons as (

    select * from {{ ref('stg_missing__missing_persons') }}
    where is_current

),

nrm_referrals as (

    select * from {{ ref('stg_nrm__referrals') }}
    where is_current

),

potential_victims as (

    select * from {{ ref('stg_nrm__potential_victims') }}
    where is_current

),

alleged_exploiters as (

    select * from {{ ref('stg_nrm__alleged_exploiters') }}
    where is_current

),

osint_observations as (

    select * from {{ ref('stg_osint__observations') }}
    where is_current

),

osint_subjects as (

    select * from {{ ref('stg_osint__subjects') }}
    where is_current

),

partner_events as (

    select * from {{ ref('stg_canonical__events') }}
    where is_current

),

partner_person_events as (

    select * from {{ ref('stg_canonical__person_events') }}
    where is_current

),

events as (

    select * from {{ ref('event') }}

),

person_records as (

    select * from {{ ref('person_source_record') }}

),

person_roles as (

    select * from {{ ref('person_roles') }}

),

-- every person record of a current event with its role as staged; event_role_code is a seed
-- person_roles code that overrides the staged role for the event (NRM exploiters only)
record_roles as (

    -- the persons delivered with each crime's current version (a crime delivered again restates
    -- all its people; a person may hold two roles in one crime)
    select
        crime_persons.person_record_id,
        crimes.crime_id as event_id,
        'crime' as source_name,
        crime_persons.force_code,
        crime_persons.role_raw as source_role,
        crime_persons.role as staged_role,
        crime_persons.role_status as staged_role_status,
        cast(null as {{ dbt.type_string() }}) as event_role_code
    from crime_persons
    inner join crimes
        on
            crime_persons.force_code = crimes.force_code
            and crime_persons.crime_ref = crimes.crime_ref
            and crime_persons._delivery_date = crimes._delivery_date

    union all

    select
        intel_subjects.person_record_id,
        intel_logs.log_id as event_id,
        'intel' as source_name,
        intel_subjects.force_code,
        coalesce(intel_subjects.source_role, intel_subjects.role_raw) as source_role,
        intel_subjects.role as staged_role,
        intel_subjects.role_status as staged_role_status,
        cast(null as {{ dbt.type_string() }}) as event_role_code
    from intel_subjects
    inner join intel_logs
        on
            intel_subjects.force_code = intel_logs.force_code
            and intel_subjects.log_ref = intel_logs.log_ref

    union all

    select
        detainees.person_record_id,
        custody_records.custody_record_id as event_id,
        'custody' as source_name,
        detainees.force_code,
        coalesce(detainees.source_role, detainees.role_raw) as source_role,
        detainees.role as staged_role,
        detainees.role_status as staged_role_status,
        cast(null as {{ dbt.type_string() }}) as event_role_code
    from detainees
    inner join custody_records
        on
            detainees.force_code = custody_records.force_code
            and detainees.custody_ref = custody_records.custody_ref

    union all

    select
        missing_persons.person_record_id,
        missing_episodes.episode_id as event_id,
        'missing' as source_name,
        missing_persons.force_code,
        coalesce(missing_persons.source_role, missing_persons.role_raw) as source_role,
        missing_persons.role as staged_role,
        missing_persons.role_status as staged_role_status,
        cast(null as {{ dbt.type_string() }}) as event_role_code
    from missing_persons
    inner join missing_episodes
        on
            missing_persons.force_code = missing_episodes.force_code
            and missing_persons.episode_ref = missing_episodes.episode_ref

    union all

    select
        potential_victims.person_record_id,
        nrm_referrals.nrm_referral_id as event_id,
        'nrm' as source_name,
        potential_victims.force_code,
        coalesce(potential_victims.source_role, potential_victims.role_raw) as source_role,
        potential_victims.role as staged_role,
        potential_victims.role_status as staged_role_status,
        cast(null as {{ dbt.type_string() }}) as event_role_code
    from potential_victims
    inner join nrm_referrals
        on
            potential_victims.force_code = nrm_referrals.force_code
            and potential_victims.referral_id = nrm_referrals.referral_id

    union all

    select
        alleged_exploiters.person_record_id,
        nrm_referrals.nrm_referral_id as event_id,
        'nrm' as source_name,
        alleged_exploiters.force_code,
        coalesce(alleged_exploiters.source_role, alleged_exploiters.role_raw) as source_role,
        alleged_exploiters.role as staged_role,
        alleged_exploiters.role_status as staged_role_status,
        'ALLEGED_EXPLOITER' as event_role_code
    from alleged_exploiters
    inner join nrm_referrals
        on
            alleged_exploiters.force_code = nrm_referrals.force_code
            and alleged_exploiters.referral_id = nrm_referrals.referral_id

    union all

    select
        osint_subjects.person_record_id,
        osint_observations.osint_observation_id as event_id,
        'osint' as source_name,
        osint_subjects.force_code,
        coalesce(osint_subjects.source_role, osint_subjects.role_raw) as source_role,
        osint_subjects.role as staged_role,
        osint_subjects.role_status as staged_role_status,
        cast(null as {{ dbt.type_string() }}) as event_role_code
    from osint_subjects
    inner join osint_observations
        on
            osint_subjects.force_code = osint_observations.force_code
            and osint_subjects.observation_id = osint_observations.observation_id

    union all

    -- a partner's link of one of its persons to one of its events (both by the partner's keys); a
    -- link naming a person or an event the partner never delivered is a dangling reference, left out
    -- here and reported by stg_data_quality__issues (rule orphan)
    select
        partner_person_events.person_record_id,
        partner_events.canonical_event_id as event_id,
        'canonical' as source_name,
        partner_person_events.force_code,
        partner_person_events.role_raw as source_role,
        partner_person_events.role as staged_role,
        partner_person_events.role_status as staged_role_status,
        cast(null as {{ dbt.type_string() }}) as event_role_code
    from partner_person_events
    inner join partner_events
        on partner_person_events.canonical_event_id = partner_events.canonical_event_id
    where partner_person_events.has_person_record

),

resolved as (

    select
        record_roles.person_record_id,
        record_roles.event_id,
        record_roles.source_name,
        record_roles.force_code,
        record_roles.source_role,
        coalesce(event_roles.role, record_roles.staged_role, 'unknown') as role,
        case
            when coalesce(event_roles.role, record_roles.staged_role) is not null then 'mapped'
            else coalesce(record_roles.staged_role_status, 'missing')
        end as role_status

    from record_roles
    left join person_roles as event_roles
        on record_roles.event_role_code = event_roles.local_code

),

-- one row per record, event and role: a role delivered twice (as VIC and as victim) is one row, which
-- keeps the first delivered code in sort order; source and force follow from the record
deduplicated as (

    select
        person_record_id,
        event_id,
        role,
        source_name,
        force_code,
        min(source_role) as source_role,
        min(role_status) as role_status

    from resolved
    group by person_record_id, event_id, role, source_name, force_code

),

final as (

    select
        {{ oe_hash(['deduplicated.person_record_id', 'deduplicated.event_id', 'deduplicated.role']) }}
            as person_event_id,
        person_records.person_id,
        deduplicated.person_record_id,
        deduplicated.event_id,
        events.event_type,
        deduplicated.role,
        deduplicated.source_role,
        deduplicated.role_status,
        deduplicated.source_name,
        deduplicated.force_code,
        {{ event_span_start('events') }} as first_seen_on,
        {{ event_span_end('events') }} as last_seen_on,
        events.intel_grading

    from deduplicated
    left join person_records
        on deduplicated.person_record_id = person_records.person_record_id
    left join events
        on deduplicated.event_id = events.event_id

)

select * from final
