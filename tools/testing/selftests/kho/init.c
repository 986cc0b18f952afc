// SPDX-License-Identifier: GPL-2.0
/*
 * init for the KHO QEMU kexec tests (see vmtest.py).
 *
 * Runs as PID 1 from the test initramfs.  It reads its orders from
 * /proc/cmdline, reports to the host with "KHOTEST: gen=N ..." lines on
 * the console, kexecs into the next generation of the same kernel and
 * initramfs, and powers off after the last one:
 *
 *   khotest.scenario=NAME  name of the scenario, only reported
 *   khotest.gen=N          this generation, 1 on the first boot
 *   khotest.gens=G         number of generations (G - 1 kexecs)
 *   khotest.gN=a,b,...     kernel parameters for generation N only: on
 *                          generation N they are on the command line, and
 *                          they are replaced by those of generation N + 1
 *                          when init builds the next command line
 *   khotest.kexec=syscall|tools
 *                          kexec_file_load(2) from here (default), or
 *                          kexec(8) -s -l ... then kexec -e
 *   khotest.timeout=S      seconds to wait for the test module's result
 *   khotest.unclaimed=1    also wait for the unclaimed-memory result,
 *                          writing kho/in/finish if it does not come
 *   khotest.corrupt=1      set kexec_handover.test_corrupt_map before the
 *                          kexec
 *   khotest.set=P:V+P:V... set each kexec_handover.P to V before the kexec
 *   khotest.refuse=P       before the kexec, set kexec_handover.P to 1 and
 *                          try one that must be refused: report its errno
 *                          and the outgoing counters ("counter refused"),
 *                          set P back to 0, then kexec as usual
 *   khotest.dumpfdt=1      dump the KHO FDTs from debugfs in base64
 *   khotest.preload=0      do not calibrate the load time (see below)
 *   khotest.t0=TSC         set by init: the TSC at the previous reboot()
 *
 * The kernel and its initrd for the next generation are /boot/bzImage
 * and /sys/firmware/initrd (the retained initramfs: the command line
 * must have retain_initrd).
 *
 * Blackout timing: the command line of the next kernel is fixed when it
 * is loaded, before reboot().  So init loads once with a dummy t0 to
 * measure the load time D, then reads the TSC and loads again with
 * khotest.t0 = TSC + D, then calls reboot() at once: t0 estimates the
 * TSC at reboot() to within the difference between two identical loads
 * (khotest.tload=D is passed along too).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <linux/types.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/reboot.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#ifndef __NR_kexec_file_load
#define __NR_kexec_file_load 320
#endif

#define KERNEL_PATH	"/boot/bzImage"
#define INITRD_PATH	"/sys/firmware/initrd"
#define KEXEC_PATH	"/sbin/kexec"
#define KHO_DEBUGFS	"/sys/kernel/debug/kho"
#define TEST_MODULE	"/sys/module/test_kexec_handover"
#define KHO_PARAMS	"/sys/module/kexec_handover/parameters"
#define CORRUPT_PARAM	KHO_PARAMS "/test_corrupt_map"
#define CMDLINE_MAX	4096
#define MAX_TOKENS	256

static int gen = 1;
static int gens = 1;
static char cmdline[CMDLINE_MAX];
static char *tokens[MAX_TOKENS];
static int ntokens;

static void say(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	n = snprintf(buf, sizeof(buf), "KHOTEST: gen=%d ", gen);
	va_start(ap, fmt);
	n += vsnprintf(buf + n, sizeof(buf) - n, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	/* One write per line, so kernel messages do not split it. */
	if (write(STDOUT_FILENO, buf, n) < 0)
		return;
}

static __u64 rdtsc(void)
{
	__u32 lo, hi;

	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((__u64)hi << 32) | lo;
}

static __u64 now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ULL + ts.tv_nsec / 1000000;
}

static void power_off(void)
{
	say("poweroff");
	sync();
	reboot(LINUX_REBOOT_CMD_POWER_OFF);
	say("error poweroff failed: %s", strerror(errno));
	for (;;)
		pause();
}

static ssize_t read_file(const char *path, char *buf, size_t size)
{
	ssize_t n, total = 0;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	while ((size_t)total < size - 1) {
		n = read(fd, buf + total, size - 1 - total);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		total += n;
	}
	close(fd);
	buf[total] = '\0';
	return total;
}

