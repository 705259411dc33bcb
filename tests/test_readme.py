"""The README a newcomer reads first: what the app is before anything else, the two
commands, contents that lead somewhere, and the license it names."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading."""
    return re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")


def test_it_says_what_it_is_then_shows_the_two_commands() -> None:
    first_lines = README.split("```", 1)[0]
    assert "Slack app" in first_lines and "Harness" in first_lines
    commands = README.split("```sh", 1)[1].split("```", 1)[0]
    assert "make run" in commands and "make test" in commands


def test_every_contents_link_leads_to_a_heading() -> None:
    contents = next(line for line in README.splitlines() if line.startswith("**Contents:**"))
    anchors = set(re.findall(r"\]\(#([^)]+)\)", contents))
    headings = {_slug(h) for h in re.findall(r"^#{2,3} (.+)$", README, re.M)}
    assert anchors and anchors <= headings, sorted(anchors - headings)
    assert {_slug(h) for h in re.findall(r"^## (.+)$", README, re.M)} <= anchors


def test_there_is_a_license() -> None:
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")
