// SPDX-License-Identifier: GPL-2.0
/*
 * A QEMU guest across the host's kexec, its RAM never copied.
 *
 * The VMM is Debian's qemu-system-x86_64 (TCG), its guest luo_guest.rom
 * (luo_guest.S): a few hundred bytes of firmware that tags every page of
 * its RAM, then counts timer ticks in RAM and prints each count with the
 * number of page tags it finds wrong.  Its RAM is a shared memfd
 * (memory-backend-memfd, or with -H 2M a hugetlb one of 2 MiB pages).
 *
 * Stage 1 (no session "luo-qemu-notes" yet) boots the guest, lets it
 * tick, then does what a host's update script does: stop the guest,
 * migrate with the x-ignore-shared capability (the device state only: the
 * shared RAM stays where it is) into a file with "exec:cat > FILE", or
 * with -f straight into a memfd passed to QEMU by SCM_RIGHTS ("getfd",
 * then "fd:state"); hand the RAM memfd and the state to luo-hold
 * (tools/liveupdate/, which copies a file into a memfd), which preserves
 * them in the LUO session "luo-qemu" and holds it; and quit QEMU.  It records the
 * PFNs of the guest RAM and its timestamps in a memfd of its own, kept in
 * the session "luo-qemu-notes" by a daemon.
 *
 * The kexec follows: with -k, stage 1 makes it itself, as an update script
 * would: it loads the next kernel ($LUO_KERNEL, $LUO_INITRD, $LUO_CMDLINE)
 * with kexec_file_load(2) while the guest still runs, and calls
 * reboot(LINUX_REBOOT_CMD_KEXEC) as soon as QEMU is gone, so that the
 * pause it measures is the one a host would have.  Stage 2 runs
 * "luo-hold restore -s luo-qemu -- qemu-system-x86_64 ..." with the RAM
 * as memory-backend-file on /proc/self/fd/{ram} and -incoming defer,
 * loads the device state from fd {state}, resumes the guest and checks
 * that it goes on counting from where it was (no reboot), finds every
 * page tag, and that its RAM is at the same PFNs; then it reports the
 * guest-visible pause and its parts ("# luo_qemu: ..." lines).
 *
 *   luo_qemu [-m MIB] [-H 2M] [-t TICKS] [-k] [-f] [-q QEMU] [-g ROM]
 *	     [-l LUO_HOLD]
 *
 * QEMU needs /bin/sh for its exec: migration (without -f).  The test is skipped
 * without QEMU or luo-hold.
 */
#include <dirent.h>
#include <poll.h>
#include <linux/reboot.h>
#include <sys/reboot.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>

#include "../kselftest_harness.h"
#include "luo_test.h"

#define SESSION		"luo-qemu"
#define NOTES_SESSION	"luo-qemu-notes"
#define NOTES_TOKEN	1
#define NOTES_MAGIC	0x6c756f2d71656d31ULL	/* "luo-qem1" */
#define WORKDIR		"/tmp/luo-qemu"
#define STATE_FILE	WORKDIR "/vm.state"
#define HOLDER_PID	WORKDIR "/holder.pid"
#define TICK_MS		50		/* the guest's PIT runs at 20 Hz */
#define WAIT_MS		(300 * 1000)	/* nested TCG is slow */

#define QMP_IGNORE_SHARED "{\"execute\":\"migrate-set-capabilities\",\"arguments\":{\"capabilities\":[{\"capability\":\"x-ignore-shared\",\"state\":true}]}}"
#define QMP_INFO_RAMBLOCK "{\"execute\":\"human-monitor-command\",\"arguments\":{\"command-line\":\"info ramblock\"}}"
#define QMP_MIGRATE \
	"{\"execute\":\"migrate\",\"arguments\":{\"uri\":\"exec:cat > " STATE_FILE "\"}}"
#define QMP_MIGRATE_FD "{\"execute\":\"migrate\",\"arguments\":{\"uri\":\"fd:state\"}}"
#define QMP_GETFD "{\"execute\":\"getfd\",\"arguments\":{\"fdname\":\"state\"}}"
#define QMP_MIGRATE_INCOMING "{\"execute\":\"migrate-incoming\",\"arguments\":{\"uri\":\"fd:%d\"}}"

static uint64_t ram_mb = 128;
static uint64_t huge_kb;
static long ticks_before = 20;
static const char *qemu = "qemu-system-x86_64";
static const char *rom = "/lib/luo_guest.rom";
static const char *luo_hold = "luo-hold";
static int notes_session = -ENOENT;
static bool do_kexec;
static bool state_memfd;