static int write_file(const char *path, const char *val)
{
	int fd, ret = 0;

	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

static void parse_cmdline(void)
{
	char *p;

	if (read_file("/proc/cmdline", cmdline, sizeof(cmdline)) < 0) {
		say("error cannot read /proc/cmdline: %s", strerror(errno));
		return;
	}
	for (p = strtok(cmdline, " \t\n"); p && ntokens < MAX_TOKENS;
	     p = strtok(NULL, " \t\n"))
		tokens[ntokens++] = p;
}

/* Value of the last "name=value" token, or NULL. */
static const char *param(const char *name)
{
	size_t len = strlen(name);
	const char *val = NULL;
	int i;

	for (i = 0; i < ntokens; i++)
		if (!strncmp(tokens[i], name, len) && tokens[i][len] == '=')
			val = tokens[i] + len + 1;
	return val;
}

static long param_long(const char *name, long def)
{
	const char *val = param(name);

	return val ? strtol(val, NULL, 0) : def;
}

/* Is tok one of the comma separated tokens of list? */
static int in_list(const char *list, const char *tok)
{
	size_t len = strlen(tok);
	const char *p = list;

	while (p && *p) {
		if (!strncmp(p, tok, len) && (p[len] == ',' || !p[len]))
			return 1;
		p = strchr(p, ',');
		if (p)
			p++;
	}
	return 0;
}

static int file_exists(const char *path)
{
	struct stat st;

	return !stat(path, &st);
}

/* Kernel log: forward what matters to the host, remember the results. */

enum {
	SEEN_RESULT = 1,	/* test_kho: PASS/FAIL/no handover */
	SEEN_UNCLAIMED = 2,	/* test_kho: ... unclaimed ... or FAIL */
};

static int kmsg_fd = -1;
static int seen;

static int interesting(int level, const char *msg)
{
	return level <= 4 || strstr(msg, "KHO") || strstr(msg, "kho") ||
	       !strncmp(msg, "tsc: ", 5) || strstr(msg, "kexec") ||
	       strstr(msg, "deferred pages") ||
	       strstr(msg, "Unknown kernel command line");
}

static void kmsg_record(char *rec)
{
	char *msg, *nl;
	int prio;

	msg = strchr(rec, ';');
	if (!msg)
		return;
	*msg++ = '\0';
	nl = strchr(msg, '\n');
	if (nl)
		*nl = '\0';
	prio = atoi(rec);
	if (interesting(prio & 7, msg))
		say("kmsg <%d>%s", prio & 7, msg);
	if (!strncmp(msg, "test_kho: ", 10)) {
		const char *r = msg + 10;

		if (strstr(r, "unclaimed"))
			seen |= SEEN_UNCLAIMED;
		else if (!strncmp(r, "PASS", 4) || !strncmp(r, "no handover", 11))
			seen |= SEEN_RESULT;
		else if (!strncmp(r, "FAIL", 4))
			seen |= SEEN_RESULT | SEEN_UNCLAIMED;
	}
}

/* Read the kernel log until want is seen or timeout_ms passes. */
static int kmsg_pump(int want, int timeout_ms)
{
	__u64 end = now_ms() + timeout_ms;
	char rec[8192];
	ssize_t n;

	if (kmsg_fd < 0)
		return 0;
	for (;;) {
		n = read(kmsg_fd, rec, sizeof(rec) - 1);
		if (n > 0) {
			rec[n] = '\0';
			kmsg_record(rec);
			continue;
		}
		if (n < 0 && errno == EPIPE) {
			say("warning kernel log overrun");
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if ((seen & want) == want)
			return 1;
		if (n < 0 && errno == EAGAIN) {
			__s64 left = (__s64)(end - now_ms());
			struct pollfd pfd = { .fd = kmsg_fd, .events = POLLIN };

			if (left <= 0)
				return 0;
			poll(&pfd, 1, left > 1000 ? 1000 : left);
			continue;
		}
		say("error reading /dev/kmsg: %s", n ? strerror(errno) : "EOF");
		return 0;
	}
}

/* Reports about this boot. */

/* Each line of a debugfs text file as "KHOTEST: gen=N <key> <dir> <line>". */
static void report_lines(const char *key, const char *dir, const char *file)
{
	char path[256], buf[4096], *line;

	snprintf(path, sizeof(path), KHO_DEBUGFS "/%s/%s", dir, file);
	if (read_file(path, buf, sizeof(buf)) < 0)
		return;
	for (line = strtok(buf, "\n"); line; line = strtok(NULL, "\n"))
		say("%s %s %s", key, dir, line);
}

static void report_counters(const char *dir)
{
	report_lines("counter", dir, "counters");
}

/* The outgoing counters as they are now, reported under @label. */
static void report_out_counters(const char *label)
{
	char buf[4096], *line;

	if (read_file(KHO_DEBUGFS "/out/counters", buf, sizeof(buf)) < 0)
		return;
	for (line = strtok(buf, "\n"); line; line = strtok(NULL, "\n"))
		say("counter %s %s", label, line);
}

static void list_dir(const char *base, const char *rel, char *out, size_t size)
{
	char path[1024], sub[512];
	struct dirent *de;
	struct stat st;
	DIR *d;

	snprintf(path, sizeof(path), "%s/%s", base, rel);
	d = opendir(path);
	if (!d)
		return;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%s%s%s", rel, *rel ? "/" : "",
			 de->d_name);
		snprintf(path, sizeof(path), "%s/%s", base, sub);
		if (!stat(path, &st) && S_ISDIR(st.st_mode)) {
			list_dir(base, sub, out, size);
		} else if (strlen(out) + strlen(sub) + 2 < size) {
			strcat(out, " ");
			strcat(out, sub);
		}
	}
	closedir(d);
}

