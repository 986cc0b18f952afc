// SPDX-License-Identifier: GPL-2.0
/*
 * A PCI device assigned through VFIO keeps running across the kexec.
 *
 * The device is QEMU's "edu" (1234:11e8): a liveness register at 0x04
 * that reads back the inverse of what was written, and a DMA engine that
 * copies between its 4 KiB buffer (at device address 0x40000) and memory
 * 100 ms after it is started.  edu has no reset handler, so its own
 * registers prove nothing: the witnesses that nothing reset or
 * reprogrammed it are in its PCI config space, read from the hardware
 * through sysfs: the command register (bus mastering), BAR0 and the MSI
 * capability (enable, address, data).
 *
 * On a host without an IOMMU the device is used in VFIO's no-IOMMU mode
 * (group /dev/vfio/noiommu-N, container VFIO_NOIOMMU_IOMMU): its DMA
 * addresses are the physical addresses of a preserved memfd's pages.
 * Behind an IOMMU (group /dev/vfio/N, a type1 container) the memfd is
 * mapped at IOVA_BASE, which is not where its pages are: a DMA that lands
 * proves the translation was kept.  After the kexec the VMM maps the
 * retrieved memfd at the same IOVA in its new container before it
 * retrieves the device.  With "khotest.vfio=iommufd" on the kernel command
 * line the device is opened through its cdev (/dev/vfio/devices/vfioN)
 * and attached to an iommufd IOAS instead; the retrieved cdev file is
 * bound to a new iommufd whose IOAS maps the memfd at the same IOVA.
 *
 * Stage 1 (no session "luo-vfio"): binds vfio-pci to the edu on bus 0,
 * opens it, turns on bus mastering and MSI, copies a pattern into the
 * device by DMA, preserves the memfd and the device fd, checks that a
 * device sharing its reset domain (an edu behind a bridge with another)
 * is refused with EBUSY, records the witnesses, starts a DMA from the
 * device into the memfd and calls reboot(LINUX_REBOOT_CMD_KEXEC) at once
 * (the kernel loaded before): the DMA lands during the kexec.
 *
 * Stage 2: before anything is opened, the witnesses are as they were and
 * the device is bound to vfio-pci; opening it through its group fails
 * with EBUSY; the memfd comes back at the same pages with the DMA's bytes
 * in them; the retrieved device fd reports the same info, BAR and virtual
 * config; a DMA with its completion interrupt (MSI through an eventfd)
 * works; then the session is finished.  It preserves the memfd alone for
 * stage 3.
 *
 * Stage 3: retrieves the memfd and finishes: the same kexec without a
 * device, for the extra blackout a kept device costs.
 *
 * Reports "# luo_vfio: key=value ..." lines for the scenario's checks.
 */
#include <dirent.h>
#include <limits.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/reboot.h>
#include <linux/iommufd.h>
#include <linux/pci_regs.h>
#include <linux/reboot.h>
#include <linux/vfio.h>

#include "../kselftest_harness.h"
#include "luo_test.h"

#define SESSION		"luo-vfio"
#define TOKEN_MEM	1
#define TOKEN_DEV	2
#define TOKEN_NOTES	3
#define NOTES_MAGIC	0x6c756f2d7666696fULL	/* "luo-vfio" */
#define MEM_PAGES	4	/* 0: pattern, 1: in-flight DMA, 2: after */

#define EDU_VENDOR	0x1234
#define EDU_DEVICE	0x11e8
#define EDU_LIVENESS	0x04
#define EDU_STATUS	0x20
#define EDU_IRQ_STATUS	0x24
#define EDU_IRQ_ACK	0x64
#define EDU_DMA_SRC	0x80
#define EDU_DMA_DST	0x88
#define EDU_DMA_CNT	0x90
#define EDU_DMA_CMD	0x98
#define EDU_DMA_RUN	0x01
#define EDU_DMA_TO_RAM	0x02
#define EDU_DMA_IRQ	0x04
#define EDU_BUF		0x40000
/*
 * QEMU 7.2's edu refuses (aborts on) a transfer that ends at the end of
 * its 4 KiB buffer: keep every transfer to its first half.
 */
#define DMA_LEN		2048
#define EDU_DMA_IRQ_BIT	0x100

