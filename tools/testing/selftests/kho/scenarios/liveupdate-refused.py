# SPDX-License-Identifier: GPL-2.0
"""Scenario liveupdate-refused: a file handler's freeze refuses the kexec,
three times; then the kexec carries everything over."""

import re

from vmtest import Scenario, check_run

FREEZE_RE = re.compile(r"liveupdate: [Ff]reeze failed for token[\[ ](0x[0-9a-f]+)"
                       r"\]? \(?handler[\[ ]([\w-]+)\]?\)?: (-\d+)")


def c_refused(c, sc, outdir):
    check_run(c, 1, "luo_refused",
              want=["refused.handler_refuses_kexec"],
              may_skip=["global.carried_over"])
    check_run(c, 2, "luo_refused", want=["global.carried_over"],
              may_skip=["refused.handler_refuses_kexec"])
    g1 = c.run.gens.get(1)
    # One line per refused kexec, naming the token, the handler, the errno
    # (in mainline's words or ours).
    got = [m.groups() for m in (FREEZE_RE.search(l) for _, l in
                                (g1.kmsg if g1 else [])) if m]
    want = [("0x3", "liveupdate-test-v1", "-71"),
            ("0x3", "liveupdate-test-v1", "-11"),
            ("0x1", "liveupdate-test-v1", "-18")]
    c.ok(got == want, "generation 1: one 'freeze failed' line per refused "
         "kexec, with the token, the handler and its errno (%s)" % got)
    g2 = c.run.gens.get(2)
    claims = g2.msgs("test_liveupdate: claimed") if g2 else []
    c.ok(len(claims) == 4, "generation 2: the test handler claimed its 4 "
         "files (%d)" % len(claims))


SCENARIO = Scenario("liveupdate-refused", "a file handler's freeze fails: "
                    "the kexec is refused with its errno and everything is "
                    "unfrozen; then the real kexec carries the state over",
                    gens=2, timeout=900, gen_params={},
                    common=["liveupdate=on", "khotest.run=/bin/luo_refused"],
                    check=c_refused)
