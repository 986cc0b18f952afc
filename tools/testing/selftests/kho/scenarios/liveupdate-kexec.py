# SPDX-License-Identifier: GPL-2.0
"""Scenario liveupdate-kexec: memfds and test-handler files across two
kexecs (tools/testing/selftests/liveupdate/luo_kexec.c)."""

from vmtest import Scenario, check_run, run_msgs, selftest_tests


def c_kexec(c, sc, outdir):
    for n in (1, 2, 3):
        want = selftest_tests("luo_kexec.c", "stage%d" % n)
        c.ok(want, "stage %d has tests" % n)
        check_run(c, n, "luo_kexec", want=want)
        g = c.run.gens.get(n)
        for line in run_msgs(g, "luo_kexec", ""):
            if " RUN " in line or "  OK  " in line:
                continue
            if ("MemFree" in line or "PMD" in line or "after FINISH" in line
                    or "orphan" in line or "forgotten" in line
                    or "moved" in line):
                c.note("gen %d: %s" % (n, line))
    g2 = c.run.gens.get(2)
    refused = g2.msgs("liveupdate: session ") if g2 else []
    refused = [m for m in refused if " refused" in m]
    want = ["liveupdate: session luo-kexec-testdev: file 0x3 "
            "(liveupdate-test-v1) refused: -74",
            "liveupdate: session luo-kexec-testdev: file 0x4 refused: no "
            "handler liveupdate-test-orphan-v1"]
    c.ok(sorted(refused) == sorted(want),
         "generation 2: exactly the bad-state and the orphan file refused, "
         "one line each (%s)" % "; ".join(refused))
    claims = g2.msgs("test_liveupdate: claimed") if g2 else []
    c.ok(len(claims) == 2, "generation 2: the test handler claimed 2 files "
         "(%d)" % len(claims))
    for n in (1, 3):
        g = c.run.gens.get(n)
        bad = [m for lvl, m in (g.kmsg if g else [])
               if lvl <= 3 and m.startswith("liveupdate:")]
        c.ok(not bad, "generation %d: no LUO error%s"
             % (n, (": " + bad[0]) if bad else ""))


SCENARIO = Scenario("liveupdate-kexec", "memfds with patterns, holes, seals, "
                    "positions and a 2 MiB range, and test-handler files, "
                    "kept across two kexecs by a daemon; unretrieved memory "
                    "comes back zeroed",
                    gens=3, timeout=1200,
                    gen_params={2: ["test_liveupdate.orphan_handler=0"]},
                    common=["liveupdate=on",
                            "khotest.run=/bin/luo_kexec:--thp"],
                    check=c_kexec)