#ifndef VFIO_NOIOMMU_IOMMU
#define VFIO_NOIOMMU_IOMMU	8
#endif
#define IOVA_BASE	0x1000000ULL	/* below edu's 28-bit DMA mask */

/* What stage 1 saw, for stage 2 to compare. */
struct notes {
	uint64_t magic;
	uint64_t stage;			/* the stage that wrote it */
	uint64_t pfn[MEM_PAGES];
	uint64_t tsc_dma;		/* the in-flight DMA started */
	uint32_t command, bar0, msi_ctrl, msi_addr_lo, msi_addr_hi, msi_data;
	uint32_t liveness;
	uint32_t vcommand;		/* through VFIO's config region */
	struct vfio_device_info info;
	uint64_t bar0_size;
	char bdf[16];
};

/* The device as the test drives it. */
struct edu {
	char bdf[16];
	int container, group, dev;
	bool iommu;			/* a type1 container, not no-IOMMU */
	bool cdev;			/* its cdev and an iommufd IOAS */
	int iommufd;
	uint32_t ioas;
	uint64_t bar0, config;		/* region offsets in the device fd */
	uint64_t bar0_size;
	struct vfio_device_info info;
};

static int sysfs_read(const char *bdf, const char *file, char *buf, size_t n)
{
	char path[PATH_MAX];
	ssize_t len;
	int fd;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/%s", bdf, file);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	len = read(fd, buf, n - 1);
	close(fd);
	if (len < 0)
		return -errno;
	buf[len] = '\0';
	return 0;
}

static int sysfs_write(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY), ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

/* The edus, bus 0 first: how many are found (at most @max). */
static int find_edus(char bdfs[][16], int max)
{
	struct dirent *d;
	int n = 0, i;
	DIR *dir;

	dir = opendir("/sys/bus/pci/devices");
	if (!dir)
		return 0;
	while ((d = readdir(dir)) && n < max) {
		char buf[32];

		if (d->d_name[0] == '.' ||
		    sysfs_read(d->d_name, "vendor", buf, sizeof(buf)) ||
		    strtoul(buf, NULL, 0) != EDU_VENDOR ||
		    sysfs_read(d->d_name, "device", buf, sizeof(buf)) ||
		    strtoul(buf, NULL, 0) != EDU_DEVICE)
			continue;
		snprintf(bdfs[n++], 16, "%s", d->d_name);
	}
	closedir(dir);
	/* "0000:00:..." sorts before the buses behind bridges. */
	for (i = 1; i < n; i++)
		for (int j = i; j > 0 && strcmp(bdfs[j - 1], bdfs[j]) > 0; j--) {
			char t[16];

			memcpy(t, bdfs[j], 16);
			memcpy(bdfs[j], bdfs[j - 1], 16);
			memcpy(bdfs[j - 1], t, 16);
		}
	return n;
}

/* The driver bound to @bdf ("" for none). */
static void driver_of(const char *bdf, char *name, size_t n)
{
	char path[PATH_MAX], link[PATH_MAX];
	ssize_t len;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver", bdf);
	len = readlink(path, link, sizeof(link) - 1);
	name[0] = '\0';
	if (len > 0) {
		link[len] = '\0';
		snprintf(name, n, "%s", strrchr(link, '/') + 1);
	}
}

static int bind_vfio(const char *bdf)
{
	char path[PATH_MAX], drv[64];
	int ret;

	driver_of(bdf, drv, sizeof(drv));
	if (!strcmp(drv, "vfio-pci"))
		return 0;
	snprintf(path, sizeof(path),
		 "/sys/bus/pci/devices/%s/driver_override", bdf);
	ret = sysfs_write(path, "vfio-pci");
	if (!ret)
		ret = sysfs_write("/sys/bus/pci/drivers_probe", bdf);
	driver_of(bdf, drv, sizeof(drv));
	return ret ?: strcmp(drv, "vfio-pci") ? -ENODEV : 0;
}

static int group_of(const char *bdf)
{
	char path[PATH_MAX], link[PATH_MAX];
	ssize_t len;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group",
		 bdf);
	len = readlink(path, link, sizeof(link) - 1);
	if (len <= 0)
		return -ENOENT;
	link[len] = '\0';
	return atoi(strrchr(link, '/') + 1);
}

