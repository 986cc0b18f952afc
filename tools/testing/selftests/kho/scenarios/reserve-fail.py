# SPDX-License-Identifier: GPL-2.0
"""Scenario reserve-fail: the last reservation of the reserve step fails."""

from vmtest import Scenario, T, c_refused_next

SCENARIO = Scenario(
    "reserve-fail", "a reservation fails at the end of the early reserve "
    "step: every range reserved before it is given back", gens=2,
    gen_params={1: [T + "preserve_mb=256", T + "seed=10"],
                2: ["kho_debug_fail_reserve=last"]},
    check=c_refused_next,
    data=("no memory to reserve the preserved memory",
          "KHO: test: failing reservation"))
