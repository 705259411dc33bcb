"""Harness notifications -> posts in subscribed channels (see flow.py for how):
`flow` (the Incidents use case), `alerts` (a failure's post and its filling-in),
`ports` (Alert, IncidentPosts), `routing` (filters, what a
notification names), `results` (a notification's Harness reads, once for all its
channels), `threads` (one thread per execution in a channel), `payloads` (queued
work as JSON)."""

from bot.service.incidents.flow import Incidents
from bot.service.incidents.ports import Alert, IncidentPosts

__all__ = ["Alert", "IncidentPosts", "Incidents"]
