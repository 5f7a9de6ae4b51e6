"""Field data as plain rules: XLSForms from catalogues, Kobo/ODK submissions, spreadsheet
templates of registry records, third-party site data through a column mapping, and the
safety of every cell read from or written to a file. No Django here: the `batea.fielddata`
app stores, authorises and presents what these functions return."""