/* What stage 1 hands to stage 2, in the memfd of NOTES_SESSION. */
struct notes {
	uint64_t magic;
	uint64_t ram_mb;
	uint64_t huge_kb;
	uint64_t tsc_start;		/* stage 1 started */
	uint64_t tsc_stop;		/* "stop" sent */
	uint64_t tsc_last_tick;		/* last tick line before it */
	uint64_t tsc_saved;		/* migration completed */
	uint64_t tsc_preserved;		/* luo-hold holds the session */
	uint64_t tsc_end;		/* QEMU gone */
	uint64_t tsc_reboot;		/* reboot() called (-k), or 0 */
	uint64_t load_ms;		/* kexec_file_load() took (-k) */
	uint64_t last_tick;		/* its count */
	uint64_t partial;		/* a line was cut by the stop */
	uint64_t state_bytes;
	uint64_t mig_ram_total;		/* migratable RAM of the source */
	uint64_t mig_rom_bytes;		/* ... in blocks other than "ram" */
	uint64_t mig_transferred;
	uint64_t npages;
	uint64_t pfn[];			/* of each 4 KiB page, 0: none */
};

struct vm {
	const char *tag;		/* what its own lines are shown as */
	pid_t pid;
	int out;			/* QEMU's stdout and stderr */
	int qmp;
	char line[4096];
	size_t len;
	char reply[65536];		/* last QMP reply */
	long boots;
	long first_tick, last_tick, ticks, bad_ticks;
	uint64_t tsc_first_tick, tsc_last_tick;
	int state_fd;			/* from luo-hold restore's report */
};

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ULL + ts.tv_nsec / 1000000;
}

/* TSC ticks per millisecond, measured against CLOCK_MONOTONIC_RAW. */
static uint64_t tsc_khz(void)
{
	struct timespec a, b;
	uint64_t t0, t1, ns;

	clock_gettime(CLOCK_MONOTONIC_RAW, &a);
	t0 = rdtsc();
	usleep(100000);
	clock_gettime(CLOCK_MONOTONIC_RAW, &b);
	t1 = rdtsc();
	ns = (b.tv_sec - a.tv_sec) * 1000000000ULL + b.tv_nsec - a.tv_nsec;
	return ns ? (t1 - t0) * 1000000 / ns : 1;
}

static double ms(uint64_t from, uint64_t to, uint64_t khz)
{
	return ((double)to - (double)from) / khz;
}

/* One line of QEMU's output: the guest's serial line, or QEMU's own. */
static void vm_line(struct vm *vm, char *s)
{
	long a, b;
	int fd;

	if (sscanf(s, "luo-guest: tick %ld bad %ld", &a, &b) == 2) {
		if (!vm->ticks++) {
			vm->first_tick = a;
			vm->tsc_first_tick = rdtsc();
		}
		vm->last_tick = a;
		vm->tsc_last_tick = rdtsc();
		if (b)
			vm->bad_ticks++;
		return;
	}
	if (!strncmp(s, "luo-guest: boot ", 16)) {
		vm->boots++;
		ksft_print_msg("guest: %s\n", s + 11);
		return;
	}
	if (sscanf(s, "luo-hold: session " SESSION ": state: fd %d", &fd) == 1)
		vm->state_fd = fd;
	ksft_print_msg("%s: %s\n", vm->tag, s);
}

/* Read what QEMU printed, for up to @wait_ms; false once it is gone. */
static bool vm_pump(struct vm *vm, int wait_ms)
{
	struct pollfd p = { .fd = vm->out, .events = POLLIN };
	char buf[4096];
	ssize_t n, i;

	if (vm->out < 0)
		return false;
	if (poll(&p, 1, wait_ms) <= 0)
		return true;
	n = read(vm->out, buf, sizeof(buf));
	if (n <= 0) {
		close(vm->out);
		vm->out = -1;
		return false;
	}
	for (i = 0; i < n; i++) {
		if (buf[i] == '\r')
			continue;
		if (buf[i] != '\n' && vm->len < sizeof(vm->line) - 1) {
			vm->line[vm->len++] = buf[i];
			continue;
		}
		vm->line[vm->len] = '\0';
		if (buf[i] == '\n')
			vm_line(vm, vm->line);
		vm->len = 0;
	}
	return true;
}

static bool vm_wait_ticks(struct vm *vm, long n)
{
	uint64_t end = mono_ms() + WAIT_MS;

	while (vm->ticks < n && mono_ms() < end)
		if (!vm_pump(vm, 100))
			return false;
	return vm->ticks >= n;
}

