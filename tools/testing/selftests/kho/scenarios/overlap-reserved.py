# SPDX-License-Identifier: GPL-2.0
"""Scenario overlap-reserved: preserved memory the next kernel has reserved."""

from vmtest import overlap_scenario

SCENARIO = overlap_scenario("reserved",
                            "preserved memory in scratch or reserved memory")
