-- The calendar the semantic layer (dbt metrics, MetricFlow) joins metrics to: one row per day.
with

days as (

    {{ date_series(var('time_spine_start'), var('time_spine_end')) }}

)

select cast(date_day as date) as date_day
from days
