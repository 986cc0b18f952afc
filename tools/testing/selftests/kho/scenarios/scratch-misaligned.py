# SPDX-License-Identifier: GPL-2.0
"""Scenario scratch-misaligned: a scratch area not pageblock aligned."""

from vmtest import scratch_scenario

SCENARIO = scratch_scenario("misaligned", "scratch area not pageblock aligned")