static int vm_spawn(struct vm *vm, char *const argv[])
{
	int p[2], null;

	if (pipe(p))
		return -errno;
	fflush(stdout);
	fflush(stderr);
	vm->pid = fork();
	if (vm->pid < 0)
		return -errno;
	if (!vm->pid) {
		null = open("/dev/null", O_RDONLY);
		dup2(null, 0);
		dup2(p[1], 1);
		dup2(p[1], 2);
		close(p[0]);
		close(p[1]);
		execvp(argv[0], argv);
		fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(p[1]);
	vm->out = p[0];
	vm->qmp = -1;
	vm->state_fd = -1;
	return 0;
}

/* Wait for QEMU to exit, reading its output; its wait status or -1. */
static int vm_reap(struct vm *vm, int wait_ms)
{
	uint64_t end = mono_ms() + wait_ms;
	int status;

	while (mono_ms() < end) {
		if (waitpid(vm->pid, &status, WNOHANG) == vm->pid) {
			while (vm->out >= 0 && mono_ms() < end &&
			       vm_pump(vm, 10))
				;
			vm->pid = 0;
			return status;
		}
		vm_pump(vm, 50);
	}
	kill(vm->pid, SIGKILL);
	waitpid(vm->pid, &status, 0);
	vm->pid = 0;
	return -1;
}

/*
 * Send one QMP command, with @fd attached (SCM_RIGHTS, for "getfd") unless
 * it is -1; the reply ("return" or "error") in vm->reply.
 */
static bool qmp_fd(struct vm *vm, int fd, const char *fmt, ...)
{
	char cmd[1024], cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = cmd };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	uint64_t end = mono_ms() + WAIT_MS;
	size_t len = 0;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(cmd, sizeof(cmd) - 1, fmt, ap);
	va_end(ap);
	if (n < 0 || n >= (int)sizeof(cmd) - 1)
		return false;
	cmd[n++] = '\n';
	iov.iov_len = n;
	if (fd >= 0) {
		struct cmsghdr *c;

		msg.msg_control = cbuf;
		msg.msg_controllen = sizeof(cbuf);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	if (sendmsg(vm->qmp, &msg, MSG_NOSIGNAL) != n)
		return false;
	while (mono_ms() < end) {
		struct pollfd p = { .fd = vm->qmp, .events = POLLIN };
		char *nl;
		ssize_t r;

		vm_pump(vm, 0);
		if (poll(&p, 1, 20) <= 0)
			continue;
		r = read(vm->qmp, vm->reply + len, sizeof(vm->reply) - 1 - len);
		if (r <= 0)
			return false;
		len += r;
		vm->reply[len] = '\0';
		while ((nl = strchr(vm->reply, '\n'))) {
			*nl = '\0';
			if (strstr(vm->reply, "\"return\"") ||
			    strstr(vm->reply, "\"error\""))
				return !strstr(vm->reply, "\"error\"");
			/* An event: drop it. */
			len -= nl + 1 - vm->reply;
			memmove(vm->reply, nl + 1, len + 1);
		}
		if (len >= sizeof(vm->reply) - 1)
			return false;
	}
	return false;
}

#define qmp(vm, ...) qmp_fd(vm, -1, __VA_ARGS__)

static bool qmp_connect(struct vm *vm, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	uint64_t end = mono_ms() + WAIT_MS;
	char greeting[1024];
	ssize_t r;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	while (mono_ms() < end) {
		vm->qmp = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (vm->qmp < 0)
			return false;
		if (!connect(vm->qmp, (struct sockaddr *)&sa, sizeof(sa)))
			break;
		close(vm->qmp);
		vm->qmp = -1;
		if (!vm_pump(vm, 100))
			return false;
	}
	if (vm->qmp < 0)
		return false;
	/* The greeting is one line; qmp() reads the rest. */
	r = read(vm->qmp, greeting, sizeof(greeting) - 1);
	if (r <= 0 || !memchr(greeting, '\n', r))
		return false;
	return qmp(vm, "{\"execute\":\"qmp_capabilities\"}");
}

/* The number after "key": in the last reply, or -1. */
static long long reply_num(struct vm *vm, const char *key)
{
	char pat[64], *s;

	snprintf(pat, sizeof(pat), "\"%s\": ", key);
	s = strstr(vm->reply, pat);
	return s ? strtoll(s + strlen(pat), NULL, 10) : -1;
}

/* Poll query-migrate until it is done; true if "completed". */
static bool qmp_wait_migration(struct vm *vm)
{
	uint64_t end = mono_ms() + WAIT_MS;

	while (mono_ms() < end) {
		if (!qmp(vm, "{\"execute\":\"query-migrate\"}"))
			return false;
		if (strstr(vm->reply, "\"completed\""))
			return true;
		if (strstr(vm->reply, "\"failed\"") ||
		    strstr(vm->reply, "\"cancelled\"")) {
			ksft_print_msg("migration: %s\n", vm->reply);
			return false;
		}
		usleep(5000);
	}
	return false;
}

/*
 * The bytes of RAM blocks other than the guest's ("ram"), from
 * "info ramblock": the ROMs that a migration copies.
 */
static long long rom_bytes(struct vm *vm)
{
	unsigned long long v[3];
	long long sum = 0;
	char *s, *e, name[128];
	int k;

	if (!qmp(vm, QMP_INFO_RAMBLOCK))
		return -1;
	/* Rows "NAME PSIZE OFFSET USED TOTAL", split by a literal "\r\n". */
	for (s = strstr(vm->reply, "\\n"); s; s = e) {
		s += 2;
		e = strstr(s, "\\n");
		if (sscanf(s, " %127s", name) != 1 || !strcmp(name, "ram"))
			continue;
		/* The last three numbers of the row: offset, used, total. */
		for (k = 0; (s = strstr(s, "0x")) && (!e || s < e); s += 2)
			v[k++ % 3] = strtoull(s, NULL, 16);
		if (k >= 3)
			sum += v[(k - 2) % 3];
	}
	return sum;
}

static void qemu_argv(char **argv, int *argc, const char *qmp_path)
{
	static char mem[64];

	snprintf(mem, sizeof(mem), "%lluM", (unsigned long long)ram_mb);
	argv[(*argc)++] = (char *)qemu;
	argv[(*argc)++] = "-accel";
	argv[(*argc)++] = "tcg";
	argv[(*argc)++] = "-M";
	argv[(*argc)++] = "pc,memory-backend=ram";
	argv[(*argc)++] = "-nodefaults";
	argv[(*argc)++] = "-no-user-config";
	argv[(*argc)++] = "-display";
	argv[(*argc)++] = "none";
	argv[(*argc)++] = "-m";
	argv[(*argc)++] = mem;
	argv[(*argc)++] = "-bios";
	argv[(*argc)++] = (char *)rom;
	argv[(*argc)++] = "-serial";
	argv[(*argc)++] = "stdio";
	argv[(*argc)++] = "-qmp";
	argv[(*argc)++] = (char *)qmp_path;
}

/*
 * The PFN of each 4 KiB page of the guest RAM mapping of process @pid
 * (the mapping of a memfd of ram_mb MiB), 0 where none is mapped.
 */
static int guest_pfns(pid_t pid, uint64_t *pfn, uint64_t npages)
{
	unsigned long long from, to;
	char path[64], l[512];
	uint64_t i, e;
	int fd, ret = -ENOENT;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	while (fgets(l, sizeof(l), f)) {
		if (sscanf(l, "%llx-%llx", &from, &to) != 2 ||
		    !strstr(l, "/memfd:") || to - from != npages * LUO_PAGE)
			continue;
		ret = 0;
		break;
	}
	fclose(f);
	if (ret)
		return ret;
	snprintf(path, sizeof(path), "/proc/%d/pagemap", pid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	for (i = 0; i < npages; i++) {
		if (pread(fd, &e, 8, (from / LUO_PAGE + i) * 8) != 8) {
			ret = -EIO;
			break;
		}
		pfn[i] = (e >> 63) ? e & ((1ULL << 55) - 1) : 0;
	}
	close(fd);
	return ret;
}

/* The fd number of the memfd that backs QEMU's guest RAM. */
static int qemu_ram_fd(pid_t pid)
{
	char path[300], link[256];
	struct dirent *d;
	int fd = -1;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	dir = opendir(path);
	if (!dir)
		return -1;
	while ((d = readdir(dir))) {
		ssize_t n;

		snprintf(path, sizeof(path), "/proc/%d/fd/%s", pid, d->d_name);
		n = readlink(path, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = '\0';
		if (strstr(link, "/memfd:memory-backend-memfd")) {
			fd = atoi(d->d_name);
			break;
		}
	}
	closedir(dir);
	return fd;
}

static bool tool_found(const char *name)
{
	char path[512], *dirs, *d, *save = NULL;

	if (strchr(name, '/'))
		return !access(name, X_OK);
	dirs = strdup(getenv("PATH") ?: "/bin:/usr/bin");
	for (d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		snprintf(path, sizeof(path), "%s/%s", d, name);
		if (!access(path, X_OK))
			break;
	}
	free(dirs);
	return !!d;
}

/* kexec_file_load(2) of the kernel, initrd and command line of $LUO_*. */
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

static size_t notes_bytes(uint64_t npages)
{
	return sizeof(struct notes) + npages * sizeof(uint64_t);
}

FIXTURE(qemu) {
	struct vm vm;
	uint64_t khz;
	bool handed_over;		/* the holders must live on */
};

FIXTURE_SETUP(qemu)
{
	memset(&self->vm, 0, sizeof(self->vm));
	self->vm.tag = "qemu";
	self->vm.out = -1;
	self->vm.qmp = -1;
	if (!tool_found(qemu))
		SKIP(return, "%s not found", qemu);
	if (!tool_found(luo_hold))
		SKIP(return, "%s not found", luo_hold);
	if (access(rom, R_OK))
		SKIP(return, "guest firmware %s: %s", rom, strerror(errno));
	mkdir(WORKDIR, 0700);
	self->khz = tsc_khz();
}

FIXTURE_TEARDOWN(qemu)
{
	FILE *f = fopen(HOLDER_PID, "r");
	int pid;

	/* A failed stage 1 cancels the handover: nothing half done. */
	if (f && !self->handed_over && fscanf(f, "%d", &pid) == 1 && pid > 0)
		kill(pid, SIGTERM);
	if (f)
		fclose(f);
	if (self->vm.pid > 0) {
		kill(self->vm.pid, SIGKILL);
		waitpid(self->vm.pid, NULL, 0);
	}
}

/* Stage 1: run the guest, stop it, save its device state, hand over. */
TEST_F_TIMEOUT(qemu, save, 900)
{
	uint64_t npages = ram_mb << 8, i, present = 0;
	char backend[160], hold_ram[64], hold_state[96];
	char *argv[40], *hold[12];
	struct notes *n, *nm;
	struct vm hv = { .tag = "luo-hold" };
	int argc = 0, ramfd, status, dev, s, nfd, ret, keep[1], sfd = -1;
	long long total, roms;
	struct stat st;
	pid_t pid;

	if (notes_session >= 0)
		SKIP(return, "stage 2: session %s handed over", NOTES_SESSION);
	ASSERT_EQ(-ENOENT, notes_session)
		TH_LOG("RETRIEVE_SESSION %s: %s", NOTES_SESSION,
		       strerror(-notes_session));
	n = calloc(1, notes_bytes(npages));
	ASSERT_NE(NULL, n);
	n->magic = NOTES_MAGIC;
	n->ram_mb = ram_mb;
	n->huge_kb = huge_kb;
	n->npages = npages;
	n->tsc_start = rdtsc();

	snprintf(backend, sizeof(backend),
		 "memory-backend-memfd,id=ram,size=%lluM,share=on%s",
		 (unsigned long long)ram_mb,
		 huge_kb ? ",hugetlb=on,hugetlbsize=2M" : "");
	unlink(WORKDIR "/qmp1");
	unlink(STATE_FILE);
	unlink(HOLDER_PID);
	qemu_argv(argv, &argc, "unix:" WORKDIR "/qmp1,server=on,wait=off");
	argv[argc++] = "-object";
	argv[argc++] = backend;
	argv[argc] = NULL;
	ASSERT_EQ(0, vm_spawn(&self->vm, argv));
	ASSERT_TRUE(qmp_connect(&self->vm, WORKDIR "/qmp1"))
		TH_LOG("no QMP from %s", qemu);
	ASSERT_TRUE(vm_wait_ticks(&self->vm, ticks_before))
		TH_LOG("the guest ticked %ld times", self->vm.ticks);
	ASSERT_EQ(1, self->vm.boots);
	ASSERT_EQ(0, self->vm.bad_ticks);
	if (do_kexec) {
		uint64_t t = mono_ms();

		ret = kexec_load();
		ASSERT_EQ(0, ret)
			TH_LOG("kexec_file_load of $LUO_KERNEL, $LUO_INITRD, $LUO_CMDLINE: %s",
			       strerror(-ret));
		n->load_ms = mono_ms() - t;
	}

	/* The update: stop, device state out, RAM and state to luo-hold. */
	n->tsc_stop = rdtsc();
	ASSERT_TRUE(qmp(&self->vm, "{\"execute\":\"stop\"}"));
	ASSERT_TRUE(qmp(&self->vm, QMP_IGNORE_SHARED))
		TH_LOG("%s", self->vm.reply);
	if (state_memfd) {
		/* Straight into a memfd of ours: QEMU gets it by SCM_RIGHTS. */
		sfd = luo_memfd("vm-state", 0);
		ASSERT_LE(0, sfd);
		ASSERT_TRUE(qmp_fd(&self->vm, sfd, QMP_GETFD))
			TH_LOG("%s", self->vm.reply);
		ASSERT_TRUE(qmp(&self->vm, QMP_MIGRATE_FD))
			TH_LOG("%s", self->vm.reply);
	} else {
		ASSERT_TRUE(qmp(&self->vm, QMP_MIGRATE))
			TH_LOG("%s", self->vm.reply);
	}
	ASSERT_TRUE(qmp_wait_migration(&self->vm));
	n->tsc_saved = rdtsc();
	total = reply_num(&self->vm, "total");
	n->mig_transferred = reply_num(&self->vm, "transferred");
	/* The guest is stopped: what it printed is in the pipe. */
	while (poll(&(struct pollfd){ .fd = self->vm.out, .events = POLLIN },
		    1, 20) > 0 && vm_pump(&self->vm, 0))
		;
	n->last_tick = self->vm.last_tick;
	n->tsc_last_tick = self->vm.tsc_last_tick;
	n->partial = self->vm.len != 0;
	roms = rom_bytes(&self->vm);
	ASSERT_LE(0, total);
	ASSERT_LE(0, roms);
	n->mig_ram_total = total;
	n->mig_rom_bytes = roms;
	ASSERT_EQ(total, roms) TH_LOG("guest RAM in the migration stream");
	if (state_memfd) {
		/* QEMU wrote it through its own fd: read it from the start. */
		ASSERT_EQ(0, lseek(sfd, 0, SEEK_SET));
		ASSERT_EQ(0, fstat(sfd, &st));
	} else {
		ASSERT_EQ(0, stat(STATE_FILE, &st));
	}
	n->state_bytes = st.st_size;
	ASSERT_EQ(0, guest_pfns(self->vm.pid, n->pfn, npages));
	for (i = 0; i < npages; i++)
		present += !!n->pfn[i];

	ramfd = qemu_ram_fd(self->vm.pid);
	ASSERT_LE(0, ramfd) TH_LOG("no memfd:memory-backend-memfd in QEMU");
	snprintf(hold_ram, sizeof(hold_ram), "ram=/proc/%d/fd/%d",
		 self->vm.pid, ramfd);
	if (state_memfd)
		snprintf(hold_state, sizeof(hold_state), "state=fd:%d", sfd);
	else
		snprintf(hold_state, sizeof(hold_state), "state=%s", STATE_FILE);
	argc = 0;
	hold[argc++] = (char *)luo_hold;
	hold[argc++] = "preserve";
	hold[argc++] = "-s";
	hold[argc++] = SESSION;
	hold[argc++] = "-p";
	hold[argc++] = HOLDER_PID;
	hold[argc++] = hold_ram;
	hold[argc++] = hold_state;
	hold[argc] = NULL;
	ASSERT_EQ(0, vm_spawn(&hv, hold));
	status = vm_reap(&hv, WAIT_MS);
	ASSERT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status))
		TH_LOG("luo-hold preserve: status %#x", status);
	if (sfd >= 0)
		close(sfd);
	n->tsc_preserved = rdtsc();
	/*
	 * With -k QEMU stays, stopped, until the kexec: if the kexec is
	 * refused, the guest goes on in it (cont) once the holder is gone.
	 * Without, this process ends and the caller kexecs: QEMU quits.
	 */
	if (!do_kexec) {
		ASSERT_TRUE(qmp(&self->vm, "{\"execute\":\"quit\"}"));
		status = vm_reap(&self->vm, WAIT_MS);
		ASSERT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status))
			TH_LOG("QEMU: status %#x", status);
	}
	n->tsc_end = rdtsc();

	ksft_print_msg("luo_qemu: guest %llu MiB (%s), ticks %ld..%ld, %llu pages mapped\n",
		       (unsigned long long)ram_mb,
		       huge_kb ? "hugetlb 2 MiB" : "memfd",
		       self->vm.first_tick, n->last_tick,
		       (unsigned long long)present);
	ksft_print_msg("luo_qemu: saved state=%llu migratable=%llu roms=%llu transferred=%llu\n",
		       (unsigned long long)n->state_bytes,
		       (unsigned long long)n->mig_ram_total,
		       (unsigned long long)n->mig_rom_bytes,
		       (unsigned long long)n->mig_transferred);
	ksft_print_msg("luo_qemu: stage1 save_ms=%.1f preserve_ms=%.1f quit_ms=%.1f\n",
		       ms(n->tsc_stop, n->tsc_saved, self->khz),
		       ms(n->tsc_saved, n->tsc_preserved, self->khz),
		       ms(n->tsc_preserved, n->tsc_end, self->khz));
	ksft_print_msg("luo_qemu: stage1 tsc_last_tick=%llu tsc_stop=%llu tsc_end=%llu\n",
		       (unsigned long long)n->tsc_last_tick,
		       (unsigned long long)n->tsc_stop,
		       (unsigned long long)n->tsc_end);
	ksft_print_msg("luo_qemu: stage1 huge_kb=%llu last_tick=%llu partial=%llu\n",
		       (unsigned long long)huge_kb,
		       (unsigned long long)n->last_tick,
		       (unsigned long long)n->partial);

	/* The notes, for stage 2, in a session of our own. */
	nfd = luo_memfd("luo-qemu-notes", 0);
	ASSERT_LE(0, nfd);
	ASSERT_EQ((ssize_t)notes_bytes(npages),
		  pwrite(nfd, n, notes_bytes(npages), 0));
	dev = luo_open();
	ASSERT_LE(0, dev) TH_LOG("%s: %s", LUO_DEVICE, strerror(-dev));
	s = luo_create_session(dev, NOTES_SESSION);
	close(dev);
	ASSERT_LE(0, s) TH_LOG("%s", strerror(-s));
	ret = luo_preserve_fd(s, nfd, NOTES_TOKEN);
	ASSERT_EQ(0, ret) TH_LOG("%s", strerror(-ret));
	nm = mmap(NULL, notes_bytes(npages), PROT_READ | PROT_WRITE,
		  MAP_SHARED, nfd, 0);
	ASSERT_NE(MAP_FAILED, nm);
	keep[0] = s;
	pid = luo_daemonize(keep, 1);
	ASSERT_LT(0, pid);
	close(s);
	free(n);
	if (!do_kexec) {
		self->handed_over = true;
		return;
	}
	ksft_print_msg("luo_qemu: kexec now (kexec_file_load took %llu ms, before the stop)\n",
		       (unsigned long long)nm->load_ms);
	fflush(stdout);
	/* The notes are preserved in place: this store reaches stage 2. */
	nm->tsc_reboot = rdtsc();
	ret = reboot(LINUX_REBOOT_CMD_KEXEC) ? -errno : 0;
	/* Refused: cancel the handover and let the guest go on. */
	kill(pid, SIGTERM);
	ASSERT_EQ(0, ret)
		TH_LOG("reboot(LINUX_REBOOT_CMD_KEXEC): %s; the guest resumes: %s",
		       strerror(-ret),
		       qmp(&self->vm, "{\"execute\":\"cont\"}") ?
		       "cont" : self->vm.reply);
}

