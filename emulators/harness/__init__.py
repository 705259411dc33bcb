"""A Harness stand-in: the pipeline service and the log service behind one gateway."""

from emulators.harness.runs import RECORDED_KEYS, RunSpec, StageSpec, StepSpec, step_key
from emulators.harness.server import ACCOUNT, API_KEY, HarnessEmulator, RateLimits

__all__ = [
    "ACCOUNT",
    "API_KEY",
    "RECORDED_KEYS",
    "HarnessEmulator",
    "RateLimits",
    "RunSpec",
    "StageSpec",
    "StepSpec",
    "step_key",
]