/* The hardware's config space, through sysfs (not VFIO's virtual one). */
static uint32_t hw_config(const char *bdf, unsigned int off, unsigned int sz)
{
	char path[PATH_MAX];
	uint32_t v = 0;
	int fd;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/config", bdf);
	fd = open(path, O_RDONLY);
	if (fd < 0 || pread(fd, &v, sz, off) != (ssize_t)sz)
		v = ~0U;
	if (fd >= 0)
		close(fd);
	return v;
}

static unsigned int msi_cap(const char *bdf)
{
	unsigned int pos = hw_config(bdf, PCI_CAPABILITY_LIST, 1) & ~3U;
	int ttl = 48;

	while (pos && ttl--) {
		if ((hw_config(bdf, pos, 1) & 0xff) == PCI_CAP_ID_MSI)
			return pos;
		pos = hw_config(bdf, pos + 1, 1) & ~3U;
	}
	return 0;
}

static void witnesses(const char *bdf, struct notes *n)
{
	unsigned int msi = msi_cap(bdf);

	n->command = hw_config(bdf, PCI_COMMAND, 2);
	n->bar0 = hw_config(bdf, PCI_BASE_ADDRESS_0, 4);
	n->msi_ctrl = msi ? hw_config(bdf, msi + PCI_MSI_FLAGS, 2) : 0;
	n->msi_addr_lo = msi ? hw_config(bdf, msi + PCI_MSI_ADDRESS_LO, 4) : 0;
	n->msi_addr_hi = msi ? hw_config(bdf, msi + PCI_MSI_ADDRESS_HI, 4) : 0;
	n->msi_data = msi ? hw_config(bdf, msi + PCI_MSI_DATA_64, 2) : 0;
}

static int edu_open_group(struct edu *e, const char *bdf)
{
	char path[64];
	struct vfio_group_status st = { .argsz = sizeof(st) };
	int g = group_of(bdf);

	snprintf(e->bdf, sizeof(e->bdf), "%s", bdf);
	e->dev = -1;
	if (g < 0)
		return g;
	snprintf(path, sizeof(path), "/dev/vfio/noiommu-%d", g);
	e->iommu = access(path, F_OK) != 0;
	if (e->iommu)
		snprintf(path, sizeof(path), "/dev/vfio/%d", g);
	e->group = open(path, O_RDWR);
	if (e->group < 0)
		return -errno;
	e->container = open("/dev/vfio/vfio", O_RDWR);
	if (e->container < 0)
		return -errno;
	if (ioctl(e->group, VFIO_GROUP_GET_STATUS, &st) ||
	    !(st.flags & VFIO_GROUP_FLAGS_VIABLE))
		return -EINVAL;
	if (ioctl(e->group, VFIO_GROUP_SET_CONTAINER, &e->container) ||
	    ioctl(e->container, VFIO_SET_IOMMU, e->iommu ? VFIO_TYPE1v2_IOMMU :
		  VFIO_NOIOMMU_IOMMU))
		return -errno;
	return 0;
}

static int edu_get_fd(struct edu *e)
{
	int fd = ioctl(e->group, VFIO_GROUP_GET_DEVICE_FD, e->bdf);

	return fd < 0 ? -errno : fd;
}

static bool want_iommufd(void)
{
	char buf[4096] = "";
	int fd = open("/proc/cmdline", O_RDONLY);

	if (fd >= 0) {
		if (read(fd, buf, sizeof(buf) - 1) < 0)
			buf[0] = '\0';
		close(fd);
	}
	return strstr(buf, "khotest.vfio=iommufd");
}

/* The cdev of @bdf, opened, or -errno. */
static int edu_open_cdev(struct edu *e, const char *bdf)
{
	char path[PATH_MAX];
	struct dirent *d;
	DIR *dir;
	int fd = -ENOENT;

	snprintf(e->bdf, sizeof(e->bdf), "%s", bdf);
	e->iommu = true;
	e->cdev = true;
	e->group = -1;
	e->container = -1;
	e->iommufd = -1;
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/vfio-dev", bdf);
	dir = opendir(path);
	if (!dir)
		return -errno;
	while ((d = readdir(dir))) {
		if (strncmp(d->d_name, "vfio", 4))
			continue;
		snprintf(path, sizeof(path), "/dev/vfio/devices/%s", d->d_name);
		fd = open(path, O_RDWR);
		fd = fd < 0 ? -errno : fd;
		break;
	}
	closedir(dir);
	return fd;
}

