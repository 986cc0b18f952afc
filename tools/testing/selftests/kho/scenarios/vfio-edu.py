# SPDX-License-Identifier: GPL-2.0
"""Scenario vfio-edu: a PCI device bound to vfio-pci (QEMU's edu, VFIO's
no-IOMMU mode) keeps running across the kexec: bus mastering, BAR0 and
its MSI configuration untouched, a DMA started just before reboot()
lands in a preserved memfd during the kexec, and the next kernel hands
the VMM a working device fd.  Two edus behind one bridge share a reset
domain: preserving one is refused with EBUSY.  Generation 3 is the same
kexec with the memfd alone, for the blackout a kept device adds."""

import re

from vmtest import Scenario, check_run, run_msgs

EDU = "edu,dma_mask=0xffffffffffffffff"
HANDOVER_RE = re.compile(r"kstate: handover: (\d+) instances of (\d+) "
                         r"descriptions, (\d+) bytes")


def report(g):
    rep = {}
    for line in run_msgs(g, "luo_vfio", "luo_vfio: "):
        rep.update(re.findall(r"(\w+)=(\S+)", line))
    return rep


def c_vfio(c, sc, outdir):
    g1, g2, g3 = (c.run.gens.get(n) for n in (1, 2, 3))
    r = g1.runs.get("luo_vfio") if g1 else None
    lines = r["lines"] if r else []
    c.ok(any(l.startswith("# luo_vfio: kexec with the DMA in flight")
             for l in lines) and
         not any(l.startswith("not ok") for l in lines),
         "generation 1: luo_vfio preserved the device and kexeced with a "
         "DMA in flight")
    for l in [l for l in lines if " FAIL " in l or "vfio.c:" in l][:8]:
        c.note("gen 1 luo_vfio: " + l)
    check_run(c, 2, "luo_vfio", want=["vfio.resume"], may_skip=["vfio.keep"])
    check_run(c, 3, "luo_vfio", want=["vfio.resume"], may_skip=["vfio.keep"])
    r1, r2 = report(g1), report(g2)
    c.ok(r1.get("refused") and r1.get("errno") == "EBUSY",
         "a device sharing its reset domain is refused: %s"
         % r1.get("errno"))
    if not g2:
        return
    c.ok(g2.msgs("pci-liveupdate: %s kept running" % r1.get("bdf", "?")),
         "generation 2: the PCI core found the kept device")
    c.ok(any("kept across kexec: bound as it is" in m for _, m in g2.kmsg),
         "generation 2: vfio-pci bound it as it was, without a reset")
    c.ok(not any("refused" in m for _, m in g2.kmsg),
         "generation 2: nothing handed over was refused")
    for what in ("command", "bar0", "msi_ctrl", "msi_addr", "msi_data"):
        c.note("%s before %s, after %s" % (what, r1.get(what), r2.get(what)))
    c.ok(r2.get("inflight_dma") == "landed",
         "the DMA started before reboot() landed in the preserved memfd")
    c.note("edu liveness register before %s, after %s (edu has no reset "
           "handler: alone it proves nothing)"
           % (r1.get("liveness"), r2.get("liveness")))
    m = g2.match(HANDOVER_RE)
    c.ok(m and m.group(1) == "1", "generation 2: KSTATE handed over the "
         "device's state (%s)" % (m.group(0) if m else "nothing"))
    if m:
        c.note("KSTATE stream of one device: %s bytes" % m.group(3))
        c.figures["kstate_bytes"] = int(m.group(3))
    # Generation 1 kexecs itself and stamps its reboot() as init does.
    khz, init = g2.tsc_khz(), int(g2.boot.get("tsc_init", "0"))
    b2 = (init - int(r1["tsc_reboot"])) / khz if khz and init and \
        r1.get("tsc_reboot") else None
    b3 = g3.blackout_ms()[2] if g3 else None
    if b2 and b3:
        c.figures.update(blackout_device_ms=b2, blackout_alone_ms=b3)
        c.note("blackout reboot() -> init: %.0f ms with the device, %.0f ms "
               "with the memfd alone (+%.0f ms)" % (b2, b3, b2 - b3))


SCENARIO = Scenario("vfio-edu", "a vfio-pci device (edu, no-IOMMU) keeps "
                    "running across the kexec, a DMA in flight lands, the "
                    "device fd is retrieved", gens=3, mem="1G", timeout=600,
                    gen_params={},
                    qemu_args=["-device", EDU,
                               "-device", "pci-bridge,id=br1,chassis_nr=1",
                               "-device", EDU + ",bus=br1,addr=1",
                               "-device", EDU + ",bus=br1,addr=2"],
                    common=["liveupdate=on",
                            "vfio.enable_unsafe_noiommu_mode=1",
                            "khotest.run=/bin/luo_vfio"],
                    check=c_vfio)
