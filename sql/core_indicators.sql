-- The harmonised core series, long: one row per agency, statistical year and indicator, comparable from the
-- pre-2019 reports to today. Which fact codes feed which indicator is data: vocabulary.core_indicator (see
-- docs/vocabulary.md), with `{metric}` standing for the fact's metric (`count` -> `total`), so table 4 gives
-- reconsideration_/litigation_ upheld, corrected, other, pending and total. Indicators: applications_received,
-- applications_carried_over, processed, granted, partial, denied, unable, not_processed, other (2019's single
-- 其他处理 row and 2021's three sub-rows both roll up here), carried_forward, reconsideration_*, litigation_*
-- (直接起诉 + 复议后起诉), proactive_disclosures (2019+: the prose's 主动公开政府信息N条, table 2 has no total).
-- Table 2 measures are not harmonised (2019 and 2021 measure different things): they stay in facts.
-- Pre-2019 indicators map in where the meaning is the same; where it is not, comparability_note says so (from
-- vocabulary.core_note), as it does for figures taken from the prose and for regional aggregates.
-- Numbers come from the report agency_year_reports chooses (`report_id`). Table 3 is read in its 总计 column.
-- A table figure wins over the prose; the prose fills in where the table has no number (the first statement
-- of each counts, as in the parser's agreement checks). Blank is not zero: blank, placeholder and unreadable
-- cells are NULL and left out of a sum, and a sum over only such cells is NULL.
--
-- Incremental: by agency_id
--
-- Columns:
--   agency_id: the canonical agency (agencies.agency_id)
--   year: statistical year of the report
--   indicator: the harmonised indicator (vocabulary.core_indicator)
--   value: the figure; NULL when every cell behind it is blank, a placeholder or unreadable
--   template: template of the report (2021, 2019 or legacy)
--   report_id: the report the figure comes from (agency_year_reports.report_id)
--   source: table (a statistics table) or prose (a figure stated in the text)
--   comparability_note: how this figure differs from the 2019+ table-3/4 meaning, where it does; NULL otherwise
CREATE OR REPLACE TABLE core_indicators AS
WITH core_codes AS (
    SELECT section, code AS category, core_indicator, nullif(core_note, '') AS core_note
    FROM vocabulary
    WHERE kind = 'category' AND core_indicator <> ''
),

core_facts AS (
    SELECT facts.report_id, facts.source, facts.section, facts.category, facts.metric, facts.value, facts.line
    FROM facts
    SEMI JOIN agency_year_reports AS used ON facts.report_id = used.report_id
    SEMI JOIN core_codes ON core_codes.section = facts.section AND core_codes.category = facts.category
    WHERE facts.section <> 'applications' OR facts.applicant_type = 'total'
),

-- the prose may state a figure twice: the first statement of each source counts (the report's own columns
-- and the indicator are joined after this step and the next: grouping 3 million facts on few columns is cheap)
first_statements AS (
    SELECT report_id, source, section, category, metric, arg_min_null(value, line) AS value
    FROM core_facts
    GROUP BY report_id, source, section, category, metric
),

indicator_by_source AS (
    SELECT
        first_statements.report_id,
        replace(
            core_codes.core_indicator,
            '{metric}',
            CASE first_statements.metric WHEN 'count' THEN 'total' ELSE first_statements.metric END
        ) AS indicator,
        first_statements.source,
        sum(first_statements.value) AS value,
        count(first_statements.value) AS numeric_cells,
        count(*) AS cells,
        nullif(array_to_string(list_sort(list_distinct(list(core_codes.core_note))), '; '), '') AS core_note
    FROM first_statements
    INNER JOIN core_codes USING (section, category)
    GROUP BY first_statements.report_id, indicator, first_statements.source
),

indicator_from_best_source AS (
    SELECT *
    FROM indicator_by_source
    QUALIFY row_number() OVER (
        PARTITION BY report_id, indicator ORDER BY (numeric_cells > 0) DESC, (source = 'table') DESC
    ) = 1
)

SELECT
    used.agency_id,
    used.year,
    best.indicator,
    best.value,
    used.template,
    best.report_id,
    best.source,
    nullif(
        concat_ws(
            '; ',
            best.core_note,
            CASE WHEN best.source = 'prose' THEN 'stated in the prose' END,
            CASE
                WHEN best.numeric_cells = 0 THEN 'every cell blank or unreadable'
                WHEN best.numeric_cells < best.cells
                    THEN format('{} of {} cells blank or unreadable, left out of the sum', best.cells - best.numeric_cells, best.cells)
            END,
            CASE WHEN used.scope = 'regional_aggregate' THEN 'regional aggregate: sums many agencies' END
        ),
        ''
    ) AS comparability_note
FROM indicator_from_best_source AS best
INNER JOIN agency_year_reports AS used ON best.report_id = used.report_id
ORDER BY used.agency_id, used.year, best.indicator
