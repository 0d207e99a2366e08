"""The core: errors, validation, dataframes, group coding, counts, frozen results, formatting."""
