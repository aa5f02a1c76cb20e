-- Agencies ranked within each statistical year on every core indicator and derived metric (indicator_values):
-- overall, within their province and within their agency type (agencies). Rank 1 is the highest value; ties
-- share a rank (rank(), so the next rank skips). Only values that are not NULL are ranked, and regional-
-- aggregate reports are left out (a summary of many agencies is not comparable with one agency).
-- rank_in_province / rank_in_type are NULL when the agency's province / type is unknown.
--
-- Incremental: by year
--
-- Columns:
--   year: statistical year of the report
--   series: core or derived (indicator_values.series)
--   indicator: the core indicator or derived metric
--   agency_id: the canonical agency (agencies.agency_id)
--   value: the agency's value
--   rank_overall: rank among all agencies ranked on this indicator in this year
--   rank_in_province: rank among those of the same province (agencies.province)
--   rank_in_type: rank among those of the same agency type (agencies.agency_type)
--   agencies_ranked: agencies ranked on this indicator in this year
--   province: the agency's province (agencies.province)
--   agencies_in_province: agencies of that province ranked on this indicator in this year
--   agency_type: the agency's type (agencies.agency_type)
--   agencies_in_type: agencies of that type ranked on this indicator in this year
CREATE OR REPLACE TABLE indicator_rankings AS
WITH rankable_values AS (
    SELECT
        indicator_values.year,
        indicator_values.series,
        indicator_values.indicator,
        indicator_values.agency_id,
        indicator_values.value,
        agencies.province,
        agencies.agency_type
    FROM indicator_values
    LEFT JOIN agencies ON agencies.agency_id = indicator_values.agency_id
    WHERE indicator_values.value IS NOT NULL AND indicator_values.scope IS DISTINCT FROM 'regional_aggregate'
)

SELECT
    year,
    series,
    indicator,
    agency_id,
    value,
    rank() OVER (PARTITION BY year, series, indicator ORDER BY value DESC) AS rank_overall,
    CASE
        WHEN province IS NOT NULL THEN rank() OVER (PARTITION BY year, series, indicator, province ORDER BY value DESC)
    END AS rank_in_province,
    CASE
        WHEN agency_type IS NOT NULL
            THEN rank() OVER (PARTITION BY year, series, indicator, agency_type ORDER BY value DESC)
    END AS rank_in_type,
    count(*) OVER (PARTITION BY year, series, indicator) AS agencies_ranked,
    province,
    CASE WHEN province IS NOT NULL THEN count(*) OVER (PARTITION BY year, series, indicator, province) END
        AS agencies_in_province,
    agency_type,
    CASE WHEN agency_type IS NOT NULL THEN count(*) OVER (PARTITION BY year, series, indicator, agency_type) END
        AS agencies_in_type
FROM rankable_values
ORDER BY year, series, indicator, rank_overall, agency_id
