-- Soundex (macro soundex) on the textbook cases: the H/W rule (Ashcraft A261), a first letter
-- sharing its code with the next (Pfister P236), vowels separating equal codes (Tymczak T522),
-- H or W as first letter (Honeyman H555, Washington W252), padding (Lee L000). Returns failures.
with

cases as (

    select soundex_cases.* from (
        values
        ('ROBERT', 'R163'),
        ('RUPERT', 'R163'),
        ('RUBIN', 'R150'),
        ('ASHCRAFT', 'A261'),
        ('ASHCROFT', 'A261'),
        ('TYMCZAK', 'T522'),
        ('PFISTER', 'P236'),
        ('HONEYMAN', 'H555'),
        ('LEE', 'L000'),
        ('GUTIERREZ', 'G362'),
        ('JACKSON', 'J250'),
        ('WASHINGTON', 'W252'),
        ('SCHMIDT', 'S530'),
        ('LLOYD', 'L300'),
        ('VAN DEUSEN', 'V532'),
        ('SMITH', 'S530'),
        ('SMYTH', 'S530'),
        ('O''BRIEN', 'O165'),
        ('HWANG', 'H520'),
        ('WU', 'W000'),
        ('', null),
        (null, null)
    ) as soundex_cases (name_value, expected_soundex)

),

actual as (

    select
        name_value,
        expected_soundex,
        {{ soundex('name_value') }} as actual_soundex

    from cases

)

select *
from actual
where coalesce(actual_soundex, '<null>') != coalesce(expected_soundex, '<null>')