/* Stage 2: a new QEMU on the same RAM resumes the guest. */
TEST_F_TIMEOUT(qemu, resume, 900)
{
	uint64_t tsc_start = rdtsc(), tsc_exec, tsc_qmp, tsc_loaded, tsc_cont;
	uint64_t i, same = 0, moved = 0, gone = 0, present = 0, *pfn;
	char backend[160];
	struct vm *vm = &self->vm;
	char *argv[48];
	struct notes *n;
	int argc = 0, nfd, ret;
	long expect;
	size_t len;
	double pause;

	if (notes_session == -ENOENT)
		SKIP(return, "stage 1: no session %s", NOTES_SESSION);
	ASSERT_LE(0, notes_session) TH_LOG("RETRIEVE_SESSION %s: %s",
					   NOTES_SESSION,
					   strerror(-notes_session));
	nfd = luo_retrieve_fd(notes_session, NOTES_TOKEN);
	ASSERT_LE(0, nfd) TH_LOG("%s", strerror(-nfd));
	n = mmap(NULL, sizeof(*n), PROT_READ, MAP_SHARED, nfd, 0);
	ASSERT_NE(MAP_FAILED, n);
	ASSERT_EQ(NOTES_MAGIC, n->magic);
	ASSERT_EQ(ram_mb, n->ram_mb) TH_LOG("run with -m %llu",
					    (unsigned long long)n->ram_mb);
	ASSERT_EQ(huge_kb, n->huge_kb);
	len = notes_bytes(n->npages);
	munmap(n, sizeof(*n));
	n = mmap(NULL, len, PROT_READ, MAP_SHARED, nfd, 0);
	ASSERT_NE(MAP_FAILED, n);
	ret = luo_finish(notes_session);
	ASSERT_EQ(0, ret);
	close(notes_session);

	snprintf(backend, sizeof(backend),
		 "memory-backend-file,id=ram,size=%lluM,share=on,mem-path=/proc/self/fd/{ram}",
		 (unsigned long long)ram_mb);
	unlink(WORKDIR "/qmp2");
	argv[argc++] = (char *)luo_hold;
	argv[argc++] = "restore";
	argv[argc++] = "-s";
	argv[argc++] = SESSION;
	argv[argc++] = "--";
	qemu_argv(argv, &argc, "unix:" WORKDIR "/qmp2,server=on,wait=off");
	argv[argc++] = "-object";
	argv[argc++] = backend;
	argv[argc++] = "-incoming";
	argv[argc++] = "defer";
	argv[argc] = NULL;
	tsc_exec = rdtsc();
	ASSERT_EQ(0, vm_spawn(vm, argv));
	ASSERT_TRUE(qmp_connect(vm, WORKDIR "/qmp2"))
		TH_LOG("no QMP from luo-hold restore ... %s", qemu);
	tsc_qmp = rdtsc();
	/* luo-hold places the files in operand order: ram at 3, state at 4. */
	if (vm->state_fd < 0)
		vm->state_fd = 4;
	ASSERT_TRUE(qmp(vm, QMP_IGNORE_SHARED));
	ASSERT_TRUE(qmp(vm, QMP_MIGRATE_INCOMING, vm->state_fd))
		TH_LOG("%s", vm->reply);
	ASSERT_TRUE(qmp_wait_migration(vm));
	tsc_loaded = rdtsc();
	tsc_cont = rdtsc();
	ASSERT_TRUE(qmp(vm, "{\"execute\":\"cont\"}")) TH_LOG("%s", vm->reply);
	ASSERT_TRUE(vm_wait_ticks(vm, ticks_before))
		TH_LOG("the guest ticked %ld times after the resume", vm->ticks);

	/* The guest went on: no reboot, the next count, every tag. */
	EXPECT_EQ(0, vm->boots) TH_LOG("the guest rebooted");
	expect = n->last_tick + 1 + !!n->partial;
	EXPECT_EQ(expect, vm->first_tick)
		TH_LOG("last tick before %llu, first after %ld",
		       (unsigned long long)n->last_tick, vm->first_tick);
	EXPECT_EQ(0, vm->bad_ticks) TH_LOG("the guest found page tags wrong");

	/* The same RAM: the same PFNs, nothing in the stream. */
	pfn = calloc(n->npages, sizeof(*pfn));
	ASSERT_NE(NULL, pfn);
	ASSERT_EQ(0, guest_pfns(vm->pid, pfn, n->npages));
	for (i = 0; i < n->npages; i++) {
		present += !!pfn[i];
		if (!n->pfn[i] || !pfn[i])
			gone += n->pfn[i] && !pfn[i];
		else if (n->pfn[i] == pfn[i])
			same++;
		else
			moved++;
	}
	EXPECT_EQ(0ULL, (unsigned long long)moved)
		TH_LOG("%llu pages at other PFNs", (unsigned long long)moved);
	EXPECT_LE(n->npages - 256, same)
		TH_LOG("only %llu pages compared", (unsigned long long)same);
	EXPECT_EQ(n->mig_ram_total, n->mig_rom_bytes)
		TH_LOG("guest RAM in the migration stream");
	ASSERT_TRUE(qmp(vm, "{\"execute\":\"quit\"}"));
	vm_reap(vm, WAIT_MS);

	pause = ms(n->tsc_last_tick, vm->tsc_first_tick, self->khz);
	ksft_print_msg("luo_qemu: resumed first_tick=%ld ticks=%ld boots=%ld bad=%ld\n",
		       vm->first_tick, vm->ticks, vm->boots, vm->bad_ticks);
	ksft_print_msg("luo_qemu: resumed pages_same=%llu moved=%llu unmapped=%llu mapped=%llu\n",
		       (unsigned long long)same, (unsigned long long)moved,
		       (unsigned long long)gone, (unsigned long long)present);
	ksft_print_msg("luo_qemu: stage2 tsc_start=%llu tsc_first_tick=%llu tsc_khz=%llu\n",
		       (unsigned long long)tsc_start,
		       (unsigned long long)vm->tsc_first_tick,
		       (unsigned long long)self->khz);
	if (n->tsc_reboot)
		ksft_print_msg("luo_qemu: kexec tsc_reboot=%llu kexec_load_ms=%llu\n",
			       (unsigned long long)n->tsc_reboot,
			       (unsigned long long)n->load_ms);
	ksft_print_msg("luo_qemu: figures pause_ms=%.1f save_ms=%.1f preserve_ms=%.1f\n",
		       pause, ms(n->tsc_stop, n->tsc_saved, self->khz),
		       ms(n->tsc_saved, n->tsc_preserved, self->khz));
	ksft_print_msg("luo_qemu: figures quit_ms=%.1f kexec_ms=%.1f restore_ms=%.1f\n",
		       ms(n->tsc_preserved, n->tsc_end, self->khz),
		       ms(n->tsc_end, tsc_start, self->khz),
		       ms(tsc_exec, tsc_qmp, self->khz));
	ksft_print_msg("luo_qemu: figures load_ms=%.1f resume_ms=%.1f\n",
		       ms(tsc_qmp, tsc_loaded, self->khz),
		       ms(tsc_cont, vm->tsc_first_tick, self->khz));
	ksft_print_msg("luo_qemu: figures state_bytes=%llu ram_copied=%llu ram_bytes=%llu\n",
		       (unsigned long long)n->state_bytes,
		       (unsigned long long)(n->mig_ram_total -
					    n->mig_rom_bytes),
		       (unsigned long long)(ram_mb << 20));
	free(pfn);
	munmap(n, len);
	close(nfd);
}

