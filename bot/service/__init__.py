"""Use cases, between the edges (Slack, webhooks, the terminal) and Harness.

`targets`: what people ask for and what they get back. `logs`: a target -> the
execution, a link and the failures with their excerpts, from `resolver` (names and
links -> execution and log scope), `failures` (what failed, with excerpts) and
`error_reasons` (Harness errors -> reasons). `steplogs`: one step's log, streamed from
Harness into the excerpt scanner. `last_success`: the same step in the last green
run, for comparison. `subscriptions`: which channels hear about which pipelines.
`incidents`: Harness notifications into the subscribed channels' threads.
`workers`: the durable work queue's workers (lanes, retries, deadlines, leases).
Nothing here knows Slack payloads or HTTP details. Each use case is imported from its
own module (no names are gathered here).
"""
