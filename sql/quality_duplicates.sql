-- Agency-years with more than one file. Byte-identical copies are parsed once (the copy is `skipped` in reports
-- and takes the agency-year of the file with the same content_hash): deduplicated, ok = true. Two or more
-- different parsed reports are all kept and flagged, ok = false; every model reads the one agency_year_reports
-- chooses (`report_id`), and detail names the others.
--
-- Columns:
--   agency_id: the canonical agency (agencies.agency_id)
--   year: statistical year of the reports
--   ok: true when every extra file is an identical copy; false when different reports give this agency-year
--   detail: which files, which one is used and why the others are not
--   report_id: the report used (agency_year_reports.report_id)
--   n_files: files for this agency-year, identical copies included
--   different_report_ids: the parsed (different) reports for this agency-year
--   identical_copy_ids: the skipped byte-identical copies
CREATE OR REPLACE TABLE quality_duplicates AS
WITH parsed_files AS (
    SELECT report_id, agency_id, year, content_hash
    FROM reports
    WHERE status IN ('ok', 'partial') AND agency_id IS NOT NULL AND year IS NOT NULL
),

identical_copies AS (
    SELECT copies.report_id, original.agency_id, original.year
    FROM reports AS copies
    INNER JOIN parsed_files AS original ON original.content_hash = copies.content_hash
    WHERE copies.status = 'skipped'
),

files_by_agency_year AS (
    SELECT
        agency_id,
        year,
        list(report_id ORDER BY report_id) FILTER (WHERE NOT is_copy) AS different_report_ids,
        coalesce(list(report_id ORDER BY report_id) FILTER (WHERE is_copy), []) AS identical_copy_ids,
        count(*) AS n_files
    FROM (
        SELECT report_id, agency_id, year, false AS is_copy FROM parsed_files
        UNION ALL
        SELECT report_id, agency_id, year, true AS is_copy FROM identical_copies
    )
    GROUP BY agency_id, year
    HAVING count(*) > 1
)

SELECT
    files.agency_id,
    files.year,
    len(files.different_report_ids) = 1 AS ok,
    CASE
        WHEN len(files.different_report_ids) = 1
            THEN format(
                '{} files, identical: {} parsed once, copies {} skipped',
                files.n_files,
                used.report_id,
                array_to_string(files.identical_copy_ids, ', ')
            )
        ELSE format(
            '{} different reports: {} used ({}), {} kept aside',
            len(files.different_report_ids),
            used.report_id,
            'parsed ok first, then most facts, then report_id',
            array_to_string(used.other_report_ids, ', ')
        )
    END AS detail,
    used.report_id,
    files.n_files,
    files.different_report_ids,
    files.identical_copy_ids
FROM files_by_agency_year AS files
INNER JOIN agency_year_reports AS used USING (agency_id, year)
ORDER BY files.agency_id, files.year
