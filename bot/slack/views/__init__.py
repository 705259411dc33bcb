"""Block Kit views: pure functions from plain data to Slack messages and views.

- kit.py: the primitives (escaping, trimming to Slack's limits, buttons, sections)
- messages.py: the answers to `/harness-logs` and its buttons
- failures.py: a failed step and its excerpt
- incidents.py: alerts, their updates and thread lines, link previews
- subscriptions.py: subscribed, unsubscribed, the list, muted and unmuted
- misses.py: what a person is told when a target is not found
- home.py: the App Home tab
"""
