"""Contact tallies for the municipality: periods, percentages, labels, writers, import.

``build.build_report`` asks the repository (``storage.repository.tallies``) for the
counts and labels them; ``writers``, ``workbook`` and ``charts`` turn a report into
JSON/CSV, XLSX and PNG; ``importfile`` and ``importrows`` read and check an import.
"""
