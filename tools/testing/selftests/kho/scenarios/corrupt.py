# SPDX-License-Identifier: GPL-2.0
"""Scenario corrupt: a corrupted map: refused, clean boot."""

from vmtest import PASS_RE, Scenario, T, check_first


def c_corrupt(c, sc, outdir):
    check_first(c)
    g1, g2 = c.run.gens.get(1), c.run.gens.get(2)
    if g1:
        c.ok(g1.first("corrupt") == "set",
             "generation 1: test_corrupt_map set (%s)" % g1.first("corrupt"))
    if not g2:
        return
    refused = g2.msgs("KHO: refusing handover")
    c.ok(len(refused) == 1, "generation 2: exactly one 'KHO: refusing "
         "handover' line (%d)%s" % (len(refused), (": " + refused[0])
                                     if refused else ""))
    c.ok(not g2.msgs("KHO: handover:"), "generation 2: no KHO handover line")
    c.ok(g2.msgs("test_kho: no handover"),
         "generation 2: test_kho: no handover")
    c.ok(not g2.match(PASS_RE) and not g2.msgs("test_kho: FAIL"),
         "generation 2: nothing restored (no PASS/FAIL line)")
    cin = g2.counters.get("in", {})
    c.ok("preserved_in_bytes" in cin and cin["preserved_in_bytes"] == 0,
         "generation 2: kho/in/counters preserved_in_bytes = 0 (%s)"
         % cin.get("preserved_in_bytes", "missing"))


SCENARIO = Scenario("corrupt", "corrupted map: one refusal, clean boot, "
                    "nothing handed over", gens=2,
                    gen_params={1: [T + "preserve_mb=64",
                                    "khotest.corrupt=1"]},
                    check=c_corrupt)