static void dump_base64(const char *tag, const char *path)
{
	static const char b64[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	static unsigned char data[1 << 20];
	char line[128];
	ssize_t size;
	size_t i, j;

	size = read_file(path, (char *)data, sizeof(data));
	if (size < 0) {
		say("fdt-missing %s %s", tag, path);
		return;
	}
	for (i = 0; i < (size_t)size; i += 57) {
		size_t len = (size_t)size - i < 57 ? (size_t)size - i : 57;
		char *o = line;

		for (j = 0; j < len; j += 3) {
			__u32 v = data[i + j] << 16;

			if (j + 1 < len)
				v |= data[i + j + 1] << 8;
			if (j + 2 < len)
				v |= data[i + j + 2];
			*o++ = b64[(v >> 18) & 63];
			*o++ = b64[(v >> 12) & 63];
			*o++ = j + 1 < len ? b64[(v >> 6) & 63] : '=';
			*o++ = j + 2 < len ? b64[v & 63] : '=';
		}
		*o = '\0';
		say("fdt-data %s %s", tag, line);
	}
	say("fdt-end %s %zd", tag, size);
}

static void dump_fdts(const char *dir)
{
	char path[512], tag[300];
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), KHO_DEBUGFS "/%s/fdt", dir);
	snprintf(tag, sizeof(tag), "%s/fdt", dir);
	dump_base64(tag, path);
	snprintf(path, sizeof(path), KHO_DEBUGFS "/%s/sub_fdts", dir);
	d = opendir(path);
	if (!d)
		return;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), KHO_DEBUGFS "/%s/sub_fdts/%s",
			 dir, de->d_name);
		snprintf(tag, sizeof(tag), "%s/sub_fdts/%s", dir, de->d_name);
		dump_base64(tag, path);
	}
	closedir(d);
}

static void report_kaslr(void)
{
	char line[256], text[32] = "?", phys[64] = "?";
	FILE *f;

	f = fopen("/proc/kallsyms", "r");
	if (f) {
		while (fgets(line, sizeof(line), f)) {
			if (strstr(line, " T _text\n") ||
			    strstr(line, " T startup_64\n")) {
				snprintf(text, sizeof(text), "%.16s", line);
				break;
			}
		}
		fclose(f);
	}
	f = fopen("/proc/iomem", "r");
	if (f) {
		while (fgets(line, sizeof(line), f)) {
			char *s = line;

			if (!strstr(line, ": Kernel code"))
				continue;
			while (*s == ' ')
				s++;
			snprintf(phys, sizeof(phys), "%.*s",
				 (int)strcspn(s, " "), s);
			break;
		}
		fclose(f);
	}
	say("kaslr text=%s phys=%s", text, phys);
}

static void report_system(void)
{
	char buf[4096], *p;
	struct dirent *de;
	int nodes = 0;
	DIR *d;

	d = opendir("/sys/devices/system/node");
	if (d) {
		while ((de = readdir(d)))
			if (!strncmp(de->d_name, "node", 4) &&
			    de->d_name[4] >= '0' && de->d_name[4] <= '9')
				nodes++;
		closedir(d);
	}
	if (read_file("/proc/meminfo", buf, sizeof(buf)) > 0) {
		p = strchr(buf, '\n');
		if (p)
			*p = '\0';
	} else {
		buf[0] = '\0';
	}
	say("system nodes=%d cpus=%ld %s", nodes,
	    sysconf(_SC_NPROCESSORS_ONLN), buf);
}

