"""One framework for importing tabular files (CSV and XLSX): every importer stands on it.

An importer declares what it reads (a ``Layout`` of ``Field``s, each with its headings and a
typed cell) and what each row does (a planner); the framework does the rest, the same way
for all of them:

* ``files``: the upload read within its size limit and checked before use: size, type
  sniffed from the content (never the name), an XLSX's zip directory (damaged, not a
  workbook, zip bomb, macros), text decoded as UTF-8 (with or without a BOM) or
  Windows-1252, old-Mac CR-only line endings.
* ``reading``: rows streamed from the file (openpyxl's read-only reader, a little faster
  and flat in memory; csv over a text stream), formula cells marked as ``Formula``.
* ``columns``: the header row found among the first rows (title rows above it are fine),
  each heading recognised by its synonyms or by the centre's remembered mapping.
* ``cells``: typed cells (text, dates dd/mm/yyyy and Excel serials, whole numbers,
  choices, identifiers through a pluggable check), each problem a ``Problem`` naming its
  row, column and reason; a value past the last heading is an error too.
* ``names``: the one name normaliser every matching step and the learner search use.
* ``rowlog``: the streamed preview: each row's result a JSON line in a gzipped log kept
  beside the file, paged by the preview page; counts and the first errors in memory.
* ``pipeline`` and ``models``: the read driven a chunk of rows at a time through the
  importer's planner into a sink (the rows log, or the commit's writer), and the kept
  import record (``ImportRecord``: who, when, file and hash, counts, errors, status).

This package imports no feature app: learners, registrations and qualifications build on
it, and so will the tracking-sheet, results and certificate imports.
"""
