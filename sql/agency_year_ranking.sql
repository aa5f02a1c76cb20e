-- Agencies ranked within each statistical year by new applications (一、本年新收) and by disclosure rate
-- = (予以公开 + 部分公开) / （七）总计, both from the 总计 column. Rank 1 is the highest; ties share a rank.
-- The rate is NULL when nothing was processed or when both 予以公开 and 部分公开 are blank, and NULL
-- values rank last; one blank of the two counts as 0.
CREATE OR REPLACE TABLE agency_year_ranking AS
WITH agency_years AS (
    SELECT
        agency_id,
        agency,
        year,
        new_received,
        granted,
        partial,
        processed_total,
        CASE
            WHEN granted IS NULL AND partial IS NULL THEN NULL
            ELSE (coalesce(granted, 0) + coalesce(partial, 0)) / nullif(processed_total, 0)
        END AS disclosure_rate
    FROM applications_by_agency_year
)

SELECT
    year,
    agency_id,
    agency,
    new_received,
    rank() OVER (PARTITION BY year ORDER BY new_received DESC NULLS LAST) AS rank_by_new_applications,
    disclosure_rate,
    rank() OVER (PARTITION BY year ORDER BY disclosure_rate DESC NULLS LAST) AS rank_by_disclosure_rate,
    count(*) OVER (PARTITION BY year) AS agencies_in_year
FROM agency_years
ORDER BY year, rank_by_new_applications, agency_id
