-- One row per agency and statistical year that has at least one parsed report (status ok or partial), naming
-- the report every agency-year model reads (`report_id`). When one agency-year has several different reports,
-- the choice is deterministic: a report parsed `ok` before a `partial` one, then the one with the most facts,
-- then the smallest report_id; `n_reports` and `other_report_ids` say what was left aside (quality_duplicates
-- lists them as findings). Byte-identical copies are `skipped` in reports and never candidates.
--
-- Incremental: by agency_id
--
-- Columns:
--   agency_id: the canonical agency (agencies.agency_id)
--   year: statistical year of the report
--   report_id: the report used for this agency-year
--   agency: the agency's name as printed in that report
--   template: template of that report (2021, 2019 or legacy)
--   scope: scope of that report (agency, government or regional_aggregate)
--   status: parse status of that report (ok or partial)
--   n_facts: facts the report gave
--   n_reports: different parsed reports for this agency-year (1 when there is no duplicate)
--   other_report_ids: the reports not used, by report_id (empty when there is no duplicate)
CREATE OR REPLACE TABLE agency_year_reports AS
WITH parsed_reports AS (
    SELECT report_id, agency_id, year, agency, template, scope, status, n_facts
    FROM reports
    WHERE status IN ('ok', 'partial') AND agency_id IS NOT NULL AND year IS NOT NULL
),

ranked_reports AS (
    SELECT
        *,
        row_number() OVER (
            PARTITION BY agency_id, year ORDER BY (status = 'ok') DESC, n_facts DESC, report_id
        ) AS preference,
        count(*) OVER (PARTITION BY agency_id, year) AS n_reports
    FROM parsed_reports
),

reports_left_aside AS (
    SELECT agency_id, year, list(report_id ORDER BY report_id) AS other_report_ids
    FROM ranked_reports
    WHERE preference > 1
    GROUP BY agency_id, year
)

SELECT
    chosen.agency_id,
    chosen.year,
    chosen.report_id,
    chosen.agency,
    chosen.template,
    chosen.scope,
    chosen.status,
    chosen.n_facts,
    chosen.n_reports,
    coalesce(reports_left_aside.other_report_ids, []) AS other_report_ids
FROM ranked_reports AS chosen
LEFT JOIN reports_left_aside USING (agency_id, year)
WHERE chosen.preference = 1
ORDER BY chosen.agency_id, chosen.year
