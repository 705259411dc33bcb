"""Block Kit views: pure functions from plain data to Slack messages and views.

- mrkdwn.py: outside text made safe and short (escaping, Slack's limits, dates)
- blocks.py: sections, context lines, buttons; a run's title and status
- action_ids.py: every button's and menu's action id
- logs.py: the logs post (link, status, failures, excerpts) and the private link
- replies.py: what a person is told while asking (usage, progress, refusals, errors)
- failures.py: a failed step and its excerpt
- incidents.py: alerts, their updates and thread lines
- triage.py: an alert's Retry button and Mute menu, and what a retry says
- unfurls.py: what a pasted Harness link unfolds into
- subscriptions.py: subscribed, unsubscribed, the list, muted and unmuted
- misses.py: the words for a missed target (bot/service/wording.py) in Slack's markup
- home.py: the App Home tab
"""
