-- One row per agency and statistical year, from table 3's 总计 (total) column as printed:
-- intake (new_received, carried_over), each outcome group (granted, partial, denied, unable,
-- not_processed, other), processed_total (（七）总计) and carried_forward (结转下年度继续办理).
-- Outcome groups come from vocabulary.group_code, so subtotal rows some publishers add stay out.
-- Counts are integers (BIGINT). Blanks: a blank or placeholder cell has a NULL value; a group's sum ignores it and is NULL only when
-- every cell of the group is blank. `non_numeric_cells` counts such cells: a blank is not a zero.
-- Duplicates: when several files give the same agency-year, the report parsed `ok` with the most facts
-- is used (`report_id` names it) and `other_reports` counts the rest.
CREATE OR REPLACE TABLE applications_by_agency_year AS
WITH candidate_reports AS (
    SELECT
        report_id,
        row_number() OVER (
            PARTITION BY agency_id, year ORDER BY (status = 'ok') DESC, n_facts DESC, report_id
        ) AS preference,
        count(*) OVER (PARTITION BY agency_id, year) - 1 AS other_reports
    FROM reports
    WHERE agency_id IS NOT NULL AND year IS NOT NULL AND n_facts > 0
),

total_column_cells AS (
    SELECT
        facts.report_id,
        facts.agency_id,
        facts.agency,
        facts.year,
        facts.template,
        facts.category,
        vocabulary.group_code,
        facts.value,
        facts.value_status
    FROM facts
    INNER JOIN vocabulary
        ON vocabulary.section = facts.section
        AND vocabulary.kind = 'category'
        AND vocabulary.code = facts.category
    WHERE facts.section = 'applications' AND facts.applicant_type = 'total' AND facts.source = 'table'
)

SELECT
    cells.agency_id,
    any_value(cells.agency) AS agency,
    cells.year,
    any_value(cells.template) AS template,
    cells.report_id,
    CAST(sum(cells.value) FILTER (WHERE cells.category = 'new_received') AS BIGINT) AS new_received,
    CAST(sum(cells.value) FILTER (WHERE cells.category = 'carried_over') AS BIGINT) AS carried_over,
    CAST(sum(cells.value) FILTER (WHERE cells.group_code = 'granted') AS BIGINT) AS granted,
    CAST(sum(cells.value) FILTER (WHERE cells.group_code = 'partial') AS BIGINT) AS partial,
    CAST(sum(cells.value) FILTER (WHERE cells.group_code = 'denied') AS BIGINT) AS denied,
    CAST(sum(cells.value) FILTER (WHERE cells.group_code = 'unable') AS BIGINT) AS unable,
    CAST(sum(cells.value) FILTER (WHERE cells.group_code = 'not_processed') AS BIGINT) AS not_processed,
    CAST(sum(cells.value) FILTER (WHERE cells.group_code = 'other') AS BIGINT) AS other,
    CAST(sum(cells.value) FILTER (WHERE cells.category = 'processed_total') AS BIGINT) AS processed_total,
    CAST(sum(cells.value) FILTER (WHERE cells.category = 'carried_forward') AS BIGINT) AS carried_forward,
    count(*) FILTER (WHERE cells.value_status <> 'number') AS non_numeric_cells,
    any_value(candidate_reports.other_reports) AS other_reports
FROM total_column_cells AS cells
INNER JOIN candidate_reports
    ON candidate_reports.report_id = cells.report_id AND candidate_reports.preference = 1
GROUP BY cells.agency_id, cells.year, cells.report_id
ORDER BY cells.agency_id, cells.year
