# SPDX-License-Identifier: GPL-2.0
"""Scenario subtree-outside: a subtree pointer beyond RAM."""

from vmtest import subtree_scenario

SCENARIO = subtree_scenario("outside", "points outside preserved memory")
