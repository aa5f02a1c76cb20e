-- Year-over-year change of every core indicator and derived metric (indicator_values), one row per agency,
-- year, series and indicator. The comparison is with the agency's previous report year that has the indicator,
-- which may be more than one year back: `years_apart` states the gap, and `change`/`pct_change` are then over
-- the whole gap (filter years_apart = 1 for strict year-on-year). The first year of a series has no previous
-- value. change is NULL when either value is NULL (blank); pct_change = 100 * change / previous_value is NULL
-- also when the previous value is 0. comparability_note names a gap, a change between the pre-2019 and the 2019+
-- regimes, and a scope change (an agency's own report against a regional aggregate) between the two years;
-- 2019 -> 2021 is no note, the core series being harmonised across the two templates.
--
-- Incremental: by agency_id
--
-- Columns:
--   agency_id: the canonical agency (agencies.agency_id)
--   year: statistical year of the report
--   series: core or derived (indicator_values.series)
--   indicator: the core indicator or derived metric
--   value: this year's value
--   previous_year: the agency's previous report year with this indicator; NULL for the first
--   years_apart: year - previous_year (1 for consecutive years)
--   previous_value: the value in previous_year
--   change: value - previous_value
--   pct_change: 100 * change / previous_value, in percent; NULL when previous_value is 0 or NULL
--   comparability_note: gap, pre-2019/2019+ regime change or scope change since previous_year; NULL otherwise
CREATE OR REPLACE TABLE indicator_trends AS
WITH values_with_previous AS (
    SELECT
        agency_id,
        year,
        series,
        indicator,
        value,
        template,
        scope,
        lag(year) OVER by_series AS previous_year,
        lag(value) OVER by_series AS previous_value,
        lag(template) OVER by_series AS previous_template,
        lag(scope) OVER by_series AS previous_scope
    FROM indicator_values
    WINDOW by_series AS (PARTITION BY agency_id, series, indicator ORDER BY year)
)

SELECT
    agency_id,
    year,
    series,
    indicator,
    value,
    previous_year,
    year - previous_year AS years_apart,
    previous_value,
    value - previous_value AS change,
    100.0 * (value - previous_value) / nullif(previous_value, 0) AS pct_change,
    nullif(
        concat_ws(
            '; ',
            CASE WHEN year - previous_year > 1 THEN format('over {} years (no figure in between)', year - previous_year) END,
            CASE
                WHEN (template = 'legacy') <> (previous_template = 'legacy')
                    THEN format('template {} -> {}', previous_template, template)
            END,
            CASE WHEN scope <> previous_scope THEN format('scope {} -> {}', previous_scope, scope) END
        ),
        ''
    ) AS comparability_note
FROM values_with_previous
ORDER BY agency_id, series, indicator, year
