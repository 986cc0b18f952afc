# SPDX-License-Identifier: GPL-2.0
"""Scenario kaslr: KASLR over several kexecs."""

from vmtest import Scenario, T, check_first, check_handover, check_kaslr


def c_kaslr(c, sc, outdir):
    check_first(c)
    for n in range(2, sc.gens + 1):
        check_handover(c, n)
    check_kaslr(c)


SCENARIO = Scenario("kaslr", "KASLR on, 3 kexecs, preserved memory intact "
                    "each time", gens=4, kaslr=True,
                    gen_params={1: [T + "preserve_mb=64", T + "seed=6"],
                                2: [T + "represerve=1", T + "preserve_mb=32"],
                                3: [T + "represerve=1", T + "preserve_mb=32"]},
                    timeout=360, check=c_kaslr)
