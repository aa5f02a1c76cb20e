-- Every core indicator and derived metric in one long table: the series that trends, rankings, rollups and
-- growth are computed on. One row per agency, statistical year, series and indicator, with the template and
-- scope of the report the figures come from (so later models can keep regional aggregates apart).
--
-- Incremental: by agency_id
--
-- Columns:
--   agency_id: the canonical agency (agencies.agency_id)
--   year: statistical year of the report
--   series: core (core_indicators.indicator) or derived (derived_metrics.metric)
--   indicator: the core indicator or derived metric
--   value: the figure or ratio; NULL when blank (core) or not computable (derived)
--   template: template of the report (2021, 2019 or legacy)
--   scope: scope of the report (agency, government or regional_aggregate)
--   report_id: the report the figures come from (agency_year_reports.report_id)
CREATE OR REPLACE TABLE indicator_values AS
WITH core_and_derived AS (
    SELECT agency_id, year, 'core' AS series, indicator, value, report_id
    FROM core_indicators
    UNION ALL
    SELECT agency_id, year, 'derived' AS series, metric AS indicator, value, report_id
    FROM derived_metrics
)

SELECT
    core_and_derived.agency_id,
    core_and_derived.year,
    core_and_derived.series,
    core_and_derived.indicator,
    core_and_derived.value,
    used.template,
    used.scope,
    core_and_derived.report_id
FROM core_and_derived
INNER JOIN agency_year_reports AS used ON used.report_id = core_and_derived.report_id
ORDER BY core_and_derived.agency_id, core_and_derived.year, core_and_derived.series, core_and_derived.indicator
