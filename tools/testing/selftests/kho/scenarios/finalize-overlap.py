# SPDX-License-Identifier: GPL-2.0
"""Scenario finalize-overlap: overlapping units refuse the kexec, named."""

import re

from vmtest import (Scenario, T, check_first, check_handover,
                    check_refused_unchanged, check_set)

OVERLAP = re.compile(r"KHO: preserved memory overlaps: pfn (0x[0-9a-f]+) "
                     r"order (\d+) and pfn (0x[0-9a-f]+) order 0$")
ADDED = re.compile(r"KHO: test: preserving pfn (0x[0-9a-f]+) order 0 inside "
                   r"pfn (0x[0-9a-f]+) order (\d+)$")


def c_finalize_overlap(c, sc, outdir):
    check_first(c)
    g1 = c.run.gens.get(1)
    if g1:
        check_set(c, 1, "test_overlap", 1)
        c.ok(g1.first("refused") == "File exists",
             "generation 1: the first kexec is refused with EEXIST (%s)"
             % g1.first("refused"))
        added = [m for m in (ADDED.search(k) for _, k in g1.kmsg) if m]
        named = [m for m in (OVERLAP.search(k) for _, k in g1.kmsg) if m]
        c.ok(len(added) == 1 and len(named) == 1 and
             named[0].group(1) == added[0].group(2) and
             named[0].group(2) == added[0].group(3) and
             named[0].group(3) == added[0].group(1),
             "generation 1: KHO names the two overlapping units, once (%s)"
             % (named[0].group(0) if named else "no such line"))
        c.ok(g1.msgs("KHO: cannot write the handover (-17), kexec refused"),
             "generation 1: and refuses the handover, once")
        check_refused_unchanged(c, 1)
    check_handover(c, 2)


SCENARIO = Scenario("finalize-overlap", "units of different orders that "
                    "overlap refuse the kexec, naming both; once one goes, "
                    "the kexec works",
                    gens=2,
                    gen_params={1: [T + "preserve_mb=32", T + "seed=8",
                                    "khotest.refuse=test_overlap"]},
                    check=c_finalize_overlap)
