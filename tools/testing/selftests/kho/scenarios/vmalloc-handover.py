# SPDX-License-Identifier: GPL-2.0
"""Scenario vmalloc-handover: a bad vmalloc handle is refused, its pages zeroed."""

from vmtest import Scenario, T, check_first, check_handover


def c_vmalloc_handover(c, sc, outdir):
    check_first(c)
    g1, g2 = c.run.gens.get(1), c.run.gens.get(2)
    c.ok(g1 and g1.msgs("test_kho: vmalloc handover: "),
         "generation 1: a vmalloc area preserved")
    check_handover(c, 2)
    c.ok(g2 and g2.msgs("test_kho: PASS: vmalloc handover: a bad handle is "
                        "refused"),
         "generation 2: kho_restore_vmalloc() refuses a handle one page too "
         "long and zeroes the pages it gives back")


SCENARIO = Scenario("vmalloc-handover", "kho_restore_vmalloc() with a bad "
                    "handle: refused, the pages it took zeroed", gens=2,
                    gen_params={1: [T + "preserve_mb=16",
                                    T + "vmalloc_handover=1"]},
                    check=c_vmalloc_handover)
