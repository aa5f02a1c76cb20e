-- Totals per statistical year for each province, city and administrative level (agencies), for every core
-- indicator and derived metric. Reports whose scope is regional_aggregate are excluded: a summary of many
-- agencies must never be summed with the agencies it summarises. A core indicator's value is the sum over the
-- group's agencies (blanks left out; NULL when every agency's figure is blank). A derived metric is recomputed
-- from the summed parts: sum(numerator) / sum(denominator) over the agencies that have both (NULL when that
-- denominator is 0), never an average of ratios. Agencies whose province / city / level is unknown are in no
-- group of that kind.
--
-- Incremental: by year
--
-- Columns:
--   year: statistical year of the reports
--   grouping: what the group is: province, city or level
--   group_value: the province, city or level (agencies.province / city / level)
--   series: core (core_indicators) or derived (derived_metrics)
--   indicator: the core indicator or derived metric
--   value: sum of the core indicator, or the derived metric of the summed parts
--   numerator: derived metrics: the summed numerators; NULL for core indicators
--   denominator: derived metrics: the summed denominators; NULL for core indicators
--   n_agencies: agencies that contributed a figure (core: a non-blank value; derived: numerator and denominator)
CREATE OR REPLACE TABLE region_rollups AS
WITH agency_groups AS (
    SELECT agency_id, 'province' AS grouping, province AS group_value FROM agencies WHERE province IS NOT NULL
    UNION ALL
    SELECT agency_id, 'city' AS grouping, city AS group_value FROM agencies WHERE city IS NOT NULL
    UNION ALL
    SELECT agency_id, 'level' AS grouping, level AS group_value FROM agencies WHERE level IS NOT NULL
),

own_reports AS (
    SELECT agency_id, year, report_id
    FROM agency_year_reports
    WHERE scope IS DISTINCT FROM 'regional_aggregate'
),

core_sums AS (
    SELECT
        core_indicators.year,
        agency_groups.grouping,
        agency_groups.group_value,
        'core' AS series,
        core_indicators.indicator,
        sum(core_indicators.value) AS value,
        NULL::DOUBLE AS numerator,
        NULL::DOUBLE AS denominator,
        count(core_indicators.value) AS n_agencies
    FROM core_indicators
    INNER JOIN own_reports ON own_reports.report_id = core_indicators.report_id
    INNER JOIN agency_groups ON agency_groups.agency_id = core_indicators.agency_id
    GROUP BY core_indicators.year, agency_groups.grouping, agency_groups.group_value, core_indicators.indicator
),

derived_parts AS (
    SELECT
        derived_metrics.year,
        agency_groups.grouping,
        agency_groups.group_value,
        derived_metrics.metric,
        derived_metrics.numerator,
        derived_metrics.denominator
    FROM derived_metrics
    INNER JOIN own_reports ON own_reports.report_id = derived_metrics.report_id
    INNER JOIN agency_groups ON agency_groups.agency_id = derived_metrics.agency_id
    WHERE derived_metrics.numerator IS NOT NULL AND derived_metrics.denominator IS NOT NULL
),

derived_of_sums AS (
    SELECT
        year,
        grouping,
        group_value,
        'derived' AS series,
        metric AS indicator,
        sum(numerator) / nullif(sum(denominator), 0) AS value,
        sum(numerator) AS numerator,
        sum(denominator) AS denominator,
        count(*) AS n_agencies
    FROM derived_parts
    GROUP BY year, grouping, group_value, metric
)

SELECT * FROM core_sums
UNION ALL
SELECT * FROM derived_of_sums
ORDER BY year, grouping, group_value, series, indicator
