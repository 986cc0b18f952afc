# SPDX-License-Identifier: GPL-2.0
"""Scenario early-reserve: the reserve step runs before the command line
is parsed, and memblock then keeps out of the scratch areas."""

import re

from vmtest import MiB, Scenario, T, check_first, check_handover

# printed from mm_core_init() by test kernels (CONFIG_KEXEC_HANDOVER_DEBUG)
SINCE_RE = re.compile(r"KHO: test: since the reserve step memblock allocated "
                      r"(\d+) bytes, (\d+) of them in scratch")


def c_early_reserve(c, sc, outdir):
    check_first(c)
    g2 = check_handover(c, 2, min_bytes=32 * MiB)
    if not g2:
        return
    m = g2.match(SINCE_RE)
    if not c.ok(m, "generation 2: KHO: test: since the reserve step ..."):
        return
    total, scratch = int(m.group(1)), int(m.group(2))
    # the per-CPU areas and (hashdist=0) the dentry and inode hash
    # tables come from memblock between setup_arch() and mm_core_init();
    # a 128 MiB dentry hash does not fit in the free memory above the
    # topmost scratch area, so top-down it would land in scratch unless
    # memblock keeps out of it
    c.ok(total >= MiB, "generation 2: memblock allocated %d bytes after the "
         "reserve step (>= 1 MiB: it ran before start_kernel()'s "
         "allocations)" % total)
    c.ok(scratch == 0, "generation 2: none of them in scratch (%d bytes)"
         % scratch)


SCENARIO = Scenario("early-reserve", "the preserved memory is reserved at "
                    "the end of setup_arch(); later memblock allocations "
                    "keep out of the scratch areas", gens=2,
                    gen_params={1: [T + "preserve_mb=64", T + "seed=3"],
                                2: ["hashdist=0", "dhash_entries=16777216"]},
                    check=c_early_reserve)
