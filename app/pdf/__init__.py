"""The printed strategy record: HTML to PDF with a locked-down fetcher, cached when final."""
