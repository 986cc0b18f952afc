# SPDX-License-Identifier: GPL-2.0
"""Scenario no-zone: preserved memory in no memory zone is never handed out."""

import re

from vmtest import Scenario, T, check_first

DROPPED_RE = re.compile(r"KHO: (\d+) preserved pages lie in no memory zone; "
                        r"they stay reserved and cannot be restored")


def c_no_zone(c, sc, outdir):
    check_first(c)
    g1, g2 = c.run.gens.get(1), c.run.gens.get(2)
    if not g2:
        return
    c.ok(g2.msgs("KHO: test: run 0 lies in no zone"),
         "generation 2: the first run is made to lie in no zone")
    lines = [m for m in (DROPPED_RE.match(x) for x in g2.msgs("KHO: "))
             if m]
    if not c.ok(len(lines) == 1, "generation 2: one 'preserved pages lie in "
                "no memory zone' line (%d)" % len(lines)):
        return
    dropped = int(lines[0].group(1)) * 4096
    out = g1.counters.get("out", {}).get("preserved_out_bytes", -1) if g1 \
        else -1
    cin = g2.counters.get("in", {})
    got = cin.get("preserved_in_bytes", -1)
    c.ok(dropped > 0 and got + dropped == out,
         "generation 2: the dropped run (%d bytes) is not counted as handed "
         "over: %d + %d = %d handed over by generation 1" % (dropped, got,
                                                             dropped, out))
    c.ok(cin.get("restored_bytes", -1) <= got,
         "generation 2: nothing of the dropped run was restored (%s)"
         % " ".join("%s=%d" % kv for kv in sorted(cin.items())))


SCENARIO = Scenario("no-zone", "preserved memory the next kernel finds in "
                    "no zone stays reserved and is never handed out",
                    gens=2, gen_params={1: [T + "preserve_mb=16"],
                                        2: ["kho_debug_no_zone"]},
                    check=c_no_zone)
