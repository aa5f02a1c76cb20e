-- Year-over-year change per agency and measure of applications_by_agency_year (intake, each outcome
-- group, processed_total, carried_forward), against the agency's previous report year (which may be
-- more than one year back: `years_apart` says how far). The first report of an agency has no previous
-- value. pct_change is NULL when the previous value is 0 or NULL (no meaningful ratio).
CREATE OR REPLACE TABLE applications_yoy AS
WITH measures AS (
    SELECT agency_id, agency, year, measure, value
    FROM applications_by_agency_year
    UNPIVOT INCLUDE NULLS (
        value FOR measure IN (
            new_received, carried_over, granted, partial, denied, unable, not_processed, other,
            processed_total, carried_forward
        )
    )
),

with_previous AS (
    SELECT
        agency_id,
        agency,
        year,
        measure,
        value,
        lag(year) OVER by_agency_measure AS previous_year,
        lag(value) OVER by_agency_measure AS previous_value
    FROM measures
    WINDOW by_agency_measure AS (PARTITION BY agency_id, measure ORDER BY year)
)

SELECT
    agency_id,
    agency,
    year,
    measure,
    value,
    previous_year,
    year - previous_year AS years_apart,
    previous_value,
    value - previous_value AS change,
    round(100.0 * (value - previous_value) / nullif(previous_value, 0), 1) AS pct_change
FROM with_previous
ORDER BY agency_id, measure, year
