-- Every year of each agency's series from its first to its last report year (agency_year_reports), with ok =
-- false for a year without a report (a finding: a gap in the series). Years before the first report and after
-- the last are not listed: the series is judged between the years the agency is known to have reported.
--
-- Incremental: by agency_id
--
-- Columns:
--   agency_id: the canonical agency (agencies.agency_id)
--   year: a statistical year between the agency's first and last report years
--   ok: true when the agency has a report for this year; false when the year is missing
--   detail: the report, or the reported years around the missing one
--   report_id: the report of this year (agency_year_reports.report_id); NULL when missing
--   previous_report_year: the agency's last report year before this one; NULL for the first
--   next_report_year: the agency's next report year after this one; NULL for the last
CREATE OR REPLACE TABLE quality_missing_years AS
WITH report_years AS (
    SELECT agency_id, year, report_id
    FROM agency_year_reports
),

agency_spans AS (
    SELECT agency_id, min(year) AS first_year, max(year) AS last_year
    FROM report_years
    GROUP BY agency_id
),

expected_years AS (
    SELECT agency_id, CAST(unnest(range(first_year, last_year + 1)) AS INTEGER) AS year
    FROM agency_spans
),

years_with_neighbours AS (
    SELECT
        expected_years.agency_id,
        expected_years.year,
        report_years.report_id,
        max(report_years.year) OVER (
            PARTITION BY expected_years.agency_id ORDER BY expected_years.year
            ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
        ) AS previous_report_year,
        min(report_years.year) OVER (
            PARTITION BY expected_years.agency_id ORDER BY expected_years.year
            ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING
        ) AS next_report_year
    FROM expected_years
    LEFT JOIN report_years USING (agency_id, year)
)

SELECT
    agency_id,
    year,
    report_id IS NOT NULL AS ok,
    CASE
        WHEN report_id IS NOT NULL THEN format('report {}', report_id)
        ELSE format('no report for {} (reports for {} and {})', year, previous_report_year, next_report_year)
    END AS detail,
    report_id,
    previous_report_year,
    next_report_year
FROM years_with_neighbours
ORDER BY agency_id, year