static void report_debugfs(void)
{
	char list[2048] = "";

	if (!file_exists(KHO_DEBUGFS)) {
		say("debugfs kho missing");
		return;
	}
	list_dir(KHO_DEBUGFS, "", list, sizeof(list));
	say("debugfs kho:%s", list);
	report_counters("in");
	report_counters("out");
	report_lines("scratch", "in", "scratch");
	report_lines("scratch", "out", "scratch");
}

/* The next generation. */

static void next_cmdline(char *out, size_t size, __u64 t0, __u64 tload)
{
	char name[32];
	const char *cur, *next;
	size_t len = 0;
	int i;

	snprintf(name, sizeof(name), "khotest.g%d", gen);
	cur = param(name);
	snprintf(name, sizeof(name), "khotest.g%d", gen + 1);
	next = param(name);
	out[0] = '\0';
	for (i = 0; i < ntokens; i++) {
		const char *t = tokens[i];

		if (!strncmp(t, "khotest.gen=", 12) ||
		    !strncmp(t, "khotest.t0=", 11) ||
		    !strncmp(t, "khotest.tload=", 14) ||
		    (cur && in_list(cur, t)))
			continue;
		len += snprintf(out + len, size - len, "%s ", t);
	}
	len += snprintf(out + len, size - len, "khotest.gen=%d", gen + 1);
	while (next && *next) {
		size_t n = strcspn(next, ",");

		if (n)
			len += snprintf(out + len, size - len, " %.*s",
					(int)n, next);
		next += n;
		if (*next == ',')
			next++;
	}
	snprintf(out + len, size - len, " khotest.t0=%llu khotest.tload=%llu",
		 (unsigned long long)t0, (unsigned long long)tload);
}

static int load_syscall(const char *cmd)
{
	int kfd, ifd, ret;

	kfd = open(KERNEL_PATH, O_RDONLY);
	if (kfd < 0) {
		say("error open " KERNEL_PATH ": %s", strerror(errno));
		return -1;
	}
	ifd = open(INITRD_PATH, O_RDONLY);
	if (ifd < 0) {
		say("error open " INITRD_PATH " (retain_initrd?): %s",
		    strerror(errno));
		close(kfd);
		return -1;
	}
	ret = syscall(__NR_kexec_file_load, kfd, ifd, strlen(cmd) + 1, cmd, 0UL);
	if (ret)
		say("error kexec_file_load: %s", strerror(errno));
	close(ifd);
	close(kfd);
	return ret;
}

