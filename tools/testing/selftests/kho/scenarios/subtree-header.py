# SPDX-License-Identifier: GPL-2.0
"""Scenario subtree-header: a subtree pointer at no valid FDT header."""

from vmtest import subtree_scenario

SCENARIO = subtree_scenario("header", "no valid FDT inside its preserved unit")