static int edu_map(struct edu *e, void *buf, size_t len);

/*
 * A new iommufd and IOAS, mapping @buf if it is not NULL; binds the cdev
 * file e->dev and attaches it.
 */
static int edu_attach_ioas(struct edu *e, void *buf, size_t len)
{
	int ret;

	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
	struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind) };
	struct vfio_device_attach_iommufd_pt at = { .argsz = sizeof(at) };

	e->iommufd = open("/dev/iommu", O_RDWR);
	if (e->iommufd < 0)
		return -errno;
	if (ioctl(e->iommufd, IOMMU_IOAS_ALLOC, &alloc))
		return -errno;
	e->ioas = alloc.out_ioas_id;
	ret = buf ? edu_map(e, buf, len) : 0;
	if (ret)
		return ret;
	bind.iommufd = e->iommufd;
	at.pt_id = e->ioas;
	if (ioctl(e->dev, VFIO_DEVICE_BIND_IOMMUFD, &bind) ||
	    ioctl(e->dev, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at))
		return -errno;
	return 0;
}

/* The device, opened the way the test runs: group, or cdev and IOAS. */
static int edu_open(struct edu *e, const char *bdf)
{
	int ret;

	if (!want_iommufd()) {
		ret = edu_open_group(e, bdf);
		if (ret)
			return ret;
		e->dev = edu_get_fd(e);
		return e->dev < 0 ? e->dev : 0;
	}
	e->dev = edu_open_cdev(e, bdf);
	if (e->dev < 0)
		return e->dev;
	return edu_attach_ioas(e, NULL, 0);
}

/* Behind an IOMMU: the memfd's pages at IOVA_BASE. */
static int edu_map(struct edu *e, void *buf, size_t len)
{
	struct iommu_ioas_map imap = {
		.size = sizeof(imap),
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
			 IOMMU_IOAS_MAP_WRITEABLE,
		.user_va = (uintptr_t)buf,
		.length = len,
		.iova = IOVA_BASE,
	};
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (uintptr_t)buf,
		.iova = IOVA_BASE,
		.size = len,
	};

	if (!e->iommu)
		return 0;
	if (e->cdev) {
		imap.ioas_id = e->ioas;
		return ioctl(e->iommufd, IOMMU_IOAS_MAP, &imap) ? -errno : 0;
	}
	return ioctl(e->container, VFIO_IOMMU_MAP_DMA, &map) ? -errno : 0;
}

/* The device's address of page @i of the memfd. */
static uint64_t dma_addr(struct edu *e, const uint64_t *pfn, int i)
{
	return e->iommu ? IOVA_BASE + (uint64_t)i * LUO_PAGE : pfn[i] << 12;
}

static int edu_info(struct edu *e)
{
	struct vfio_region_info r = { .argsz = sizeof(r) };

	e->info = (struct vfio_device_info){ .argsz = sizeof(e->info) };
	if (ioctl(e->dev, VFIO_DEVICE_GET_INFO, &e->info))
		return -errno;
	r.index = VFIO_PCI_BAR0_REGION_INDEX;
	if (ioctl(e->dev, VFIO_DEVICE_GET_REGION_INFO, &r))
		return -errno;
	e->bar0 = r.offset;
	e->bar0_size = r.size;
	r = (struct vfio_region_info){ .argsz = sizeof(r),
				       .index = VFIO_PCI_CONFIG_REGION_INDEX };
	if (ioctl(e->dev, VFIO_DEVICE_GET_REGION_INFO, &r))
		return -errno;
	e->config = r.offset;
	return 0;
}

static int reg_write(struct edu *e, unsigned int off, uint64_t v, int sz)
{
	return pwrite(e->dev, &v, sz, e->bar0 + off) == sz ? 0 : -errno;
}

static uint64_t reg_read(struct edu *e, unsigned int off, int sz)
{
	uint64_t v = 0;

	if (pread(e->dev, &v, sz, e->bar0 + off) != sz)
		return ~0ULL;
	return v;
}

static uint32_t vconfig_read(struct edu *e, unsigned int off, int sz)
{
	uint32_t v = 0;

	if (pread(e->dev, &v, sz, e->config + off) != sz)
		return ~0U;
	return v;
}

