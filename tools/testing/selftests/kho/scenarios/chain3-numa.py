# SPDX-License-Identifier: GPL-2.0
"""Scenario chain3-numa: three generations, two NUMA nodes, a 1 GiB folio."""

from vmtest import (PASS_RE, Scenario, T, check_first, check_handover,
                    check_numa)


def c_chain3(c, sc, outdir):
    g1 = check_first(c)
    if g1:
        skipped = [m for m in g1.msgs("test_kho: gigantic")
                   if "skipped" in m]
        c.ok(not skipped, "generation 1 preserved a 1 GiB folio%s"
             % (": " + skipped[0] if skipped else ""))
    g2 = check_handover(c, 2)
    g3 = check_handover(c, 3)
    check_numa(c)
    if g2 and g3:
        p2, p3 = g2.match(PASS_RE), g3.match(PASS_RE)
        if p2 and p3:
            c.ok(int(p3.group(2)) >= int(p2.group(2)),
                 "generation 3 verified at least what generation 2 restored "
                 "(gen 1's memory, re-preserved)")


SCENARIO = Scenario("chain3-numa", "three generations, 2 NUMA nodes, deferred "
                    "struct page init, 1 GiB folio", gens=3, numa=True,
                    mem="6G",
                    gen_params={1: [T + "preserve_mb=128", T + "gigantic=1",
                                    T + "seed=2"],
                                2: [T + "represerve=1", T + "preserve_mb=64",
                                    T + "seed=3"]},
                    timeout=300, check=c_chain3)
