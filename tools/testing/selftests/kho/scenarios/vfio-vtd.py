# SPDX-License-Identifier: GPL-2.0
"""Scenario vfio-vtd: vfio-edu behind an IOMMU.  The test host is a q35
with QEMU's VT-d (intel-iommu, legacy-mode tables, no interrupt
remapping: type1 is told to allow that); the edu is in a type1 container
that maps the memfd at an IOVA that is not its physical address.  The DMA started before
reboot() lands only if the kexec kept the translation on and the next
kernel took the old tables over; the next VMM maps the memfd again
before it retrieves the device.  The two edus behind a PCI bridge share
one IOMMU group: preserving one is refused with EBUSY."""

import importlib.util
import os

from vmtest import Scenario

_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "vfio-edu.py")
_SPEC = importlib.util.spec_from_file_location("kho_scenario_vfio_edu_checks",
                                               _PATH)
edu = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(edu)


def c_vtd(c, sc, outdir):
    edu.c_vfio(c, sc, outdir)
    g1, g2 = (c.run.gens.get(n) for n in (1, 2))
    want = sc.data["iommu"]
    c.ok(g1 and edu.report(g1).get("iommu") == want,
         "generation 1: the edu is behind the IOMMU, through %s" % want)
    # Only a unit the previous kernel left on is taken over.
    c.ok(g2 and g2.msgs("DMAR-KHO: dmar0: translation kept on for 1 of 1 "
                        "kept devices"),
         "generation 2: the unit was on and the kept device's translation "
         "was taken over")


def scenario(name, desc, iommu, common=()):
    return Scenario(name, desc, gens=3, mem="1G", timeout=600, gen_params={},
                    qemu_args=["-M", "q35",
                               "-device", "intel-iommu,intremap=off",
                               "-device", edu.EDU,
                               "-device", "pci-bridge,id=br1,chassis_nr=1",
                               "-device", edu.EDU + ",bus=br1,addr=1",
                               "-device", edu.EDU + ",bus=br1,addr=2"],
                    common=["liveupdate=on", "intel_iommu=on",
                            "khotest.run=/bin/luo_vfio"] + list(common),
                    check=c_vtd, data={"iommu": iommu})


SCENARIO = scenario("vfio-vtd", "a vfio-pci device behind VT-d (edu, type1 "
                    "container) keeps translating across the kexec, a DMA "
                    "in flight lands at its IOVA", "type1",
                    ["vfio_iommu_type1.allow_unsafe_interrupts=1"])