static int run(const char *const argv[])
{
	int status;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		execv(argv[0], (char *const *)argv);
		say("error exec %s: %s", argv[0], strerror(errno));
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static int load_tools(const char *cmd)
{
	static char append[CMDLINE_MAX + 16];
	static const char *const argv[] = { KEXEC_PATH, "-s", "-l",
		KERNEL_PATH, "--initrd=" INITRD_PATH, append, NULL };
	int ret;

	snprintf(append, sizeof(append), "--append=%s", cmd);
	ret = run(argv);
	if (ret)
		say("error kexec -s -l exited with %d", ret);
	return ret;
}

static int set_kho_param(const char *name, const char *value)
{
	char path[256];
	int ret;

	snprintf(path, sizeof(path), KHO_PARAMS "/%s", name);
	ret = write_file(path, value);
	say("set %s %s %s", name, value, ret ? strerror(-ret) : "ok");
	return ret;
}

/* khotest.set=P:V+P:V...: set KHO's test parameters for this kexec. */
static void set_kho_params(void)
{
	static char list[512];
	char *item, *value;
	const char *p = param("khotest.set");

	if (!p)
		return;
	snprintf(list, sizeof(list), "%s", p);
	for (item = strtok(list, "+"); item; item = strtok(NULL, "+")) {
		value = strchr(item, ':');
		if (!value) {
			say("error khotest.set item %s has no value", item);
			continue;
		}
		*value++ = '\0';
		set_kho_param(item, value);
	}
}

/* khotest.refuse=P: one kexec that KHO must refuse, then none of it left. */
static void try_refused_kexec(int tools)
{
	const char *p = param("khotest.refuse");
	static char next[CMDLINE_MAX];

	if (!p)
		return;
	if (tools) {
		say("error khotest.refuse needs khotest.kexec=syscall");
		return;
	}
	if (set_kho_param(p, "1"))
		return;
	next_cmdline(next, sizeof(next), 0, 0);
	if (!load_syscall(next)) {
		kmsg_pump(0, 0);
		reboot(LINUX_REBOOT_CMD_KEXEC);
		say("refused %s", strerror(errno));
	}
	kmsg_pump(0, 0);
	report_out_counters("refused");
	set_kho_param(p, "0");
}

static void kexec_next(void)
{
	const char *method = param("khotest.kexec") ?: "syscall";
	int tools = !strcmp(method, "tools");
	static char next[CMDLINE_MAX];
	__u64 t0, tload = 0;
	int ret;

	if (param_long("khotest.corrupt", 0)) {
		ret = write_file(CORRUPT_PARAM, "1");
		say("corrupt %s", ret ? strerror(-ret) : "set");
	}
	set_kho_params();
	/* An explicit finalize step, if this kernel has one. */
	if (file_exists(KHO_DEBUGFS "/out/finalize")) {
		ret = write_file(KHO_DEBUGFS "/out/finalize", "1");
		say("finalize %s", ret ? strerror(-ret) : "done");
	}
	if (param_long("khotest.dumpfdt", 0))
		dump_fdts("out");
	report_counters("out");
	try_refused_kexec(tools);

	if (param_long("khotest.preload", 1)) {
		next_cmdline(next, sizeof(next), 0, 0);
		t0 = rdtsc();
		if (tools ? load_tools(next) : load_syscall(next))
			power_off();
		tload = rdtsc() - t0;
	}
	next_cmdline(next, sizeof(next), 0, 0);
	say("kexec method=%s cmdline=%s", method, next);
	kmsg_pump(0, 0);

	t0 = rdtsc();
	next_cmdline(next, sizeof(next), t0 + tload, tload);
	ret = tools ? load_tools(next) : load_syscall(next);
	if (ret)
		power_off();
	if (tools) {
		static const char *const argv[] = { KEXEC_PATH, "-e", NULL };

		run(argv);
		say("error kexec -e returned");
	} else {
		reboot(LINUX_REBOOT_CMD_KEXEC);
		say("error reboot(LINUX_REBOOT_CMD_KEXEC): %s", strerror(errno));
	}
	power_off();
}

static void mount_fs(const char *type, const char *dir)
{
	mkdir(dir, 0755);
	if (mount(type, dir, type, 0, NULL) && errno != EBUSY)
		say("error mount %s on %s: %s", type, dir, strerror(errno));
}

int main(void)
{
	__u64 tsc_init = rdtsc();
	long timeout;
	int want;

	mount_fs("proc", "/proc");
	/*
	 * From here on the kernel prints only warnings and worse on the
	 * console, so that its lines cannot split ours: everything else
	 * reaches the host through /dev/kmsg as "kmsg" reports.
	 */
	write_file("/proc/sys/kernel/printk", "5");
	mount_fs("sysfs", "/sys");
	mount_fs("devtmpfs", "/dev");
	mount_fs("debugfs", "/sys/kernel/debug");
	parse_cmdline();
	gen = param_long("khotest.gen", 1);
	gens = param_long("khotest.gens", 1);
	say("boot scenario=%s gens=%d tsc_init=%llu t0=%s",
	    param("khotest.scenario") ?: "none", gens,
	    (unsigned long long)tsc_init, param("khotest.t0") ?: "none");

	kmsg_fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
	if (kmsg_fd < 0)
		say("error open /dev/kmsg: %s", strerror(errno));
	timeout = param_long("khotest.timeout", 120) * 1000;
	want = file_exists(TEST_MODULE) ? SEEN_RESULT : 0;
	if (!kmsg_pump(want, timeout))
		say("timeout waiting for the test_kho result");
	if (param_long("khotest.unclaimed", 0) &&
	    !kmsg_pump(SEEN_UNCLAIMED, timeout / 4)) {
		if (file_exists(KHO_DEBUGFS "/in/finish")) {
			int ret = write_file(KHO_DEBUGFS "/in/finish", "1");

			say("finish %s", ret ? strerror(-ret) : "written");
		}
		if (!kmsg_pump(SEEN_UNCLAIMED, timeout))
			say("timeout waiting for the unclaimed result");
	}
	report_system();
	report_kaslr();
	report_debugfs();
	if (param_long("khotest.dumpfdt", 0))
		dump_fdts("in");
	kmsg_pump(0, 0);

	if (gen < gens)
		kexec_next();
	say("done");
	power_off();
}
