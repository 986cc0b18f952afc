// SPDX-License-Identifier: GPL-2.0
/*
 * The previous kernel's trace after a kexec with Kexec HandOver: a
 * persistent ring buffer in a reserve_mem region that KHO kept in place.
 *
 * Boot both kernels with "kho=on reserve_mem=8M:4096:trace
 * trace_instance=boot_mapped^traceoff@trace", then:
 *
 *   reserve_mem_trace -t record    # records sched_switch and a marker
 *   (kexec into the next kernel)
 *   reserve_mem_trace -t kept      # finds them in the next kernel
 *
 * record turns the instance on with sched_switch enabled, makes a few
 * context switches and writes "kho-trace-marker boot_id=ID" (this boot's
 * id) to its trace_marker.  kept reads the instance's trace in the next
 * kernel and wants a marker of another boot, sched_switch events before
 * it, and the instance still off (nothing new written over them).  fresh
 * is for a next kernel that asked for a region of another size: the
 * instance is there and holds no marker.  Each prints what it saw as "#"
 * lines, the last trace lines too.  Run as root.  KTAP output.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "../kselftest_harness.h"

#define TRACEFS		"/sys/kernel/tracing"
#define INSTANCE	TRACEFS "/instances/boot_mapped"
#define MARKER		"kho-trace-marker boot_id="
#define BOOT_ID		"/proc/sys/kernel/random/boot_id"
#define TRACE_MAX	(8 << 20)
#define LAST_LINES	5

/* Mount tracefs if it is not yet; true if the instance is there. */
static bool instance_ready(void)
{
	if (access(TRACEFS "/instances", F_OK) &&
	    mount("tracefs", TRACEFS, "tracefs", 0, NULL) && errno != EBUSY)
		return false;
	return !access(INSTANCE, F_OK);
}

static int write_str(const char *path, const char *s)
{
	ssize_t len = strlen(s), n;
	int fd = open(path, O_WRONLY);

	if (fd < 0)
		return -errno;
	n = write(fd, s, len);
	close(fd);
	return n == len ? 0 : -EIO;
}

/* The whole of @path, NUL-terminated, in a buffer to free(); NULL on error. */
static char *read_all(const char *path, size_t max)
{
	char *buf = malloc(max + 1);
	size_t len = 0;
	ssize_t n;
	int fd;

	if (!buf)
		return NULL;
	fd = open(path, O_RDONLY);
	if (fd < 0) {
		free(buf);
		return NULL;
	}
	while (len < max && (n = read(fd, buf + len, max - len)) > 0)
		len += n;
	close(fd);
	buf[len] = '\0';
	return buf;
}

static void boot_id(char *id, size_t size)
{
	char *s = read_all(BOOT_ID, 64);

	snprintf(id, size, "%s", s ? s : "unknown");
	id[strcspn(id, "\n")] = '\0';
	free(s);
}

struct trace_seen {
	int events;		/* sched_switch lines before the first marker */
	int markers;
	char marker_boot[64];	/* boot id of the first marker */
	char marker_line[256];	/* and its line */
	int lines;
};

/* Count the instance's lines: sched_switch events, markers. */
static void scan_trace(char *trace, struct trace_seen *seen)
{
	char *line, *save = NULL;

	memset(seen, 0, sizeof(*seen));
	for (line = strtok_r(trace, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *m;

		if (line[0] == '#')
			continue;
		seen->lines++;
		m = strstr(line, MARKER);
		if (m) {
			if (!seen->markers++) {
				snprintf(seen->marker_boot,
					 sizeof(seen->marker_boot), "%.36s",
					 m + strlen(MARKER));
				snprintf(seen->marker_line,
					 sizeof(seen->marker_line), "%s", line);
			}
			continue;
		}
		if (!seen->markers && strstr(line, "sched_switch:"))
			seen->events++;
	}
}

/* The last @n lines of @trace as "#" lines. */
static void print_last(const char *trace, int n)
{
	const char *p = trace + strlen(trace);

	while (p > trace && n >= 0) {
		p--;
		if (*p == '\n' && p[1])
			n--;
	}
	if (*p == '\n')
		p++;
	while (*p) {
		size_t len = strcspn(p, "\n");

		ksft_print_msg("trace: %.*s\n", (int)len, p);
		p += len + (p[len] == '\n');
	}
}

TEST(record)
{
	char id[64], marker[128];
	struct trace_seen seen;
	char *trace;
	int i;

	if (!instance_ready())
		SKIP(return, "no %s (boot with reserve_mem= and trace_instance=)",
		     INSTANCE);
	ASSERT_EQ(0, write_str(INSTANCE "/events/sched/sched_switch/enable",
			       "1"));
	ASSERT_EQ(0, write_str(INSTANCE "/tracing_on", "1"));
	for (i = 0; i < 20; i++) {
		usleep(1000);
		sched_yield();
	}
	boot_id(id, sizeof(id));
	snprintf(marker, sizeof(marker), MARKER "%s", id);
	ASSERT_EQ(0, write_str(INSTANCE "/trace_marker", marker));
	trace = read_all(INSTANCE "/trace", TRACE_MAX);
	ASSERT_NE(NULL, trace);
	scan_trace(trace, &seen);
	free(trace);
	ksft_print_msg("recorded: boot_id=%s events=%d markers=%d\n", id,
		       seen.events, seen.markers);
	ASSERT_EQ(1, seen.markers);
	ASSERT_STREQ(id, seen.marker_boot);
	ASSERT_LT(0, seen.events);
}

TEST(kept)
{
	struct trace_seen seen;
	char id[64], *trace, *on, *last;

	ASSERT_TRUE(instance_ready());
	trace = read_all(INSTANCE "/trace", TRACE_MAX);
	ASSERT_NE(NULL, trace);
	print_last(trace, LAST_LINES);
	scan_trace(trace, &seen);
	free(trace);
	if (seen.markers)
		ksft_print_msg("marker: %s\n", seen.marker_line);
	boot_id(id, sizeof(id));
	last = read_all(INSTANCE "/last_boot_info", 256);
	if (last) {
		last[strcspn(last, "\n")] = '\0';
		ksft_print_msg("last_boot_info: %s\n", last);
		free(last);
	}
	on = read_all(INSTANCE "/tracing_on", 16);
	ksft_print_msg("kept: boot_id=%s marker=%s events=%d markers=%d lines=%d on=%c\n",
		       id, seen.markers ? seen.marker_boot : "none",
		       seen.events, seen.markers, seen.lines, on ? on[0] : '?');
	ASSERT_NE(NULL, on);
	EXPECT_EQ('0', on[0]);
	free(on);
	ASSERT_EQ(1, seen.markers);
	EXPECT_STRNE(id, seen.marker_boot);
	EXPECT_LT(0, seen.events);
}

TEST(fresh)
{
	struct trace_seen seen;
	char *trace;

	ASSERT_TRUE(instance_ready());
	trace = read_all(INSTANCE "/trace", TRACE_MAX);
	ASSERT_NE(NULL, trace);
	scan_trace(trace, &seen);
	free(trace);
	ksft_print_msg("fresh: events=%d markers=%d lines=%d\n", seen.events,
		       seen.markers, seen.lines);
	EXPECT_EQ(0, seen.markers);
}

TEST_HARNESS_MAIN
