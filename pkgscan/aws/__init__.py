"""Live AWS Lambda resources: sessions, downloads, the code cache, the account scanner, results."""
