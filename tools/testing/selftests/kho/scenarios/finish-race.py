# SPDX-License-Identifier: GPL-2.0
"""Scenario finish-race: kho_finish() while a restore is in flight."""

from vmtest import Scenario, T, check_first


def c_finish_race(c, sc, outdir):
    check_first(c)
    g2 = c.run.gens.get(2)
    if not g2:
        return
    c.ok(g2.msgs("KHO: handover:"), "generation 2: KHO handover line")
    c.ok(g2.msgs("KHO: test: holding a restore by test_kho_race for 1000 ms"),
         "generation 2: a restore held its claim across kho_finish()")
    fails = g2.msgs("test_kho: FAIL")
    c.ok(not fails, "generation 2: no test_kho FAIL%s"
         % ((": " + fails[0]) if fails else ""))
    c.ok(g2.msgs("test_kho: PASS: kho_finish() during a restore"),
         "generation 2: restored + released = handed over, 0 releasing")
    cin = g2.counters.get("in", {})
    c.ok(cin.get("releasing_bytes", -1) == 0 and
         cin.get("restored_bytes", 0) + cin.get("released_bytes", 0) ==
         cin.get("preserved_in_bytes", -1),
         "generation 2: debugfs counters add up (%s)"
         % " ".join("%s=%d" % kv for kv in sorted(cin.items())))


SCENARIO = Scenario("finish-race", "kho_finish() while a restore holds its "
                    "claim: the counters add up", gens=2,
                    gen_params={1: [T + "preserve_mb=16"],
                                2: ["kho_finish=manual",
                                    "kexec_handover.test_restore_delay_ms=1000",
                                    "kexec_handover.test_restore_delay_comm="
                                    "test_kho_race",
                                    T + "finish_race=1"]},
                    check=c_finish_race)
