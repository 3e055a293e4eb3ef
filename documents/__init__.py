"""The document toolkit: every PDF and XLSX btecqa produces is made here, the same way.

- `documents.pdf`: the page (A4, header and footer with "Page x of y" and the printed date
  and time, a PREVIEW mark), text, fast tables that repeat their heading row, the signature
  block with the SHA-256 of what was signed.
- `documents.charts`: bar and line charts (reportlab.graphics) for reports.
- `documents.xlsx`: the one XLSX writer: formula-safe, control-character-safe, UK dates as
  real date cells, the heading row frozen, column widths set.
- `documents.formats`: dates and times as the office reads them (dd/mm/yyyy, local time).

A shared mechanism (layer 1): it knows no feature app. Apps build their documents from it
in their own `documents.py` and never lay out a page or a sheet themselves.
"""
