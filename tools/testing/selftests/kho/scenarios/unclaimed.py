# SPDX-License-Identifier: GPL-2.0
"""Scenario unclaimed: unclaimed memory is released and zeroed."""

from vmtest import RELEASED_RE, Scenario, T, check_first, check_handover


def c_unclaimed(c, sc, outdir):
    check_first(c)
    g2 = check_handover(c, 2)
    if not g2:
        return
    ok = g2.msgs("test_kho: PASS: unclaimed")
    c.ok(ok, "generation 2: test_kho: PASS: unclaimed ... read back as zero")
    m = g2.match(RELEASED_RE)
    c.ok(m and int(m.group(1)) > 0, "generation 2: KHO: released B > 0 bytes"
         " of unclaimed memory (%s)" % (m.group(1) if m else "no line"))
    rel = g2.counters.get("in", {}).get("released_bytes")
    c.ok(rel and rel > 0, "generation 2: counters released_bytes > 0 (%s)"
         % rel)
    if g2.first("finish"):
        c.note("gen 2: wrote kho/in/finish: %s" % g2.first("finish"))


SCENARIO = Scenario("unclaimed", "claim 50%, the rest released and zeroed",
                    gens=2,
                    gen_params={1: [T + "preserve_mb=128", T + "seed=5"],
                                2: [T + "claim_pct=50",
                                    "khotest.unclaimed=1"]},
                    check=c_unclaimed)
