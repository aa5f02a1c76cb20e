-- Ratios per agency and statistical year, each defined once here, long: one row per agency-year and metric
-- that has a numerator or a denominator. value = numerator / denominator; NULL when either is NULL or the
-- denominator is 0 (never an error or infinity). Sums inside a numerator or denominator leave blanks out and
-- are NULL only when every part is blank. Core figures come from core_indicators (so pre-2019 years have the
-- ratios their indicators allow, with the caveats of core_indicators.comparability_note); refusal reasons,
-- 本机关不掌握 and applicant types come from table 3 of the same report (2019+ only).
--   disclosure_rate             (granted + partial) / processed                     (予以公开 + 部分公开) / （七）总计
--   disclosure_rate_of_intake   (granted + partial) / (applications_received + applications_carried_over)
--   disclosure_rate_of_new      (granted + partial) / applications_received
--   refusal_rate                denied / processed
--   refusal_share_<reason>      one 不予公开 reason (e.g. refusal_share_state_secret) / denied, its total column
--   not_held_share              本机关不掌握相关政府信息 / processed
--   applicant_share_legal_person  法人或其他组织 (the five org columns) / 总计, in row 一、本年新收
--   applicant_share_<type>      one applicant column (natural_person, org_commercial, org_research, org_social,
--                               org_legal_service, org_other) / 总计, in row 一、本年新收
--   carry_forward_rate          carried_forward / (applications_received + applications_carried_over)
--   reconsideration_correction_rate  reconsideration_corrected / decided cases (upheld + corrected + other)
--   litigation_correction_rate  litigation_corrected / decided cases (upheld + corrected + other)
--   dispute_rate                (reconsideration_total + litigation_total) / applications_received
--
-- Incremental: by agency_id
--
-- Columns:
--   agency_id: the canonical agency (agencies.agency_id)
--   year: statistical year of the report
--   metric: the metric's name (list above)
--   value: numerator / denominator; NULL when either is NULL or the denominator is 0
--   numerator: the numerator as defined above
--   denominator: the denominator as defined above
--   template: template of the report (2021, 2019 or legacy)
--   report_id: the report the figures come from (agency_year_reports.report_id)
CREATE OR REPLACE TABLE derived_metrics AS
WITH core_by_agency_year AS (
    SELECT
        agency_id,
        year,
        any_value(report_id) AS report_id,
        any_value(template) AS template,
        max(value) FILTER (WHERE indicator = 'applications_received') AS applications_received,
        max(value) FILTER (WHERE indicator = 'applications_carried_over') AS applications_carried_over,
        max(value) FILTER (WHERE indicator = 'processed') AS processed,
        max(value) FILTER (WHERE indicator = 'granted') AS granted,
        max(value) FILTER (WHERE indicator = 'partial') AS partial,
        max(value) FILTER (WHERE indicator = 'denied') AS denied,
        max(value) FILTER (WHERE indicator = 'carried_forward') AS carried_forward,
        max(value) FILTER (WHERE indicator = 'reconsideration_total') AS reconsideration_total,
        max(value) FILTER (WHERE indicator = 'reconsideration_upheld') AS reconsideration_upheld,
        max(value) FILTER (WHERE indicator = 'reconsideration_corrected') AS reconsideration_corrected,
        max(value) FILTER (WHERE indicator = 'reconsideration_other') AS reconsideration_other,
        max(value) FILTER (WHERE indicator = 'litigation_total') AS litigation_total,
        max(value) FILTER (WHERE indicator = 'litigation_upheld') AS litigation_upheld,
        max(value) FILTER (WHERE indicator = 'litigation_corrected') AS litigation_corrected,
        max(value) FILTER (WHERE indicator = 'litigation_other') AS litigation_other
    FROM core_indicators
    GROUP BY agency_id, year
),

