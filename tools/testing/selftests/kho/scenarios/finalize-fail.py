# SPDX-License-Identifier: GPL-2.0
"""Scenario finalize-fail: KHO refuses a kexec after KSTATE saved."""

from vmtest import (Scenario, T, check_first, check_handover,
                    check_refused_unchanged, check_set)

KS = "test_kstate."
OBJECTS = 300
KS_PASS = "test_kstate: PASS: restored %d objects in reverse order" % OBJECTS


def c_finalize_fail(c, sc, outdir):
    check_first(c)
    g1, g2 = c.run.gens.get(1), c.run.gens.get(2)
    if g1:
        check_set(c, 1, "test_fail_finalize", 1)
        c.ok(g1.first("refused") == "Input/output error",
             "generation 1: the first kexec is refused with EIO (%s)"
             % g1.first("refused"))
        c.ok(g1.msgs("KHO: cannot write the handover (-5), kexec refused"),
             "generation 1: KHO says why, once")
        c.ok(g1.msgs("kstate: saved"),
             "generation 1: KSTATE had saved its stream before KHO refused")
        check_refused_unchanged(c, 1, ": the KSTATE save was undone")
    check_handover(c, 2)
    c.ok(g2 and g2.msgs(KS_PASS),
         "generation 2: test_kstate: PASS after the second kexec")


SCENARIO = Scenario("finalize-fail", "KHO refuses a kexec after KSTATE "
                    "saved: nothing stays preserved, the next kexec works",
                    gens=2,
                    gen_params={1: [T + "preserve_mb=32", T + "seed=8",
                                    "khotest.refuse=test_fail_finalize"]},
                    common=[KS + "objects=%d" % OBJECTS, KS + "seed=9"],
                    check=c_finalize_fail)