static int vconfig_write(struct edu *e, unsigned int off, uint32_t v, int sz)
{
	return pwrite(e->dev, &v, sz, e->config + off) == sz ? 0 : -errno;
}

static int dma_start(struct edu *e, uint64_t src, uint64_t dst, uint64_t cmd)
{
	return reg_write(e, EDU_DMA_SRC, src, 8) ?:
	       reg_write(e, EDU_DMA_DST, dst, 8) ?:
	       reg_write(e, EDU_DMA_CNT, DMA_LEN, 8) ?:
	       reg_write(e, EDU_DMA_CMD, cmd, 8);
}

/* Wait up to 5 s for the DMA to be done. */
static int dma_wait(struct edu *e)
{
	for (int i = 0; i < 5000; i++) {
		uint64_t cmd = reg_read(e, EDU_DMA_CMD, 8);

		if (cmd == ~0ULL)
			return -EIO;
		if (!(cmd & EDU_DMA_RUN))
			return 0;
		usleep(1000);
	}
	return -ETIMEDOUT;
}

static int msi_enable(struct edu *e, int efd)
{
	char buf[sizeof(struct vfio_irq_set) + sizeof(int)];
	struct vfio_irq_set *set = (void *)buf;

	set->argsz = sizeof(buf);
	set->flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
	set->index = VFIO_PCI_MSI_IRQ_INDEX;
	set->start = 0;
	set->count = 1;
	memcpy(set->data, &efd, sizeof(int));
	return ioctl(e->dev, VFIO_DEVICE_SET_IRQS, set) ? -errno : 0;
}

static int kexec_load(void)
{
	const char *k = getenv("LUO_KERNEL"), *i = getenv("LUO_INITRD");
	const char *c = getenv("LUO_CMDLINE");
	int kfd, ifd, ret;

	if (!k || !i || !c)
		return -EINVAL;
	kfd = open(k, O_RDONLY);
	ifd = open(i, O_RDONLY);
	if (kfd < 0 || ifd < 0)
		return -errno;
	ret = syscall(__NR_kexec_file_load, kfd, ifd, strlen(c) + 1, c, 0UL);
	close(kfd);
	close(ifd);
	return ret ? -errno : 0;
}

FIXTURE(vfio) {
	int luo, session;
	int mem, notes_fd;
	uint8_t *buf;
	struct notes *n;
	struct edu e;
};

/*
 * Retrieved once, before the tests fork: a retrieved session closed
 * unfinished is gone.
 */
static int luo_fd = -ENOENT, stage_session = -ENOENT;

FIXTURE_SETUP(vfio)
{
	self->luo = luo_fd;
	if (self->luo < 0)
		SKIP(return, "no %s", LUO_DEVICE);
	self->session = stage_session;
	self->mem = -1;
	self->notes_fd = -1;
	self->e.dev = -1;
	self->e.group = -1;
	self->e.container = -1;
}

FIXTURE_TEARDOWN(vfio)
{
}

/* The memfd's pages, mapped and faulted in, with their PFNs. */
static int map_mem(int fd, uint8_t **buf, uint64_t *pfn)
{
	*buf = mmap(NULL, MEM_PAGES * LUO_PAGE, PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_POPULATE, fd, 0);
	if (*buf == MAP_FAILED)
		return -errno;
	return luo_pagemap(*buf, MEM_PAGES, pfn);
}

