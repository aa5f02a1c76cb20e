"""Government information-disclosure annual reports -> an analytical DuckDB warehouse.

The package follows the data flow, one module per step:

    decode.py        raw bytes            -> text lines (encoding detected, nothing rewritten)
    readers/         text lines           -> Document: paragraphs and table cells, each with its source line
    extract/         Document             -> report metadata and facts coded with vocabulary.csv
    checks.py        facts                -> consistency findings (never change a value)
    parse.py         one file             -> ParsedReport (the steps above, errors collected, never raised)
    warehouse.py     ParsedReports        -> Parquet + DuckDB, published atomically
    sql_models.py    sql/*.sql            -> model tables inside the warehouse, dependencies read from the SQL
    definitions.py   all of the above     -> Dagster assets, asset checks, job and schedule
    cli.py           `python -m pipeline parse|build`
"""

__version__ = "0.1.0"
