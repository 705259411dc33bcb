"""The action ids of the bot's buttons and menus: the views put them on the
buttons, the listeners answer them. Slack sends them back with every press, so a
post from an older version still works: never rename one."""

from __future__ import annotations

# A logs post (views/logs.py)
REFRESH_LINK = "refresh_link"  # the export again, the post replaced in place
GET_LINK = "get_link"  # LINK_VISIBILITY=requester: the link, to the presser only
DOWNLOAD_LOGS = "download_logs"  # a link button: Slack opens the URL and tells the bot
OPEN_EXECUTION = "open_execution"  # a link button to the run in Harness
# A failed step (views/failures.py)
SHOW_FULL_EXCERPT = "show_full_excerpt"  # the longer excerpt, in the thread
STEP_LOGS = "step_logs"  # that step's logs post, in the thread
# An unfurl and a failure alert (views/incidents.py)
GET_LOGS = "get_logs"  # the run's logs post, in the thread
RETRY = "retry_failed_stages"  # a failure alert's retry, after Slack's confirmation
MUTE = "mute_here"  # a failure alert's menu of mutes

__all__ = [
    "DOWNLOAD_LOGS",
    "GET_LINK",
    "GET_LOGS",
    "MUTE",
    "OPEN_EXECUTION",
    "REFRESH_LINK",
    "RETRY",
    "SHOW_FULL_EXCERPT",
    "STEP_LOGS",
]
