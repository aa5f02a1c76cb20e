-- Continuity of the application backlog across an agency's reports: 二、上年结转 (applications_carried_over) in
-- year t must equal 四、结转下年度继续办理 (carried_forward) in year t-1 (core_indicators, the reports chosen by
-- agency_year_reports). One row per agency-year with a 2019+ report. ok is true when they are equal, false when
-- they differ (a finding), and NULL when the rule cannot be evaluated: no report for t-1 (the backlog of an
-- earlier year went into t-1's intake, so it is never compared across the gap; quality_missing_years lists the
-- gap), a pre-2019 report for t-1 (no 结转下年度 row existed), or a blank figure on either side.
--
-- Incremental: by agency_id
--
-- Columns:
--   agency_id: the canonical agency (agencies.agency_id)
--   year: statistical year t of the report
--   ok: true when 上年结转 (t) = 结转下年度继续办理 (t-1); false when not; NULL when not evaluable (see detail)
--   detail: the two figures compared, or why they could not be
--   carried_over: 上年结转 in year t
--   previous_year: t - 1
--   previous_carried_forward: 结转下年度继续办理 in year t-1; NULL when there is no such figure
--   report_id: the report of year t (agency_year_reports.report_id)
--   previous_report_id: the report of year t-1; NULL when there is none
CREATE OR REPLACE TABLE quality_continuity AS
WITH backlog AS (
    SELECT
        agency_id,
        year,
        max(value) FILTER (WHERE indicator = 'applications_carried_over') AS carried_over,
        max(value) FILTER (WHERE indicator = 'carried_forward') AS carried_forward
    FROM core_indicators
    GROUP BY agency_id, year
),

agency_years AS (
    SELECT used.agency_id, used.year, used.report_id, used.template, backlog.carried_over, backlog.carried_forward
    FROM agency_year_reports AS used
    LEFT JOIN backlog USING (agency_id, year)
),

compared AS (
    SELECT
        this_year.agency_id,
        this_year.year,
        this_year.carried_over,
        this_year.year - 1 AS previous_year,
        previous.carried_forward AS previous_carried_forward,
        this_year.report_id,
        previous.report_id AS previous_report_id,
        previous.template AS previous_template,
        -- counts, shown without a trailing .0
        coalesce(regexp_replace(this_year.carried_over::VARCHAR, '\.0$', ''), 'blank') AS carried_over_shown,
        coalesce(regexp_replace(previous.carried_forward::VARCHAR, '\.0$', ''), 'blank') AS carried_forward_shown
    FROM agency_years AS this_year
    LEFT JOIN agency_years AS previous
        ON previous.agency_id = this_year.agency_id AND previous.year = this_year.year - 1
    WHERE this_year.template <> 'legacy'
)

SELECT
    agency_id,
    year,
    CASE
        WHEN carried_over IS NOT NULL AND previous_carried_forward IS NOT NULL
            THEN carried_over = previous_carried_forward
    END AS ok,
    CASE
        WHEN previous_report_id IS NULL
            THEN format('no report for {}: 上年结转 {} not checked', previous_year, carried_over_shown)
        WHEN previous_template = 'legacy'
            THEN format(
                'the {} report is pre-2019 (no 结转下年度 row): 上年结转 {} not checked', previous_year, carried_over_shown
            )
        WHEN carried_over IS NULL OR previous_carried_forward IS NULL
            THEN format(
                '上年结转 {} vs 结转下年度继续办理 {} of {}: blank, not checked',
                carried_over_shown,
                carried_forward_shown,
                previous_year
            )
        ELSE format(
            '上年结转 {} vs 结转下年度继续办理 {} of {}', carried_over_shown, carried_forward_shown, previous_year
        )
    END AS detail,
    carried_over,
    previous_year,
    previous_carried_forward,
    report_id,
    previous_report_id
FROM compared
ORDER BY agency_id, year
