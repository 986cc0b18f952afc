# SPDX-License-Identifier: GPL-2.0
"""Scenario subtree-unpreserved: a subtree pointer at unpreserved RAM."""

from vmtest import subtree_scenario

SCENARIO = subtree_scenario("unpreserved", "points outside preserved memory")
