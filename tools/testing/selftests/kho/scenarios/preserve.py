# SPDX-License-Identifier: GPL-2.0
"""Scenario preserve: preserve memory, kexec, verify every byte."""

from vmtest import MiB, Scenario, T, check_fdts, check_first, check_handover


def c_preserve(c, sc, outdir):
    check_first(c)
    check_handover(c, 2, min_bytes=128 * MiB)
    g2 = c.run.gens.get(2)
    if g2:
        listing = g2.first("debugfs") or ""
        c.ok("in/sub_fdts/test-kho" in listing.split(),
             "generation 2: debugfs kho/in/sub_fdts/test-kho")
    check_fdts(c, outdir)


SCENARIO = Scenario("preserve", "preserve ~256 MiB of random orders, kexec, "
                    "verify every byte", gens=2,
                    gen_params={1: [T + "preserve_mb=256", T + "seed=1",
                                    "khotest.dumpfdt=1"],
                                2: ["khotest.dumpfdt=1"]},
                    check=c_preserve)
