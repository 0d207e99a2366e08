"""Black-box screeners: ranking audits and paired tests of scorers we cannot open."""
