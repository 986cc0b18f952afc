# SPDX-License-Identifier: GPL-2.0
"""Scenario overlap-nomap: preserved memory the next kernel finds NOMAP."""

from vmtest import overlap_scenario

SCENARIO = overlap_scenario("nomap", "preserved memory outside RAM")
