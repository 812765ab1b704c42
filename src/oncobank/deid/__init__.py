"""De-identification: pseudonyms, dates, text scrubbing, k-anonymity; publish to the analysis store."""
