{#- GENERATED from contracts/*.yml (layouts' `codes`) by `python -m tests.staging.layout_codes`:
    edit the contracts, then regenerate; tests/staging/test_layout_codes.py fails when this file
    differs from what the contracts render.

    contract_code_sets()[source][layout][column] maps code_key(local code) to the national code,
    where code_key upper-cases and folds every run of characters other than A-Z and 0-9 to one
    underscore (macro code_key), so "County Lines", "COUNTY LINES" and "county-lines" all read
    COUNTY_LINES. Staging reads it through the macros in layout_codes.sql. -#}

{% macro contract_code_sets() -%}
    {{ return({
        'clicm': {
            'clicm_jsonl': {
                'role': {'LINE_HOLDER': 'line_holder', 'RUNNER': 'runner', 'ASSOCIATE': 'associate', 'CUCKOOED': 'cuckooed_occupant'},
                'sex': {'M': 'M', 'F': 'F', 'U': 'U'},
                'status': {'ACTIVE': 'active', 'CLOSED': 'closed'},
            },
        },
        'crime': {
            'athena_csv': {
                'role': {'VICTIM': 'victim', 'SUSPECT': 'suspect', 'OFFENDER': 'offender', 'WITNESS': 'witness', 'PERSON_REPORTING': 'person_reporting'},
                'sex': {'M': 'M', 'F': 'F', 'U': 'U'},
                'status': {'OPEN': 'open', 'CLOSED': 'closed', 'NFA': 'no_further_action', 'CHARGED': 'charged'},
            },
            'legacy_pipe': {
                'role': {'VIC': 'victim', 'SUS': 'suspect', 'OFF': 'offender', 'WIT': 'witness', 'REP': 'person_reporting'},
                'sex': {'1': 'M', '2': 'F', '0': 'U', '9': 'U'},
                'status': {'OPEN': 'open', 'CLOSED': 'closed', 'NFA': 'no_further_action', 'CHARGED': 'charged'},
            },
            'niche_jsonl': {
                'role': {'VICTIM': 'victim', 'SUSPECT': 'suspect', 'OFFENDER': 'offender', 'WITNESS': 'witness', 'REPORTER': 'person_reporting'},
                'sex': {'M': 'M', 'F': 'F', 'U': 'U'},
                'status': {'OPEN': 'open', 'CLOSED': 'closed', 'NFA': 'no_further_action', 'CHARGED': 'charged'},
            },
        },
        'custody': {
            'athena_custody_csv': {
                'outcome': {'CHARGED': 'charged', 'RUI': 'released_under_investigation', 'BAIL': 'bail', 'NFA': 'no_further_action', 'CAUTION': 'caution', 'REMAND': 'remanded', 'COMMRES': 'community_resolution'},
                'sex': {'M': 'M', 'F': 'F', 'U': 'U'},
            },
            'legacy_custody_pipe': {
                'outcome': {'CHG': 'charged', 'RUI': 'released_under_investigation', 'BL': 'bail', 'NFA': 'no_further_action', 'CAU': 'caution', 'RMD': 'remanded', 'CR': 'community_resolution'},
                'sex': {'1': 'M', '2': 'F', '0': 'U', '9': 'U'},
            },
            'niche_custody_parquet': {
                'outcome': {'CHARGED': 'charged', 'RELEASED_UNDER_INVESTIGATION': 'released_under_investigation', 'BAILED': 'bail', 'NO_FURTHER_ACTION': 'no_further_action', 'CAUTIONED': 'caution', 'REMANDED': 'remanded', 'COMMUNITY_RESOLUTION': 'community_resolution'},
                'sex': {'MALE': 'M', 'FEMALE': 'F', 'UNKNOWN': 'U'},
            },
        },
        'intel': {
            'athena_intel_csv': {
                'sex': {'M': 'M', 'F': 'F', 'U': 'U'},
                'subject_role': {'SUBJECT': 'subject', 'ASSOCIATE': 'associate', 'VICTIM': 'potential_victim'},
                'topic': {'DRUGS': 'drugs', 'COUNTY_LINES': 'county_lines', 'CSE': 'cse', 'MODERN_SLAVERY': 'modern_slavery', 'WEAPONS': 'weapons', 'VIOLENCE': 'violence', 'ACQUISITIVE': 'acquisitive', 'CUCKOOING': 'cuckooing'},
            },
            'legacy_intel_tab': {
                'sex': {'M': 'M', 'F': 'F', 'X': 'U'},
                'subject_role': {'S': 'subject', 'A': 'associate', 'V': 'potential_victim'},
                'topic': {'01': 'drugs', '02': 'county_lines', '03': 'cse', '04': 'modern_slavery', '05': 'weapons', '06': 'violence', '07': 'acquisitive', '08': 'cuckooing'},
            },
            'niche_intel_jsonl': {
                'sex': {'MALE': 'M', 'FEMALE': 'F', 'UNKNOWN': 'U'},
                'subject_role': {'SUBJECT': 'subject', 'ASSOCIATE': 'associate', 'PERSON_AT_RISK': 'potential_victim'},
                'topic': {'DRUGS': 'drugs', 'COUNTY_LINES': 'county_lines', 'CHILD_SEXUAL_EXPLOITATION': 'cse', 'MODERN_SLAVERY': 'modern_slavery', 'WEAPONS': 'weapons', 'VIOLENCE': 'violence', 'ACQUISITIVE_CRIME': 'acquisitive', 'CUCKOOING': 'cuckooing'},
            },
        },
        'missing': {
            'compact_csv': {
                'flags': {'CSE': 'cse', 'CCE': 'cce', 'COUNTY_LINES': 'county_lines', 'MENTAL_HEALTH': 'mental_health', 'LAC': 'looked_after_child'},
                'found_force': {'BEDFORDSHIRE_POLICE': 'bedfordshire', 'CAMBRIDGESHIRE_CONSTABULARY': 'cambridgeshire', 'ESSEX_POLICE': 'essex', 'HERTFORDSHIRE_CONSTABULARY': 'hertfordshire', 'KENT_POLICE': 'kent', 'NORFOLK_CONSTABULARY': 'norfolk', 'SUFFOLK_CONSTABULARY': 'suffolk', 'WARWICKSHIRE_POLICE': 'warwickshire', 'WEST_MERCIA_POLICE': 'west-mercia', 'BRITISH_TRANSPORT_POLICE': 'btp', 'METROPOLITAN_POLICE_SERVICE': 'metropolitan'},
                'risk_grade': {'VERY_LOW': 'very_low', 'LOW': 'low', 'MEDIUM': 'medium', 'HIGH': 'high', 'ABSENT': 'absent'},
                'sex': {'MALE': 'M', 'FEMALE': 'F', 'UNKNOWN': 'U'},
                'status': {'OPEN': 'open', 'CLOSED': 'closed'},
            },
            'mispers_pipe': {
                'flags': {'CSE': 'cse', 'CCE': 'cce', 'CL': 'county_lines', 'MH': 'mental_health', 'LAC': 'looked_after_child'},
                'found_force': {'BED': 'bedfordshire', 'CAM': 'cambridgeshire', 'ESX': 'essex', 'HER': 'hertfordshire', 'KNT': 'kent', 'NFK': 'norfolk', 'SFK': 'suffolk', 'WAR': 'warwickshire', 'WMC': 'west-mercia', 'BTP': 'btp', 'MET': 'metropolitan'},
                'risk_grade': {'VL': 'very_low', 'L': 'low', 'M': 'medium', 'H': 'high', 'A': 'absent'},
                'sex': {'M': 'M', 'F': 'F', 'U': 'U'},
                'status': {'O': 'open', 'C': 'closed'},
            },
            'niche_missing_jsonl': {
                'flags': {'CSE': 'cse', 'CCE': 'cce', 'COUNTY_LINES': 'county_lines', 'MENTAL_HEALTH': 'mental_health', 'LOOKED_AFTER': 'looked_after_child'},
                'risk_grade': {'1': 'very_low', '2': 'low', '3': 'medium', '4': 'high', '0': 'absent'},
                'sex': {'MALE': 'M', 'FEMALE': 'F', 'UNKNOWN': 'U'},
                'status': {'OPEN': 'open', 'CLOSED': 'closed'},
            },
        },
        'nrm': {
            'nrm_parquet': {
                'sex': {'MALE': 'M', 'FEMALE': 'F', 'OTHER': 'U', 'UNKNOWN': 'U'},
            },
        },
        'ocgm': {
            'ocgm_xlsx': {
                'band': {'BAND_1': '1', 'BAND_2': '2', 'BAND_3': '3', 'BAND_4': '4'},
                'home_force': {'BEDFORDSHIRE': 'bedfordshire', 'CAMBRIDGESHIRE': 'cambridgeshire', 'ESSEX': 'essex', 'HERTFORDSHIRE': 'hertfordshire', 'KENT': 'kent', 'NORFOLK': 'norfolk', 'SUFFOLK': 'suffolk', 'WARWICKSHIRE': 'warwickshire', 'WEST_MERCIA': 'west-mercia'},
                'lead_force': {'BEDFORDSHIRE': 'bedfordshire', 'CAMBRIDGESHIRE': 'cambridgeshire', 'ESSEX': 'essex', 'HERTFORDSHIRE': 'hertfordshire', 'KENT': 'kent', 'NORFOLK': 'norfolk', 'SUFFOLK': 'suffolk', 'WARWICKSHIRE': 'warwickshire', 'WEST_MERCIA': 'west-mercia'},
                'principal_criminality': {'DRUGS_SUPPLY': 'drugs_supply', 'DRUGS_COUNTY_LINES': 'county_lines', 'MODERN_SLAVERY_LABOUR': 'labour_exploitation', 'CSE': 'cse', 'FIREARMS': 'firearms', 'ORGANISED_ACQUISITIVE_CRIME': 'acquisitive', 'FRAUD': 'fraud'},
                'role': {'PRINCIPAL_NOMINAL': 'principal', 'CORE_MEMBER': 'core_member', 'SIGNIFICANT_ASSOCIATE': 'significant_associate', 'PERIPHERAL': 'peripheral'},
                'secondary_criminality': {'DRUGS_SUPPLY': 'drugs_supply', 'DRUGS_COUNTY_LINES': 'county_lines', 'MODERN_SLAVERY_LABOUR': 'labour_exploitation', 'CSE': 'cse', 'FIREARMS': 'firearms', 'ORGANISED_ACQUISITIVE_CRIME': 'acquisitive', 'FRAUD': 'fraud'},
                'sex': {'MALE': 'M', 'FEMALE': 'F', 'UNKNOWN': 'U'},
            },
        },
        'osint': {
            'osint_semicolon': {
                'confidence': {'H': 'high', 'M': 'medium', 'L': 'low'},
            },
        },
    }) }}
{%- endmacro %}
