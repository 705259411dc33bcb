"""Everything Slack-facing: the command grammar, Block Kit builders and Bolt handlers."""
