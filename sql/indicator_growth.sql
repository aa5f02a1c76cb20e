-- Multi-year growth per agency, series and indicator (indicator_values): from the first to the last year with a
-- value (NULL values are skipped), for series with values in at least two years. cagr is the compound annual
-- growth rate (last_value / first_value)^(1 / years) - 1, a fraction (0.1 = 10 % a year); NULL when the first
-- value is 0 or negative (no defined rate) or the last value is negative. total_growth = last_value /
-- first_value - 1, NULL when the first value is 0. comparability_note says when the span crosses from
-- pre-2019 to 2019+ reports or mixes an agency's own reports with regional aggregates.
--
-- Incremental: by agency_id
--
-- Columns:
--   agency_id: the canonical agency (agencies.agency_id)
--   series: core or derived (indicator_values.series)
--   indicator: the core indicator or derived metric
--   first_year: first statistical year with a value
--   last_year: last statistical year with a value
--   first_value: the value in first_year
--   last_value: the value in last_year
--   years: last_year - first_year
--   n_years: years with a value, first and last included
--   total_growth: last_value / first_value - 1; NULL when first_value is 0
--   cagr: compound annual growth rate over `years`; NULL when first_value <= 0 or last_value < 0
--   comparability_note: regimes or scopes mixed within the span; NULL otherwise
CREATE OR REPLACE TABLE indicator_growth AS
WITH values_present AS (
    SELECT agency_id, series, indicator, year, value, template, scope
    FROM indicator_values
    WHERE value IS NOT NULL
),

spans AS (
    SELECT
        agency_id,
        series,
        indicator,
        min(year) AS first_year,
        max(year) AS last_year,
        arg_min(value, year) AS first_value,
        arg_max(value, year) AS last_value,
        count(*) AS n_years,
        count(DISTINCT template = 'legacy') > 1 AS mixes_regimes,
        count(DISTINCT scope = 'regional_aggregate') > 1 AS mixes_scopes
    FROM values_present
    GROUP BY agency_id, series, indicator
    HAVING count(*) >= 2
)

SELECT
    agency_id,
    series,
    indicator,
    first_year,
    last_year,
    first_value,
    last_value,
    last_year - first_year AS years,
    n_years,
    last_value / nullif(first_value, 0) - 1 AS total_growth,
    CASE
        WHEN first_value > 0 AND last_value >= 0 THEN power(last_value / first_value, 1.0 / (last_year - first_year)) - 1
    END AS cagr,
    nullif(
        concat_ws(
            '; ',
            CASE WHEN mixes_regimes THEN 'spans pre-2019 and 2019+ reports' END,
            CASE WHEN mixes_scopes THEN 'mixes own reports and regional aggregates' END
        ),
        ''
    ) AS comparability_note
FROM spans
ORDER BY agency_id, series, indicator
