-- name_status on chosen cases: placeholders (UNKNOWN, a title alone) whatever the field; for a given
-- name also words of sex, age or relationship alone (MALE, BABY OF, WOMAN OF THE), which a surname may
-- be (CHILD); a real given name containing such a word stays valid (SONIA, MANDY, BOYD, JOHN DAD), and
-- SON and MAN, given names too (Vietnamese, Cantonese), are valid. Returns one row per case whose
-- status differs from the expected one.
with

cases as (

    select name_cases.* from (
        values
        ('Unknown', false, 'placeholder'),
        ('Mrs', false, 'placeholder'),
        ('Child', false, 'valid'),
        ('Son', false, 'valid'),
        ('Male', true, 'placeholder'),
        ('BABY OF', true, 'placeholder'),
        ('Woman of the', true, 'placeholder'),
        ('Adult male', true, 'placeholder'),
        ('Unknown', true, 'placeholder'),
        ('Man', true, 'valid'),
        ('Son', true, 'valid'),
        ('Sonia', true, 'valid'),
        ('Mandy', true, 'valid'),
        ('Boyd', true, 'valid'),
        ('John Dad', true, 'valid'),
        ('  ', true, 'missing')
    ) as name_cases (raw_value, given_name, expected)

),

statuses as (

    select
        raw_value,
        given_name,
        expected,
        case
            when given_name then {{ name_status('raw_value', given_name=true) }}
            else {{ name_status('raw_value') }}
        end as actual

    from cases

)

select *
from statuses
where actual != expected
