# SPDX-License-Identifier: GPL-2.0
"""Scenario vmm-memfd: a VMM writes to a 384 MiB memfd until the kexec; the
new process retrieves it and checks every byte."""

from vmtest import Scenario, check_run, vmm_report

SIZE_MB = 384


def c_vmm(c, sc, outdir):
    check_run(c, 1, "luo_vmm", want=["vmm.start"], may_skip=["vmm.verify"])
    check_run(c, 2, "luo_vmm", want=["vmm.verify"], may_skip=["vmm.start"])
    rep = vmm_report(c.run.gens.get(2))
    if not c.ok(rep, "generation 2: luo_vmm reported what it found"):
        return
    c.ok(rep["size_mb"] == SIZE_MB, "a %d MiB memfd (%d)"
         % (SIZE_MB, rep["size_mb"]))
    c.ok(rep["round"] >= 1, "the writer was writing at the kexec (round %d)"
         % rep["round"])
    pages = SIZE_MB << 8
    c.ok(rep["full"] + (rep["torn"] >= 0) + rep["older"] == pages,
         "%d + %d + %d pages = %d" % (rep["full"], rep["torn"] >= 0,
                                      rep["older"], pages))
    c.note("gen 2: round %d in %d pages, torn page %d after %d bytes, round "
           "%d in %d pages; verified in %d ms"
           % (rep["round"], rep["full"], rep["torn"], rep["torn_bytes"],
              rep["round"] - 1, rep["older"], rep["verify_ms"]))
    if rep.get("stopped") is not None:
        c.note("gen 2: the writer's last write -> memfd retrieved: %.1f ms"
               % rep["stopped"])
    for what in ("last_write", "retrieved", "verified"):
        if rep.get(what) is not None:
            c.note("gen 2: reboot() -> %s: %.1f ms (reboot() estimated)"
                   % (what, rep[what]))


SCENARIO = Scenario("vmm-memfd", "a VMM process writes to a %d MiB memfd "
                    "until the kexec; the new one retrieves it and finds "
                    "every byte" % SIZE_MB,
                    gens=2, mem="3G", timeout=900, gen_params={},
                    common=["liveupdate=on",
                            "khotest.run=/bin/luo_vmm:-s:%d" % SIZE_MB],
                    check=c_vmm)
