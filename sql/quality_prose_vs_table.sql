-- Figures a report states both in its prose and in a table, compared by the parser (check_results
-- narrative_table_agreement for 2019+ reports: 收到申请, 上年结转, 行政复议, 行政诉讼 against the table's 总计;
-- legacy_prose_table_agreement for pre-2019 reports: the same indicator in the prose and in the statistics
-- table, the first statement of each). One row per comparison; ok = false when the prose contradicts the table
-- or the table cell could not be read. core_indicators takes the table's figure when it is a number.
--
-- Incremental: by agency_id
--
-- Columns:
--   agency_id: the canonical agency (agencies.agency_id)
--   year: statistical year of the report
--   ok: true when prose and table agree; false when they differ or the table cell is unreadable
--   detail: the two figures and their lines, as the parser wrote them
--   report_id: the report compared
--   check_name: narrative_table_agreement or legacy_prose_table_agreement
--   figure: the figure compared (narrative or legacy category code)
--   prose_value: the figure in the prose
--   table_value: the figure in the table; NULL when the table cell is unreadable
--   used_in_core: true when this report is the one agency_year_reports chose for the agency-year
CREATE OR REPLACE TABLE quality_prose_vs_table AS
SELECT
    reports.agency_id,
    reports.year,
    check_results.ok,
    check_results.detail,
    check_results.report_id,
    check_results.name AS check_name,
    check_results.category AS figure,
    check_results.actual AS prose_value,
    check_results.expected AS table_value,
    used.report_id IS NOT NULL AS used_in_core
FROM check_results
INNER JOIN reports ON reports.report_id = check_results.report_id
LEFT JOIN agency_year_reports AS used ON used.report_id = check_results.report_id
WHERE check_results.name IN ('narrative_table_agreement', 'legacy_prose_table_agreement')
ORDER BY reports.agency_id, reports.year, check_results.report_id, check_results.name, check_results.category
