# SPDX-License-Identifier: GPL-2.0
"""Scenario liveupdate-scale: 10,000 sessions and 100,000 files across a
kexec (luo_kexec --scale), with the rest of luo_kexec's stages 1 and 2."""

from vmtest import Scenario, check_run, run_msgs, selftest_tests


def c_scale(c, sc, outdir):
    for n in (1, 2):
        want = selftest_tests("luo_kexec.c", "stage%d" % n) + \
            selftest_tests("luo_kexec.c", "scale%d" % n)
        check_run(c, n, "luo_kexec", want=want)
        g = c.run.gens.get(n)
        for line in run_msgs(g, "luo_kexec", ""):
            if " RUN " in line or "  OK  " in line:
                continue
            if "sessions" in line and "files" in line:
                c.note("gen %d: %s" % (n, line))
        bad = [m for lvl, m in (g.kmsg if g else [])
               if lvl <= 3 and m.startswith("liveupdate:")
               and "luo-kexec-testdev" not in m]
        c.ok(not bad, "generation %d: no LUO error but the test handler's "
             "two files%s" % (n, (": " + bad[0]) if bad else ""))


SCENARIO = Scenario("liveupdate-scale", "10,000 sessions and 100,000 files "
                    "(every fifth with a page of data) handed over by a "
                    "kexec, retrieved, checked and finished",
                    gens=2, timeout=1800,
                    gen_params={2: ["test_liveupdate.orphan_handler=0"]},
                    common=["liveupdate=on",
                            "khotest.run=/bin/luo_kexec:--scale"],
                    check=c_scale)