core_ratios AS (
    SELECT agency_id, year, metric, numerator, denominator
    FROM core_by_agency_year,
        LATERAL (
            VALUES
            ('disclosure_rate', list_sum([granted, partial]), processed),
            (
                'disclosure_rate_of_intake',
                list_sum([granted, partial]),
                list_sum([applications_received, applications_carried_over])
            ),
            ('disclosure_rate_of_new', list_sum([granted, partial]), applications_received),
            ('refusal_rate', denied, processed),
            (
                'carry_forward_rate',
                carried_forward,
                list_sum([applications_received, applications_carried_over])
            ),
            (
                'reconsideration_correction_rate',
                reconsideration_corrected,
                list_sum([reconsideration_upheld, reconsideration_corrected, reconsideration_other])
            ),
            (
                'litigation_correction_rate',
                litigation_corrected,
                list_sum([litigation_upheld, litigation_corrected, litigation_other])
            ),
            ('dispute_rate', list_sum([reconsideration_total, litigation_total]), applications_received)
        ) AS ratios (metric, numerator, denominator)
),

table3_cells AS (
    SELECT
        used.agency_id,
        used.year,
        facts.category,
        facts.applicant_type,
        applicant_types.group_code AS applicant_group,
        reasons.code IS NOT NULL AS is_refusal_reason,
        facts.value
    FROM agency_year_reports AS used
    INNER JOIN facts ON facts.report_id = used.report_id
    LEFT JOIN vocabulary AS applicant_types
        ON applicant_types.section = 'applications'
        AND applicant_types.kind = 'applicant_type'
        AND applicant_types.code = facts.applicant_type
    LEFT JOIN vocabulary AS reasons
        ON reasons.section = 'applications'
        AND reasons.kind = 'category'
        AND reasons.group_code = 'denied'
        AND reasons.code = facts.category
    WHERE facts.section = 'applications' AND facts.source = 'table'
),

refusal_reason_shares AS (
    SELECT
        cells.agency_id,
        cells.year,
        'refusal_share_' || replace(cells.category, 'denied_', '') AS metric,
        cells.value AS numerator,
        core.denied AS denominator
    FROM table3_cells AS cells
    INNER JOIN core_by_agency_year AS core USING (agency_id, year)
    WHERE cells.is_refusal_reason AND cells.applicant_type = 'total'
),

not_held_shares AS (
    SELECT cells.agency_id, cells.year, 'not_held_share' AS metric, cells.value AS numerator, core.processed AS denominator
    FROM table3_cells AS cells
    INNER JOIN core_by_agency_year AS core USING (agency_id, year)
    WHERE cells.category = 'unable_not_held' AND cells.applicant_type = 'total'
),

new_applications_by_applicant AS (
    SELECT agency_id, year, applicant_type, applicant_group, value
    FROM table3_cells
    WHERE category = 'new_received'
),

new_applications_total AS (
    SELECT agency_id, year, value AS total
    FROM new_applications_by_applicant
    WHERE applicant_type = 'total'
),

applicant_shares AS (
    SELECT by_type.agency_id, by_type.year, 'applicant_share_' || by_type.applicant_type AS metric,
        by_type.value AS numerator, totals.total AS denominator
    FROM new_applications_by_applicant AS by_type
    INNER JOIN new_applications_total AS totals USING (agency_id, year)
    WHERE by_type.applicant_type = 'natural_person' OR by_type.applicant_group = 'org'
    UNION ALL
    SELECT by_type.agency_id, by_type.year, 'applicant_share_legal_person' AS metric,
        sum(by_type.value) AS numerator, any_value(totals.total) AS denominator
    FROM new_applications_by_applicant AS by_type
    INNER JOIN new_applications_total AS totals USING (agency_id, year)
    WHERE by_type.applicant_group = 'org'
    GROUP BY by_type.agency_id, by_type.year
),

all_ratios AS (
    SELECT * FROM core_ratios
    UNION ALL
    SELECT * FROM refusal_reason_shares
    UNION ALL
    SELECT * FROM not_held_shares
    UNION ALL
    SELECT * FROM applicant_shares
)

SELECT
    all_ratios.agency_id,
    all_ratios.year,
    all_ratios.metric,
    all_ratios.numerator / nullif(all_ratios.denominator, 0) AS value,
    all_ratios.numerator,
    all_ratios.denominator,
    core.template,
    core.report_id
FROM all_ratios
INNER JOIN core_by_agency_year AS core USING (agency_id, year)
WHERE all_ratios.numerator IS NOT NULL OR all_ratios.denominator IS NOT NULL
ORDER BY all_ratios.agency_id, all_ratios.year, all_ratios.metric
