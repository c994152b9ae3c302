-- NHS numbers (normalise_nhs_number, nhs_number_status): mod-11 check digit with weights 10..2,
-- check 11 -> 0, check 10 never valid; spaces and dashes ignored. Returns the cases that fail.
with

cases as (

    select nhs_cases.* from (
        values
        ('943 476 5919', '9434765919', 'valid'),
        ('943-476-5919', '9434765919', 'valid'),
        ('9990000018', '9990000018', 'valid'),
        ('9999999999', '9999999999', 'valid'),
        ('4010232137', '4010232137', 'valid'),
        ('9434765910', '9434765910', 'invalid_check_digit'),
        ('9991234567', '9991234567', 'invalid_check_digit'),
        ('943476591', '943476591', 'invalid_format'),
        ('94347659190', '94347659190', 'invalid_format'),
        ('NHS9434765919', 'NHS9434765919', 'invalid_format'),
        ('  ', null, 'missing'),
        (null, null, 'missing')
    ) as nhs_cases (raw_value, expected_normalised, expected_status)

),

actual as (

    select
        raw_value,
        expected_normalised,
        expected_status,
        {{ normalise_nhs_number('raw_value') }} as actual_normalised,
        {{ nhs_number_status('raw_value') }} as actual_status

    from cases

)

select *
from actual
where
    coalesce(actual_normalised, '<null>') != coalesce(expected_normalised, '<null>')
    or actual_status != expected_status