TEST_F_TIMEOUT(vfio, keep, 300)
{
	char bdfs[4][16], drv[64];
	uint8_t pattern[LUO_PAGE];
	uint64_t pfn[MEM_PAGES];
	struct notes *n;
	int nedu, efd, ret, i;

	if (self->session >= 0)
		SKIP(return, "stage 2 or 3: test resume");
	nedu = find_edus(bdfs, 4);
	if (!nedu)
		SKIP(return, "no edu device (QEMU -device edu)");
	ASSERT_EQ(0, kexec_load()) TH_LOG("kexec_file_load of $LUO_*");
	ASSERT_EQ(0, bind_vfio(bdfs[0])) TH_LOG("bind %s to vfio-pci",
						bdfs[0]);
	ret = edu_open(&self->e, bdfs[0]);
	ASSERT_EQ(0, ret) TH_LOG("open the device: %s", strerror(-ret));
	ASSERT_EQ(0, edu_info(&self->e));

	/* Memory enable and bus mastering, then MSI through an eventfd. */
	ASSERT_EQ(0, vconfig_write(&self->e, PCI_COMMAND, PCI_COMMAND_MEMORY |
				   PCI_COMMAND_MASTER, 2));
	efd = eventfd(0, EFD_CLOEXEC);
	ASSERT_LE(0, efd);
	ASSERT_EQ(0, msi_enable(&self->e, efd));

	self->session = luo_create_session(self->luo, SESSION);
	ASSERT_LE(0, self->session);
	self->mem = luo_memfd("luo-vfio-mem", MFD_CLOEXEC);
	ASSERT_LE(0, self->mem);
	ASSERT_EQ(0, ftruncate(self->mem, MEM_PAGES * LUO_PAGE));
	ASSERT_EQ(0, map_mem(self->mem, &self->buf, pfn));
	ASSERT_EQ(0, edu_map(&self->e, self->buf, MEM_PAGES * LUO_PAGE));
	ksft_print_msg("luo_vfio: iommu=%s\n", self->e.cdev ? "iommufd" :
		       self->e.iommu ? "type1" : "none");
	luo_pattern(pattern, 0x1234, 0, LUO_PAGE);
	memcpy(self->buf, pattern, LUO_PAGE);
	memset(self->buf + LUO_PAGE, 0, 3 * LUO_PAGE);

	/* The pattern into the device's buffer, by DMA from memory. */
	ASSERT_EQ(0, dma_start(&self->e, dma_addr(&self->e, pfn, 0), EDU_BUF,
			       EDU_DMA_RUN));
	ASSERT_EQ(0, dma_wait(&self->e));
	ASSERT_EQ(0, reg_write(&self->e, EDU_LIVENESS, 0x5a5a0f0f, 4));

	self->notes_fd = luo_memfd("luo-vfio-notes", MFD_CLOEXEC);
	ASSERT_LE(0, self->notes_fd);
	ASSERT_EQ(0, ftruncate(self->notes_fd, LUO_PAGE));
	n = mmap(NULL, LUO_PAGE, PROT_READ | PROT_WRITE, MAP_SHARED,
		 self->notes_fd, 0);
	ASSERT_NE(MAP_FAILED, n);
	n->magic = NOTES_MAGIC;
	n->stage = 1;
	memcpy(n->pfn, pfn, sizeof(pfn));
	snprintf(n->bdf, sizeof(n->bdf), "%s", bdfs[0]);
	n->info = self->e.info;
	n->bar0_size = self->e.bar0_size;
	n->liveness = reg_read(&self->e, EDU_LIVENESS, 4);
	n->vcommand = vconfig_read(&self->e, PCI_COMMAND, 2);
	ASSERT_EQ(~0x5a5a0f0fU, n->liveness);

	ASSERT_EQ(0, luo_preserve_fd(self->session, self->mem, TOKEN_MEM));
	ASSERT_EQ(0, luo_preserve_fd(self->session, self->notes_fd,
				     TOKEN_NOTES));
	ret = luo_preserve_fd(self->session, self->e.dev, TOKEN_DEV);
	ASSERT_EQ(0, ret) TH_LOG("preserve the device fd: %s", strerror(-ret));

	/* Two edus behind one bridge share its bus reset: refused. */
	if (nedu >= 3) {
		struct edu other;
		int s2;

		ASSERT_EQ(0, bind_vfio(bdfs[1]));
		ASSERT_EQ(0, bind_vfio(bdfs[2]));
		ASSERT_EQ(0, edu_open(&other, bdfs[1]));
		s2 = luo_create_session(self->luo, "luo-vfio-refused");
		ASSERT_LE(0, s2);
		ASSERT_EQ(-EBUSY, luo_preserve_fd(s2, other.dev, 1));
		ksft_print_msg("luo_vfio: refused=%s errno=EBUSY\n", bdfs[1]);
		close(s2);
		close(other.dev);
		if (other.cdev) {
			close(other.iommufd);
		} else {
			close(other.group);
			close(other.container);
		}
	}

	witnesses(bdfs[0], n);
	ASSERT_TRUE(n->command & PCI_COMMAND_MASTER);
	ASSERT_TRUE(n->msi_ctrl & PCI_MSI_FLAGS_ENABLE);
	ksft_print_msg("luo_vfio: stage=1 bdf=%s command=0x%x bar0=0x%x liveness=0x%x\n",
		       bdfs[0], n->command, n->bar0, n->liveness);
	ksft_print_msg("luo_vfio: msi_ctrl=0x%x msi_addr=0x%x msi_data=0x%x\n",
		       n->msi_ctrl, n->msi_addr_lo, n->msi_data);
	driver_of(bdfs[0], drv, sizeof(drv));

	/* The device's buffer into page 1, 100 ms from now: in the kexec. */
	for (i = 0; i < LUO_PAGE; i++)
		ASSERT_EQ(0, self->buf[LUO_PAGE + i]);
	n->tsc_dma = rdtsc();
	ASSERT_EQ(0, dma_start(&self->e, EDU_BUF, dma_addr(&self->e, pfn, 1),
			       EDU_DMA_RUN | EDU_DMA_TO_RAM));
	sync();
	ksft_print_msg("luo_vfio: kexec with the DMA in flight tsc_dma=%llu tsc_reboot=%llu\n",
		       (unsigned long long)n->tsc_dma,
		       (unsigned long long)rdtsc());
	fflush(stdout);
	ret = reboot(LINUX_REBOOT_CMD_KEXEC) ? -errno : 0;
	ASSERT_EQ(0, ret) TH_LOG("reboot(LINUX_REBOOT_CMD_KEXEC): %s",
				 strerror(-ret));
}

