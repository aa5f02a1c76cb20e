-- The core application series wide, for reading by eye: one row per agency and statistical year, one column per
-- core indicator of applications (core_indicators, where the meaning, the pre-2019 mapping and the caveats are
-- documented). Blank is not zero: a figure whose cells are all blank, or that the report does not give (e.g.
-- 上年结转 before 2019), is NULL. Counts are integers (BIGINT).
--
-- Incremental: by agency_id
--
-- Columns:
--   agency_id: the canonical agency (agencies.agency_id)
--   agency: the agency's name as printed in the report used
--   year: statistical year of the report
--   template: template of the report (2021, 2019 or legacy)
--   report_id: the report used (agency_year_reports.report_id; the rule for duplicates is there)
--   new_received: 一、本年新收 (core indicator applications_received)
--   carried_over: 二、上年结转 (applications_carried_over)
--   granted: （一）予以公开
--   partial: （二）部分公开
--   denied: （三）不予公开, its eight reasons added up
--   unable: （四）无法提供, its three reasons added up
--   not_processed: （五）不予处理, its five reasons added up
--   other: （六）其他处理 (2019: one row; 2021: three rows added up)
--   processed_total: （七）总计 (core indicator processed)
--   carried_forward: 四、结转下年度继续办理
--   other_reports: other reports for this agency-year, not used (agency_year_reports.n_reports - 1)
CREATE OR REPLACE TABLE applications_by_agency_year AS
WITH application_counts AS (
    SELECT
        agency_id,
        year,
        CAST(max(value) FILTER (WHERE indicator = 'applications_received') AS BIGINT) AS new_received,
        CAST(max(value) FILTER (WHERE indicator = 'applications_carried_over') AS BIGINT) AS carried_over,
        CAST(max(value) FILTER (WHERE indicator = 'granted') AS BIGINT) AS granted,
        CAST(max(value) FILTER (WHERE indicator = 'partial') AS BIGINT) AS partial,
        CAST(max(value) FILTER (WHERE indicator = 'denied') AS BIGINT) AS denied,
        CAST(max(value) FILTER (WHERE indicator = 'unable') AS BIGINT) AS unable,
        CAST(max(value) FILTER (WHERE indicator = 'not_processed') AS BIGINT) AS not_processed,
        CAST(max(value) FILTER (WHERE indicator = 'other') AS BIGINT) AS other,
        CAST(max(value) FILTER (WHERE indicator = 'processed') AS BIGINT) AS processed_total,
        CAST(max(value) FILTER (WHERE indicator = 'carried_forward') AS BIGINT) AS carried_forward
    FROM core_indicators
    GROUP BY agency_id, year
)

SELECT
    used.agency_id,
    used.agency,
    used.year,
    used.template,
    used.report_id,
    counts.new_received,
    counts.carried_over,
    counts.granted,
    counts.partial,
    counts.denied,
    counts.unable,
    counts.not_processed,
    counts.other,
    counts.processed_total,
    counts.carried_forward,
    used.n_reports - 1 AS other_reports
FROM agency_year_reports AS used
INNER JOIN application_counts AS counts USING (agency_id, year)
ORDER BY used.agency_id, used.year