int main(int argc, char **argv)
{
	static char *hargv[4];
	int opt, dev;

	while ((opt = getopt(argc, argv, "m:H:t:kfq:g:l:")) != -1) {
		switch (opt) {
		case 'm':
			ram_mb = strtoull(optarg, NULL, 0);
			break;
		case 'H':
			if (strcmp(optarg, "2M")) {
				fprintf(stderr, "-H 2M\n");
				return 2;
			}
			huge_kb = 2048;
			break;
		case 't':
			ticks_before = strtol(optarg, NULL, 0);
			break;
		case 'k':
			do_kexec = true;
			break;
		case 'f':
			state_memfd = true;
			break;
		case 'q':
			qemu = optarg;
			break;
		case 'g':
			rom = optarg;
			break;
		case 'l':
			luo_hold = optarg;
			break;
		default:
			fprintf(stderr,
				"usage: %s [-m MIB] [-H 2M] [-t TICKS] [-k] [-f] [-q QEMU] [-g ROM] [-l LUO_HOLD]\n",
				argv[0]);
			return 2;
		}
	}
	if (!ram_mb || ram_mb % 2 || ticks_before < 1) {
		fprintf(stderr, "-m: an even number of MiB; -t: >= 1\n");
		return 2;
	}
	optind = 1;
	/* luo-hold opens the device itself: close it before it runs. */
	dev = luo_open_or_exit();
	notes_session = luo_retrieve_session(dev, NOTES_SESSION);
	close(dev);
	hargv[0] = argv[0];
	hargv[1] = "-f";
	hargv[2] = "qemu";
	return test_harness_run(3, hargv);
}
