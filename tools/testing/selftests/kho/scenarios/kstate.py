# SPDX-License-Identifier: GPL-2.0
"""Scenario kstate: KSTATE objects restored by id, in reverse order."""

import re

from vmtest import Scenario

KS_REGISTERED_RE = re.compile(r"test_kstate: registered (\d+) objects")
KS_SAVED_RE = re.compile(r"(?<!\w)kstate: saved (\d+) instances of (\d+) "
                         r"descriptions, (\d+) bytes")
KS_HANDOVER_RE = re.compile(r"^kstate: handover: (\d+) instances of (\d+) "
                            r"descriptions, (\d+) bytes")
KS_PASS_RE = re.compile(r"test_kstate: PASS: restored (\d+) objects in "
                        r"reverse order, verified")
KS_TIME_RE = re.compile(r"test_kstate: restore of (\d+) objects took (\d+) ns")
KS_DEBUGFS_RE = re.compile(r"(\S+) bytes=(\d+) lines=(\d+) instances=(\d+) "
                           r"errors=(\d+)")

KS = "test_kstate."
KSTATE_OBJECTS = 300


def kexec_console(run, n):
    """Console lines the kernel of generation n printed while it kexeced.

    Only with khotest.kexeclog=1: init lets the kernel print its info lines
    once it has loaded the next kernel.  They end with the next kernel's
    banner.
    """
    lines, inside = [], False
    for line in run.console:
        if not inside:
            inside = "KHOTEST: gen=%d kexec " % n in line
        elif "Linux version " in line:
            break
        elif "KHOTEST: " not in line:
            lines.append(line)
    return lines


def kstate_debugfs(g, name):
    """The summary of debugfs kstate/<name> init reported, as a match."""
    for val in g.other.get("kstate", []):
        m = KS_DEBUGFS_RE.match(val)
        if m and m.group(1) == name:
            return m
    return None


def c_kstate(c, sc, outdir):
    n = KSTATE_OBJECTS
    g1, g2 = c.run.gens.get(1), c.run.gens.get(2)
    for g in (g1, g2):
        if not g:
            continue
        bad = [m for lvl, m in g.kmsg
               if lvl <= 4 and m.startswith("kstate:")]
        c.ok(not bad, "generation %d: no KSTATE error%s"
             % (g.n, (": " + bad[0]) if bad else ""))
        fails = g.msgs("test_kstate: FAIL")
        c.ok(not fails, "generation %d: no test_kstate FAIL%s"
             % (g.n, (": " + fails[0]) if fails else ""))
    if g1:
        m = g1.match(KS_REGISTERED_RE)
        c.ok(m and int(m.group(1)) == n,
             "generation 1: test_kstate: registered %d objects" % n)
        m = kstate_debugfs(g1, "outgoing")
        c.ok(m and int(m.group(4)) == n and int(m.group(5)) == 0,
             "generation 1: debugfs kstate/outgoing renders %d instances, "
             "no error (%s)" % (n, m.group(0) if m else "not read"))
    saved = [m for m in (KS_SAVED_RE.search(l)
                         for l in kexec_console(c.run, 1)) if m]
    if c.ok(len(saved) == 1 and int(saved[0].group(1)) == n,
            "generation 1: one 'kstate: saved %d instances' line at the "
            "kexec (%d)" % (n, len(saved))):
        c.note("gen 1: kstate saved %s instances of %s descriptions, %s "
               "bytes" % saved[0].groups())
    if not g2:
        return
    m = g2.match(KS_HANDOVER_RE)
    c.ok(m and int(m.group(1)) == n,
         "generation 2: kstate: handover: %d instances (%s)"
         % (n, m.group(0) if m else "no line"))
    if m and saved:
        c.ok(m.groups() == saved[0].groups(),
             "generation 2 got the stream generation 1 saved")
    p = g2.match(KS_PASS_RE)
    c.ok(p and int(p.group(1)) == n, "generation 2: test_kstate: PASS: "
         "restored %d objects in reverse order, verified" % n)
    t = g2.match(KS_TIME_RE)
    if c.ok(t and int(t.group(1)) == n,
            "generation 2: test_kstate restore timing line"):
        ns = int(t.group(2))
        c.note("gen 2: restore of %d objects took %.3f ms, %.1f us each"
               % (n, ns / 1e6, ns / 1e3 / n))
    m = kstate_debugfs(g2, "incoming")
    c.ok(m and int(m.group(2)) == 0,
         "generation 2: debugfs kstate/incoming empty after kstate_finish() "
         "(%s)" % (m.group(0) if m else "not read"))


SCENARIO = Scenario("kstate", "KSTATE: register %d objects, kexec, restore "
                    "them by id in reverse order, verify" % KSTATE_OBJECTS,
                    gens=2, gen_params={},
                    common=[KS + "objects=%d" % KSTATE_OBJECTS, KS + "seed=7",
                            "khotest.kstate=1", "khotest.kexeclog=1"],
                    check=c_kstate)
