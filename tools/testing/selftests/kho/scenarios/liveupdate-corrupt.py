# SPDX-License-Identifier: GPL-2.0
"""Scenario liveupdate-corrupt: the outgoing LUO tables made bad in each way
liveupdate.test_corrupt knows; the next kernel refuses exactly that, alone,
zeroes its memory and takes the rest (tools/testing/selftests/liveupdate/
luo_corrupt.c)."""

from vmtest import Scenario, check_run, run_msgs

CORRUPT = ("name@c-name,dup@c-dup,table@c-table,overlap@c-overlap,"
           "token@c-token,compat@c-compat,data@c-data")


def c_corrupt(c, sc, outdir):
    check_run(c, 1, "luo_corrupt", want=["corrupt.preserve"],
              may_skip=["corrupt.refused_alone"])
    check_run(c, 2, "luo_corrupt", want=["corrupt.refused_alone"],
              may_skip=["corrupt.preserve"])
    g2 = c.run.gens.get(2)
    for line in run_msgs(g2, "luo_corrupt", "") if g2 else []:
        if "files taken" in line:
            c.note("gen 2: " + line)
    lines = [m for lvl, m in (g2.kmsg if g2 else [])
             if m.startswith("liveupdate: ") and "refused" in m]
    for what, n in (("refused: bad name", 1), ("session c-dupvictim ", 2),
                    ("session c-table ", 1), ("session c-ovvictim ", 1),
                    ("session c-overlap ", 1), ("session c-token: ", 2),
                    ("session c-compat: ", 1), ("session c-data: ", 1)):
        got = [l for l in lines if what in l]
        c.ok(len(got) == n, "generation 2: %d refusal line(s) with '%s' (%d)"
             % (n, what.strip(), len(got)))
    c.ok(not [l for l in lines if "c-good" in l],
         "generation 2: nothing of the good sessions refused")
    c.ok(len(lines) == 10, "generation 2: 10 refusal lines in all (%d)"
         % len(lines))


SCENARIO = Scenario("liveupdate-corrupt", "bad session names, a repeated "
                    "name, files outside the table or overlapping, a "
                    "repeated token, an unknown handler, bad handler data: "
                    "each refused alone, its memory zeroed, the rest taken",
                    gens=2, timeout=900, gen_params={},
                    common=["liveupdate=on", "khotest.run=/bin/luo_corrupt",
                            "liveupdate.test_corrupt=" + CORRUPT],
                    check=c_corrupt)
