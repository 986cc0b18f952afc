# SPDX-License-Identifier: GPL-2.0
"""Scenario vmalloc-unpreserve: kho_unpreserve_vmalloc() is all or nothing."""

from vmtest import Scenario, T, check_first, check_handover


def c_vmalloc(c, sc, outdir):
    check_first(c)
    g1 = c.run.gens.get(1)
    c.ok(g1 and g1.msgs("test_kho: PASS: vmalloc unpreserve is all or "
                        "nothing"),
         "generation 1: test_kho: PASS: vmalloc unpreserve is all or nothing")
    check_handover(c, 2)


SCENARIO = Scenario("vmalloc-unpreserve", "kho_unpreserve_vmalloc() is all "
                    "or nothing, then a kexec", gens=2,
                    gen_params={1: [T + "preserve_mb=16",
                                    T + "vmalloc_check=1"]},
                    check=c_vmalloc)
