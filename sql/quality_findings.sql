-- Every data-quality finding in one table, one row per finding (ok is always false): the offending rows of
-- quality_continuity, quality_duplicates, quality_missing_years and quality_prose_vs_table, plus every failed
-- rule of the parser (check_results other than the two agreement rules, which quality_prose_vs_table holds).
-- Rows whose rule could not be evaluated (ok NULL) are not findings.
--
-- Columns:
--   agency_id: the canonical agency (agencies.agency_id); NULL when the report's agency is unknown
--   year: statistical year concerned
--   ok: false (every row is a finding)
--   detail: what is wrong, as the model or the parser wrote it
--   check_name: the quality model (quality_continuity, …) or the parser rule (check_results.name)
--   report_id: the report concerned, where there is one
CREATE OR REPLACE TABLE quality_findings AS
WITH parser_findings AS (
    SELECT
        reports.agency_id,
        reports.year,
        check_results.ok,
        concat_ws(' ', check_results.section, check_results."column", check_results.category)
        || ': ' || check_results.detail AS detail,
        check_results.name AS check_name,
        check_results.report_id
    FROM check_results
    INNER JOIN reports ON reports.report_id = check_results.report_id
    WHERE NOT check_results.ok
        AND check_results.name NOT IN ('narrative_table_agreement', 'legacy_prose_table_agreement')
),

all_findings AS (
    SELECT agency_id, year, ok, detail, 'quality_continuity' AS check_name, report_id
    FROM quality_continuity
    UNION ALL
    SELECT agency_id, year, ok, detail, 'quality_duplicates' AS check_name, report_id
    FROM quality_duplicates
    UNION ALL
    SELECT agency_id, year, ok, detail, 'quality_missing_years' AS check_name, report_id
    FROM quality_missing_years
    UNION ALL
    SELECT agency_id, year, ok, detail, 'quality_prose_vs_table' AS check_name, report_id
    FROM quality_prose_vs_table
    UNION ALL
    SELECT agency_id, year, ok, detail, check_name, report_id
    FROM parser_findings
)

SELECT agency_id, year, ok, detail, check_name, report_id
FROM all_findings
WHERE ok = false
ORDER BY agency_id, year, check_name, report_id, detail