TEST_F_TIMEOUT(vfio, resume, 300)
{
	uint64_t pfn[MEM_PAGES], t0, t1;
	uint8_t pattern[LUO_PAGE];
	struct notes *n, now = {};
	char drv[64];
	struct edu *e = &self->e;
	struct pollfd pfd;
	uint64_t cnt;
	int efd, ret, i;

	if (self->session < 0)
		SKIP(return, "stage 1: test keep");
	self->notes_fd = luo_retrieve_fd(self->session, TOKEN_NOTES);
	ASSERT_LE(0, self->notes_fd);
	n = mmap(NULL, LUO_PAGE, PROT_READ | PROT_WRITE, MAP_SHARED,
		 self->notes_fd, 0);
	ASSERT_NE(MAP_FAILED, n);
	ASSERT_EQ(NOTES_MAGIC, n->magic);
	self->mem = luo_retrieve_fd(self->session, TOKEN_MEM);
	ASSERT_LE(0, self->mem);
	ASSERT_EQ(0, map_mem(self->mem, &self->buf, pfn));
	for (i = 0; i < MEM_PAGES; i++)
		ASSERT_EQ(n->pfn[i], pfn[i]) TH_LOG("page %d moved", i);

	if (n->stage == 2) {
		/* Stage 3: the same memory, no device. */
		ASSERT_EQ(0, luo_finish(self->session));
		ksft_print_msg("luo_vfio: stage=3 memfd only\n");
		return;
	}

	/* Before anything opens it: nothing reset or reprogrammed it. */
	witnesses(n->bdf, &now);
	driver_of(n->bdf, drv, sizeof(drv));
	ksft_print_msg("luo_vfio: stage=2 bdf=%s command=0x%x bar0=0x%x driver=%s\n",
		       n->bdf, now.command, now.bar0, drv);
	ksft_print_msg("luo_vfio: msi_ctrl=0x%x msi_addr=0x%x msi_data=0x%x\n",
		       now.msi_ctrl, now.msi_addr_lo, now.msi_data);
	EXPECT_EQ(n->command, now.command);
	EXPECT_TRUE(now.command & PCI_COMMAND_MASTER);
	EXPECT_EQ(n->bar0, now.bar0);
	EXPECT_EQ(n->msi_ctrl, now.msi_ctrl);
	EXPECT_EQ(n->msi_addr_lo, now.msi_addr_lo);
	EXPECT_EQ(n->msi_addr_hi, now.msi_addr_hi);
	EXPECT_EQ(n->msi_data, now.msi_data);
	ASSERT_STREQ("vfio-pci", drv);

	/* The DMA started before the kexec landed in the preserved page. */
	luo_pattern(pattern, 0x1234, 0, LUO_PAGE);
	ret = memcmp(self->buf + LUO_PAGE, pattern, DMA_LEN);
	ksft_print_msg("luo_vfio: inflight_dma=%s\n", ret ? "lost" : "landed");
	EXPECT_EQ(0, ret);

	/* Held for its session: neither the group nor the cdev opens it. */
	if (want_iommufd()) {
		ASSERT_EQ(-EBUSY, edu_open_cdev(e, n->bdf));
	} else {
		ASSERT_EQ(0, edu_open_group(e, n->bdf));
		ASSERT_EQ(0, edu_map(e, self->buf, MEM_PAGES * LUO_PAGE));
		ASSERT_EQ(-EBUSY, edu_get_fd(e));
	}

	t0 = rdtsc();
	e->dev = luo_retrieve_fd(self->session, TOKEN_DEV);
	t1 = rdtsc();
	ASSERT_LE(0, e->dev)
		TH_LOG("retrieve the device: %s", strerror(-e->dev));
	if (e->cdev) {
		/* the IOAS maps guest memory before the device is attached */
		ret = edu_attach_ioas(e, self->buf, MEM_PAGES * LUO_PAGE);
		ASSERT_EQ(0, ret) TH_LOG("bind and attach: %s", strerror(-ret));
	}
	ASSERT_EQ(0, edu_info(e));
	EXPECT_EQ(n->info.flags, e->info.flags);
	EXPECT_EQ(n->info.num_regions, e->info.num_regions);
	EXPECT_EQ(n->info.num_irqs, e->info.num_irqs);
	EXPECT_EQ(n->bar0_size, e->bar0_size);
	EXPECT_EQ(n->vcommand, vconfig_read(e, PCI_COMMAND, 2));
	now.liveness = reg_read(e, EDU_LIVENESS, 4);
	EXPECT_EQ(n->liveness, now.liveness);
	ksft_print_msg("luo_vfio: liveness=0x%x\n", now.liveness);
	witnesses(n->bdf, &now);
	EXPECT_EQ(n->command, now.command) TH_LOG("the open changed COMMAND");
	ksft_print_msg("luo_vfio: retrieve_tsc=%llu\n",
		       (unsigned long long)(t1 - t0));

	/* Interrupts set up again; a DMA that signals its completion. */
	efd = eventfd(0, EFD_CLOEXEC);
	ASSERT_LE(0, efd);
	ASSERT_EQ(0, msi_enable(e, efd));
	ASSERT_EQ(0, dma_start(e, EDU_BUF, dma_addr(e, pfn, 2), EDU_DMA_RUN |
			       EDU_DMA_TO_RAM | EDU_DMA_IRQ));
	pfd = (struct pollfd){ .fd = efd, .events = POLLIN };
	ASSERT_EQ(1, poll(&pfd, 1, 5000)) TH_LOG("no MSI from the DMA");
	ASSERT_EQ(sizeof(cnt), read(efd, &cnt, sizeof(cnt)));
	EXPECT_EQ(EDU_DMA_IRQ_BIT, reg_read(e, EDU_IRQ_STATUS, 4));
	ASSERT_EQ(0, reg_write(e, EDU_IRQ_ACK, EDU_DMA_IRQ_BIT, 4));
	EXPECT_EQ(0, memcmp(self->buf + 2 * LUO_PAGE, pattern, DMA_LEN));
	ksft_print_msg("luo_vfio: dma_after=ok msi=ok\n");

	ASSERT_EQ(0, luo_finish(self->session));
	close(self->session);

	/* Stage 3 keeps the memory alone, for the blackout without a device. */
	self->session = luo_create_session(self->luo, SESSION);
	ASSERT_LE(0, self->session);
	n->stage = 2;
	ASSERT_EQ(0, luo_preserve_fd(self->session, self->mem, TOKEN_MEM));
	ASSERT_EQ(0, luo_preserve_fd(self->session, self->notes_fd,
				     TOKEN_NOTES));
	ASSERT_LT(0, luo_daemonize((int[]){ self->luo, self->session }, 2));
}

int main(int argc, char **argv)
{
	luo_fd = luo_open();
	if (luo_fd >= 0)
		stage_session = luo_retrieve_session(luo_fd, SESSION);
	return test_harness_run(argc, argv);
}
