"""Step 3: Document -> report metadata and facts coded with the vocabulary.

`sections.py` finds which table rows belong to tables 2, 3 and 4; one module per table turns those rows
into facts by matching printed labels to vocabulary codes; `metadata.py` reads agency, year, template
and scope. Each extractor returns an `Extraction` and never raises on bad input: problems become errors.
"""
