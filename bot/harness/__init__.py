"""Everything that talks to Harness: HTTP client, pipeline API, log service, URLs."""
