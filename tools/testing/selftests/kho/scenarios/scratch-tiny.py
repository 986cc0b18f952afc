# SPDX-License-Identifier: GPL-2.0
"""Scenario scratch-tiny: scratch areas too small for the early boot."""

from vmtest import scratch_scenario

SCENARIO = scratch_scenario("tiny", "scratch areas too small for boot")
