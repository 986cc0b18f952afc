# SPDX-License-Identifier: GPL-2.0
"""Scenario vmm-hugetlb: a VMM's guest memory in 1 GiB huge pages (a
hugetlb memfd of 2 GiB, its heartbeat in a 2 MiB one) written until the
kexec; the new VMM retrieves it and finds every byte and the last
counter, at the same physical pages, with the same pool counters."""

from vmtest import (HUGETLB_BOOT_RE, HUGETLB_POOL, Scenario, check_hugetlb_vmm,
                    check_run, vmm_report)

SIZE_MB = 2048


def c_vmm(c, sc, outdir):
    check_run(c, 1, "luo_vmm", want=["vmm.start"], may_skip=["vmm.verify"])
    check_run(c, 2, "luo_vmm", want=["vmm.verify"], may_skip=["vmm.start"])
    rep = vmm_report(c.run.gens.get(2))
    if not c.ok(rep, "generation 2: luo_vmm reported what it found"):
        return
    c.ok(rep["size_mb"] == SIZE_MB, "%d MiB of guest memory (%d)"
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
    if check_hugetlb_vmm(c, SIZE_MB, 1 << 20):
        c.note("gen 2: %d folios of 1 GiB, %d at the same PFN (first %s, "
               "was %s)" % (rep["folios"], rep["pfns_same"], rep.get("pfn0"),
                            rep.get("pfn0_was")))
    g2 = c.run.gens.get(2)
    boot = [HUGETLB_BOOT_RE.search(m) for m in (g2.msgs("HugeTLB: ") if g2
                                                 else [])]
    boot = [m.groups() for m in boot if m and m.group(2) == "1.00 GiB"]
    c.ok(boot == [(str(SIZE_MB >> 10), "1.00 GiB", str(4 - (SIZE_MB >> 10)))],
         "generation 2: the boot pool counted %d preserved 1 GiB pages and "
         "allocated %d (%s)" % (SIZE_MB >> 10, 4 - (SIZE_MB >> 10), boot))
    if rep.get("stopped") is not None:
        c.note("gen 2: the writer's last write -> memory retrieved: %.1f ms"
               % rep["stopped"])
    for what in ("last_write", "retrieved", "mapped", "verified"):
        if rep.get(what) is not None:
            c.note("gen 2: reboot() -> %s: %.1f ms (reboot() estimated)"
                   % (what, rep[what]))


SCENARIO = Scenario("vmm-hugetlb", "a VMM process writes to %d MiB of guest "
                    "memory in 1 GiB huge pages until the kexec; the new one "
                    "retrieves it and finds every byte at the same PFNs"
                    % SIZE_MB,
                    gens=2, mem="8G", cpu="max", timeout=1500, gen_params={},
                    common=["liveupdate=on"] + HUGETLB_POOL +
                    ["khotest.run=/bin/luo_vmm:-s:%d:-H:1G" % SIZE_MB],
                    check=c_vmm)
