"""OCDS open data from the log: the projection, its packages, the API and the spreadsheet."""
