{#- The data-quality rules of the staging layer, read by stg_data_quality__issues (one row per issue)
    and stg_data_quality__issue_rates (counts and rates). One entry per staging model:
      model    the staging model checked
      source, entity   the landing contract and entity its rows come from
      key      the columns forming the record key (joined by '|', as the generator's truth does)
      where    which rows are checked (deletion rows carry only their key and are not checked;
               Duty to Notify referrals carry no identifying details by design)
      current  expression saying whether the row is the current version (null: not known here)
      checks   {column, status, ok}: an issue is a row whose `status` column is not in `ok`; the
               rule is the status itself (missing, sentinel, invalid_format, unmapped…);
               {column, when, rule}: an issue is a row where the SQL condition `when` holds;
               either may carry `reason`, the sentence stg_data_quality__issues gives (default:
               "<column> is <rule>").
    A staging model's statuses are the rules: nothing here re-implements a normalisation. -#}

{#- The person-attribute checks every person model shares (stg_crime__persons' statuses). -#}
{% macro _person_checks(attributes, has_role=true) -%}
    {%- set checks = [] -%}
    {%- if has_role -%}{%- do checks.append({'column': 'role', 'status': 'role_status', 'ok': ['mapped']}) -%}{%- endif -%}
    {%- for name in ['forename', 'surname'] if name in attributes -%}
        {%- do checks.append({'column': name, 'status': name ~ '_status', 'ok': ['valid']}) -%}
    {%- endfor -%}
    {%- if 'date_of_birth' in attributes -%}
        {%- do checks.append({'column': 'date_of_birth', 'status': 'date_of_birth_status', 'ok': ['valid']}) -%}
    {%- endif -%}
    {%- if 'sex' in attributes -%}
        {%- do checks.append({'column': 'sex', 'status': 'sex_status', 'ok': ['mapped']}) -%}
    {%- endif -%}
    {%- if 'ethnicity' in attributes -%}
        {%- do checks.append({'column': 'ethnicity', 'status': 'ethnicity_status', 'ok': ['mapped', 'missing']}) -%}
    {%- endif -%}
    {%- if 'postcode' in attributes -%}
        {%- do checks.append({'column': 'postcode', 'status': 'postcode_status', 'ok': ['valid']}) -%}
    {%- endif -%}
    {%- for name in ['phone', 'pnc_id', 'cro_number', 'nhs_number', 'email'] if name in attributes -%}
        {%- do checks.append({'column': name, 'status': name ~ '_status', 'ok': ['valid', 'missing']}) -%}
    {%- endfor -%}
    {{ return(checks) }}
{%- endmacro %}

{% macro data_quality_checks() -%}
{%- set offence_ok = ['home_office_code', 'local_code_mapped'] -%}
{%- set place_ok = ['valid', 'missing'] -%}
{{ return([
    {'model': 'stg_crime__crimes', 'source': 'crime', 'entity': 'crimes', 'key': ['crime_ref'],
     'where': 'not is_deleted_at_source', 'current': 'is_current',
     'checks': [
        {'column': 'occurred_from', 'status': 'occurred_from_status', 'ok': ['valid']},
        {'column': 'offence_code', 'status': 'offence_code_status', 'ok': offence_ok},
        {'column': 'location_postcode', 'status': 'location_postcode_status', 'ok': place_ok},
     ]},
    {'model': 'stg_crime__persons', 'source': 'crime', 'entity': 'persons', 'key': ['crime_ref', 'person_ref'],
     'where': none, 'current': none,
     'checks': _person_checks(['forename', 'surname', 'date_of_birth', 'sex', 'ethnicity', 'postcode', 'phone',
                               'pnc_id', 'cro_number'])},

    {'model': 'stg_intel__logs', 'source': 'intel', 'entity': 'logs', 'key': ['log_ref'],
     'where': 'not is_deleted_at_source', 'current': 'is_current',
     'checks': [
        {'column': 'submitted_date', 'status': 'submitted_date_status', 'ok': ['valid']},
        {'column': 'grading', 'status': 'grading_status', 'ok': ['valid', 'legacy_mapped']},
        {'column': 'grading_scheme', 'when': 'is_grading_scheme_mismatch', 'rule': 'scheme_mismatch'},
        {'column': 'handling_conditions', 'when': "handling_code = 'C' and handling_conditions is null",
         'rule': 'missing'},
        {'column': 'topic', 'status': 'topic_status', 'ok': ['mapped']},
        {'column': 'location_postcode', 'status': 'location_postcode_status', 'ok': place_ok},
        {'column': 'phone_mentioned', 'status': 'phone_mentioned_status', 'ok': ['valid', 'missing']},
     ]},
    {'model': 'stg_intel__subjects', 'source': 'intel', 'entity': 'subjects', 'key': ['log_ref', 'subject_ref'],
     'where': none, 'current': 'is_current',
     'checks': _person_checks(['forename', 'surname', 'date_of_birth', 'sex', 'postcode', 'phone', 'pnc_id'])
        + [{'column': 'log_ref', 'when': 'not has_parent_log', 'rule': 'orphan'}]},

    {'model': 'stg_custody__custody_records', 'source': 'custody', 'entity': 'custody_records',
     'key': ['custody_ref'], 'where': 'not is_deleted_at_source', 'current': 'is_current',
     'checks': [
        {'column': 'arrival_datetime', 'status': 'arrival_datetime_status', 'ok': ['valid']},
        {'column': 'arrest_date', 'status': 'arrest_date_status', 'ok': ['valid']},
        {'column': 'arrest_offence_code', 'status': 'offence_code_status', 'ok': offence_ok},
        {'column': 'arrest_location_postcode', 'status': 'arrest_location_postcode_status', 'ok': place_ok},
        {'column': 'outcome', 'status': 'outcome_status', 'ok': ['mapped', 'missing']},
        {'column': 'outcome_date', 'status': 'outcome_date_status', 'ok': ['valid', 'missing']},
     ]},
    {'model': 'stg_custody__detainees', 'source': 'custody', 'entity': 'custody_records', 'key': ['custody_ref'],
     'where': 'not is_deleted_at_source', 'current': 'is_current',
     'checks': _person_checks(['forename', 'surname', 'date_of_birth', 'sex', 'ethnicity', 'postcode', 'phone',
                               'pnc_id', 'cro_number', 'nhs_number'])},

    {'model': 'stg_missing__episodes', 'source': 'missing', 'entity': 'episodes', 'key': ['episode_ref'],
     'where': 'not is_deleted_at_source', 'current': 'is_current',
     'checks': [
        {'column': 'reported_datetime', 'status': 'reported_datetime_status', 'ok': ['valid']},
        {'column': 'last_seen_datetime', 'status': 'last_seen_datetime_status', 'ok': place_ok},
        {'column': 'last_seen_postcode', 'status': 'last_seen_postcode_status', 'ok': place_ok},
        {'column': 'risk_grade', 'status': 'risk_grade_status', 'ok': ['mapped']},
        {'column': 'flags', 'status': 'flags_status', 'ok': ['mapped', 'missing']},
        {'column': 'found_datetime', 'status': 'found_datetime_status', 'ok': place_ok},
        {'column': 'found_postcode', 'status': 'found_postcode_status', 'ok': place_ok},
        {'column': 'found_force', 'status': 'found_force_status', 'ok': ['mapped', 'missing']},
        {'column': 'return_interview_offered', 'status': 'return_interview_offered_status', 'ok': ['valid', 'missing']},
        {'column': 'status', 'status': 'episode_status_mapping', 'ok': ['mapped']},
     ]},
    {'model': 'stg_missing__missing_persons', 'source': 'missing', 'entity': 'episodes', 'key': ['episode_ref'],
     'where': 'not is_deleted_at_source', 'current': 'is_current',
     'checks': _person_checks(['forename', 'surname', 'date_of_birth', 'sex', 'postcode', 'phone', 'nhs_number'])},

    {'model': 'stg_ocgm__ocgs', 'source': 'ocgm', 'entity': 'ocgs', 'key': ['ocg_id'],
     'where': 'not is_deleted_at_source', 'current': 'is_current',
     'checks': [
        {'column': 'lead_force', 'status': 'lead_force_status', 'ok': ['mapped']},
        {'column': 'band', 'status': 'band_status', 'ok': ['mapped']},
        {'column': 'threat_score', 'status': 'threat_score_status', 'ok': ['valid']},
        {'column': 'principal_criminality', 'status': 'principal_criminality_status', 'ok': ['mapped']},
        {'column': 'secondary_criminality', 'status': 'secondary_criminality_status', 'ok': ['mapped', 'missing']},
        {'column': 'status', 'when': "coalesce(ocg_status, '') not in ('active', 'archived')", 'rule': 'unmapped'},
        {'column': 'mapped_date', 'status': 'mapped_date_status', 'ok': ['valid']},
        {'column': 'last_reviewed_date', 'status': 'last_reviewed_date_status', 'ok': place_ok},
     ]},
    {'model': 'stg_ocgm__nominals', 'source': 'ocgm', 'entity': 'nominals', 'key': ['ocg_id', 'nominal_id'],
     'where': 'not is_deleted_at_source', 'current': 'is_current',
     'checks': _person_checks(['forename', 'surname', 'date_of_birth', 'sex', 'postcode', 'pnc_id', 'cro_number'])
        + [{'column': 'home_force', 'status': 'home_force_status', 'ok': ['mapped', 'missing']}]},

    {'model': 'stg_clicm__lines', 'source': 'clicm', 'entity': 'lines', 'key': ['line_id'],
     'where': 'not is_deleted_at_source', 'current': 'is_current',
     'checks': [
        {'column': 'exporting_force', 'status': 'exporting_force_status', 'ok': ['mapped']},
        {'column': 'status', 'status': 'line_status_mapping', 'ok': ['mapped']},
        {'column': 'closure_type', 'status': 'closure_type_status', 'ok': ['valid', 'missing']},
        {'column': 'first_reported_date', 'status': 'first_reported_date_status', 'ok': ['valid']},
        {'column': 'closed_date', 'status': 'closed_date_status', 'ok': place_ok},
     ]},
    {'model': 'stg_clicm__line_importing_forces', 'source': 'clicm', 'entity': 'lines', 'key': ['line_id'],
     'where': none, 'current': 'is_current',
     'checks': [{'column': 'importing_forces', 'status': 'importing_force_status', 'ok': ['mapped']}]},
    {'model': 'stg_clicm__deal_numbers', 'source': 'clicm', 'entity': 'deal_numbers', 'key': ['line_id', 'deal_number_raw'],
     'where': none, 'current': 'is_current',
     'checks': [
        {'column': 'deal_number', 'status': 'deal_number_status', 'ok': ['valid']},
        {'column': 'active_from', 'status': 'active_from_status', 'ok': ['valid']},
        {'column': 'active_to', 'status': 'active_to_status', 'ok': place_ok},
     ]},
    {'model': 'stg_clicm__nominals', 'source': 'clicm', 'entity': 'nominals', 'key': ['line_id', 'nominal_id'],
     'where': none, 'current': 'is_current',
     'checks': _person_checks(['forename', 'surname', 'date_of_birth', 'sex', 'postcode', 'phone', 'pnc_id'])
        + [{'column': 'home_force', 'status': 'home_force_status', 'ok': ['mapped', 'missing']}]},
    {'model': 'stg_clicm__cuckooed_addresses', 'source': 'clicm', 'entity': 'cuckooed_addresses',
     'key': ['line_id', 'address_ref'], 'where': none, 'current': 'is_current',
     'checks': [
        {'column': 'postcode', 'status': 'postcode_status', 'ok': ['valid']},
        {'column': 'force_code', 'status': 'address_force_status', 'ok': ['mapped']},
        {'column': 'first_reported_date', 'status': 'first_reported_date_status', 'ok': place_ok},
     ]},

    {'model': 'stg_nrm__referrals', 'source': 'nrm', 'entity': 'referrals', 'key': ['referral_id'],
     'where': 'not is_deleted_at_source', 'current': 'is_current',
     'checks': [
        {'column': 'referral_date', 'status': 'referral_date_status', 'ok': ['valid']},
        {'column': 'referring_force', 'status': 'referring_force_status', 'ok': ['mapped', 'missing']},
        {'column': 'duty_to_notify', 'status': 'duty_to_notify_status', 'ok': ['valid']},
        {'column': 'exploitation_type', 'status': 'exploitation_type_status', 'ok': ['mapped']},
        {'column': 'exploitation_postcode', 'status': 'exploitation_postcode_status', 'ok': place_ok},
        {'column': 'reasonable_grounds_decision', 'rule': 'unmapped',
         'when': "coalesce(reasonable_grounds_decision, '') not in ('pending', 'positive', 'negative')"},
        {'column': 'conclusive_grounds_decision', 'rule': 'unmapped',
         'when': "coalesce(conclusive_grounds_decision, '') not in ('pending', 'positive', 'negative')"},
     ]},
    {'model': 'stg_nrm__potential_victims', 'source': 'nrm', 'entity': 'referrals', 'key': ['referral_id'],
     'where': 'not is_deleted_at_source and not coalesce(is_duty_to_notify, false)', 'current': 'is_current',
     'checks': _person_checks(['forename', 'surname', 'date_of_birth', 'sex', 'postcode', 'phone'])},
    {'model': 'stg_nrm__alleged_exploiters', 'source': 'nrm', 'entity': 'alleged_exploiters',
     'key': ['referral_id', 'exploiter_ref'], 'where': none, 'current': 'is_current',
     'checks': _person_checks(['forename', 'surname', 'date_of_birth', 'sex', 'postcode', 'phone'])
        + [{'column': 'referral_id', 'when': 'not has_parent_referral', 'rule': 'orphan'}]},

    {'model': 'stg_osint__observations', 'source': 'osint', 'entity': 'observations', 'key': ['observation_id'],
     'where': 'not is_deleted_at_source', 'current': 'is_current',
     'checks': [
        {'column': 'observed_at', 'status': 'observed_at_status', 'ok': ['valid']},
        {'column': 'phone', 'status': 'phone_status', 'ok': ['valid', 'missing']},
        {'column': 'confidence', 'status': 'confidence_status', 'ok': ['mapped']},
     ]},
    {'model': 'stg_osint__subjects', 'source': 'osint', 'entity': 'observations', 'key': ['observation_id'],
     'where': 'not is_deleted_at_source', 'current': 'is_current',
     'checks': _person_checks(['forename', 'surname', 'date_of_birth', 'postcode'])},

    {'model': 'stg_canonical__persons', 'source': 'canonical', 'entity': 'persons', 'key': ['record_id'],
     'where': none, 'current': 'is_current',
     'checks': _person_checks(['forename', 'surname', 'date_of_birth', 'sex', 'postcode', 'phone', 'email', 'pnc_id',
                               'cro_number', 'nhs_number'], has_role=false)},
    {'model': 'stg_canonical__events', 'source': 'canonical', 'entity': 'events', 'key': ['event_id'],
     'where': none, 'current': 'is_current',
     'checks': [
        {'column': 'event_type', 'status': 'event_type_status', 'ok': ['mapped'],
         'reason': 'event_type is missing or outside the canonical vocabulary: the event is kept in conformed.event with event_type unknown'},
        {'column': 'occurred_at', 'status': 'occurred_at_status', 'ok': ['valid']},
        {'column': 'force_code', 'status': 'event_force_status', 'ok': ['mapped', 'missing']},
        {'column': 'offence_code', 'rule': 'unmapped', 'when': "offence_code_status = 'unmapped'"},
        {'column': 'offence_code', 'rule': 'missing', 'when': "offence_code_status = 'missing' and event_type = 'crime'"},
        {'column': 'location_postcode', 'status': 'location_postcode_status', 'ok': place_ok},
     ]},
    {'model': 'stg_canonical__person_events', 'source': 'canonical', 'entity': 'person_events',
     'key': ['record_id', 'event_id', 'role_raw'], 'where': none, 'current': 'is_current',
     'checks': [
        {'column': 'role', 'status': 'role_status', 'ok': ['mapped']},
        {'column': 'record_id', 'when': 'not has_person_record', 'rule': 'orphan',
         'reason': 'names a person record_id the partner never delivered in persons.csv: the link is kept out of conformed.person_event'},
        {'column': 'event_id', 'when': 'not has_event', 'rule': 'orphan',
         'reason': 'names an event_id the partner never delivered in events.csv: the link is kept out of conformed.person_event'},
     ]},

    {'model': 'stg_police_uk__street_crimes', 'source': 'police_uk', 'entity': 'street_crimes', 'key': ['crime_id'],
     'where': none, 'current': 'is_current',
     'checks': [
        {'column': 'month', 'status': 'month_status', 'ok': ['valid']},
        {'column': 'crime_id', 'rule': 'missing', 'when': 'crime_id is null and not is_anti_social_behaviour'},
        {'column': 'falls_within', 'status': 'falls_within_status', 'ok': ['mapped', 'unmapped']},
        {'column': 'location', 'rule': 'not_mapped', 'when': 'not has_location'},
     ]},
    {'model': 'stg_police_uk__outcomes', 'source': 'police_uk', 'entity': 'outcomes',
     'key': ['crime_id', 'outcome_type', 'month_raw'], 'where': none, 'current': 'is_current',
     'checks': [
        {'column': 'month', 'status': 'month_status', 'ok': ['valid']},
        {'column': 'crime_id', 'rule': 'missing', 'when': 'crime_id is null'},
        {'column': 'row', 'rule': 'repeated_row', 'when': 'is_repeated_row'},
        {'column': 'location', 'rule': 'not_mapped', 'when': 'not has_location'},
     ]},
    {'model': 'stg_police_uk__stop_and_search', 'source': 'police_uk', 'entity': 'stop_and_search',
     'key': ['stop_and_search_id'], 'where': none, 'current': 'is_current',
     'checks': [
        {'column': 'searched_at', 'status': 'searched_at_status', 'ok': ['valid']},
        {'column': 'location', 'rule': 'not_recorded', 'when': 'not has_location'},
        {'column': 'part_of_policing_operation', 'rule': 'unmapped',
         'when': 'part_of_policing_operation_raw is not null and is_part_of_policing_operation is null'},
     ]},
]) }}
{%- endmacro %}

{#- The CTEs both data-quality models start from: one per checked staging model (its checked rows,
    record key and current flag), then `check_results`, one row per checked row and check of its
    model, with the failed rule (null when the check passed). One scan per staging model. -#}
{% macro data_quality_check_ctes() -%}
{%- set entities = data_quality_checks() -%}
{% for entity in entities -%}
{{ entity.model }} as (

    select
        *,
        concat_ws(
            '|'
            {%- for column in entity.key -%}
            , coalesce(cast({{ column }} as {{ dbt.type_string() }}), '')
            {%- endfor %}
        ) as dq_record_key,
        {{ entity.current or 'cast(null as boolean)' }} as dq_is_current

    from {{ ref(entity.model) }}
    {%- if entity.where %}
    where {{ entity.where }}
    {%- endif %}

),

{% endfor -%}

check_results as (

    {%- for entity in entities %}

    select
        '{{ entity.source }}' as source_name,
        '{{ entity.entity }}' as entity_name,
        '{{ entity.model }}' as model_name,
        {{ entity.model }}.force_code,
        {{ entity.model }}.dq_record_key as record_key,
        checks.column_name,
        case checks.check_number
            {%- for check in entity.checks %}
            when {{ loop.index }} then
                {%- if check.status %}
                case
                    when coalesce({{ check.status }}, 'null') not in (
                        {%- for ok in check.ok -%}
                        '{{ ok }}'{{ ", " if not loop.last }}
                        {%- endfor -%}
                    ) then coalesce({{ check.status }}, 'null')
                end
                {%- else %}
                case when {{ check.when }} then '{{ check.rule }}' end
                {%- endif %}
            {%- endfor %}
        end as rule,
        case checks.check_number
            {%- for check in entity.checks %}
            when {{ loop.index }} then '{{ (check.reason or '') | replace("'", "''") }}'
            {%- endfor %}
        end as reason_text,
        {{ entity.model }}.dq_is_current as is_current,
        {{ entity.model }}._file_id,
        {{ entity.model }}._row_number,
        {{ entity.model }}._delivery_date

    from {{ entity.model }}
    cross join (
        values
        {%- for check in entity.checks %}
            ({{ loop.index }}, '{{ check.column }}'){{ "," if not loop.last }}
        {%- endfor %}
    ) as checks (check_number, column_name)
    {%- if not loop.last %}

    union all
    {%- endif %}
    {%- endfor %}

)
{%- endmacro %}
