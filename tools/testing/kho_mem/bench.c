// SPDX-License-Identifier: GPL-2.0
/*
 * Benchmark of the KHO memory tracker in userspace: lib/kho_mem/tracker.c
 * and serialize.c built unchanged at -O2, against a model of mainline's
 * tracker (mainline_model.c) in the same run, on the workloads of
 * lib/kho_mem/bench_workload.h.
 *
 *   bench [S...]              times: best of a few rounds, per phase,
 *                             for scenarios S (A B C D; default all)
 *   bench --callgrind [S...]  also instructions per unit, from a run of
 *                             itself under valgrind --tool=callgrind, which
 *                             a noisy machine does not change
 *
 * Phases: preserve (one call per unit), serialize (the handover format),
 * walk (the next kernel's validation and report; the model's reserve
 * loop).  Metadata is what each keeps and hands over: for ours the
 * tracker's leaves and bitmaps plus the chunk pages, for the model its
 * bitmap pages plus its chunk pages.
 */
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <valgrind/callgrind.h>

#include "kho_mem_internal.h"
#include "../../../lib/kho_mem/tracker.c"
#include "../../../lib/kho_mem/serialize.c"
#include "../../../lib/kho_mem/bench_workload.h"
#include "mainline_model.h"

void radix_tree_init(void);

enum { PRESERVE, SERIALIZE, WALK, NR_PHASES };
static const char * const phase_names[NR_PHASES] = {
	"preserve", "serialize", "walk"
};

enum { OURS, MODEL, NR_IMPLS };
static const char * const impl_names[NR_IMPLS] = { "ours", "model" };

struct scenario {
	const char *name;
	const char *desc;
	unsigned int rounds;
	u64 *units;
	unsigned long nr;
	u64 pages;
};

struct result {
	u64 ns[NR_PHASES];
	u64 ir[NR_PHASES];
	u64 meta_bytes;
	u64 ranges;
};

static struct scenario scenarios[] = {
	{ "A", "16 GiB dense order-0, page by page", 3 },
	{ "B", "65,536 random pages over 1 TiB", 5 },
	{ "C", "1 TiB of 1 GiB folios", 50 },
	{ "D", "2^20 random units, orders 0-9, 64 GiB", 3 },
};

#define NR_SCENARIOS	ARRAY_SIZE(scenarios)

static bool under_callgrind;
static const char *only;	/* scenario letters to run, NULL: all */

static u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void make_units(struct scenario *s)
{
	unsigned long i;

	switch (s->name[0]) {
	case 'A':
		s->nr = KHO_BENCH_A_PAGES;
		break;
	case 'B':
		s->nr = KHO_BENCH_B_PAGES;
		break;
	case 'C':
		s->nr = KHO_BENCH_C_UNITS;
		break;
	default:
		s->nr = KHO_BENCH_D_UNITS;
		break;
	}
	s->units = malloc(s->nr * sizeof(*s->units));
	if (!s->units)
		exit(2);
	s->pages = 0;
	for (i = 0; i < s->nr; i++) {
		switch (s->name[0]) {
		case 'A':
			s->units[i] = (u64)kho_bench_a_pfn(i) << 5;
			break;
		case 'B':
			s->units[i] = (u64)kho_bench_b_pfn(i) << 5;
			break;
		case 'C':
			s->units[i] = (u64)kho_bench_c_pfn(i) << 5 |
				      KHO_BENCH_GIB_ORDER;
			break;
		}
		s->pages += 1UL << KHO_BENCH_ORDER(s->units[i]);
	}
	if (s->name[0] == 'D')
		s->pages = kho_bench_make_mixed(s->units, s->nr);
	if (!s->pages) {
		fprintf(stderr, "bench: no workload for %s\n", s->name);
		exit(2);
	}
}

/* Bracket one phase: instructions under callgrind, else time. */
static u64 phase_t0;

static void phase_start(void)
{
	if (under_callgrind)
		CALLGRIND_TOGGLE_COLLECT;
	phase_t0 = now_ns();
}

static u64 phase_end(const struct scenario *s, int impl, int phase)
{
	u64 ns = now_ns() - phase_t0;

	if (under_callgrind) {
		char label[64];

		CALLGRIND_TOGGLE_COLLECT;
		snprintf(label, sizeof(label), "%s/%s/%s", s->name,
			 impl_names[impl], phase_names[phase]);
		CALLGRIND_DUMP_STATS_AT(label);
	}
	return ns;
}

static int count_range(void *arg, unsigned long pfn, unsigned long nr_pages,
		       unsigned long orders)
{
	return 0;
}

static const struct kho_mem_walk_ops count_ops = { .range = count_range };

static void count_unit(void *arg, unsigned long pfn, unsigned int order)
{
	(*(u64 *)arg)++;
}

static void bench_fail(const struct scenario *s, const char *what)
{
	fprintf(stderr, "bench: %s: %s\n", s->name, what);
	exit(1);
}

static void run_ours(const struct scenario *s, struct result *r)
{
	static const struct kho_mem_range ram = { 0, 1ULL << 50 };
	struct kho_mem_walk_args args = { .ram = &ram, .nr_ram = 1 };
	static struct kho_mem_tracker t;
	struct kho_mem_walk_result res;
	struct kho_mem_chunks chunks;
	struct kho_mem_stats st;
	unsigned long i;

	kho_mem_init(&t);
	phase_start();
	for (i = 0; i < s->nr; i++) {
		if (kho_mem_preserve(&t, KHO_BENCH_PFN(s->units[i]),
				     KHO_BENCH_ORDER(s->units[i])))
			break;
	}
	r->ns[PRESERVE] = phase_end(s, OURS, PRESERVE);
	if (i != s->nr)
		bench_fail(s, "preserve failed");

	phase_start();
	if (kho_mem_serialize(&t, &chunks))
		bench_fail(s, "serialize failed");
	r->ns[SERIALIZE] = phase_end(s, OURS, SERIALIZE);

	args.head = chunks.head;
	phase_start();
	if (kho_mem_walk(&args, &count_ops, NULL, &res))
		bench_fail(s, "walk failed");
	r->ns[WALK] = phase_end(s, OURS, WALK);

	kho_mem_get_stats(&t, &st);
	if (res.nr_units != s->nr || res.nr_pages != s->pages ||
	    st.nr_units != s->nr)
		bench_fail(s, "the walk does not give back what was preserved");
	r->meta_bytes = st.meta_bytes + chunks.bytes;
	r->ranges = res.nr_ranges;
	kho_mem_chunks_free(&chunks);
	kho_mem_destroy(&t);
}

static void run_model(const struct scenario *s, struct result *r)
{
	static struct model_tracker t;
	struct model_chunks chunks;
	u64 nr_units, seen = 0;
	unsigned long i;

	model_init(&t);
	phase_start();
	for (i = 0; i < s->nr; i++) {
		if (model_preserve(&t, KHO_BENCH_PFN(s->units[i]),
				   KHO_BENCH_ORDER(s->units[i])))
			break;
	}
	r->ns[PRESERVE] = phase_end(s, MODEL, PRESERVE);
	if (i != s->nr)
		bench_fail(s, "model preserve failed");

	phase_start();
	if (model_serialize(&t, &chunks))
		bench_fail(s, "model serialize failed");
	r->ns[SERIALIZE] = phase_end(s, MODEL, SERIALIZE);

	phase_start();
	model_walk(chunks.head, count_unit, &seen, &nr_units);
	r->ns[WALK] = phase_end(s, MODEL, WALK);

	if (nr_units != s->nr || seen != s->nr)
		bench_fail(s, "the model's walk does not give back what was preserved");
	r->meta_bytes = (t.bitmaps + chunks.nr_chunks) * PAGE_SIZE;
	r->ranges = nr_units;
	model_chunks_free(&chunks);
	model_destroy(&t);
}

static void run(struct scenario *s, int impl, struct result *best)
{
	unsigned int round, rounds = under_callgrind ? 1 : s->rounds;
	struct result r;

	for (round = 0; round < rounds; round++) {
		memset(&r, 0, sizeof(r));
		if (impl == OURS)
			run_ours(s, &r);
		else
			run_model(s, &r);
		if (!round ||
		    r.ns[PRESERVE] + r.ns[SERIALIZE] + r.ns[WALK] <
		    best->ns[PRESERVE] + best->ns[SERIALIZE] + best->ns[WALK])
			*best = r;
	}
}

/* Read the dumps of a callgrind run: "desc: Trigger: ..." and "totals:". */
static void read_callgrind(const char *prefix, struct result res[][NR_IMPLS])
{
	char path[512], line[512], label[128];
	unsigned int n;

	for (n = 1; n < 100; n++) {
		FILE *f;
		u64 ir = 0;

		snprintf(path, sizeof(path), "%s.%u", prefix, n);
		f = fopen(path, "r");
		if (!f)
			break;
		label[0] = 0;
		while (fgets(line, sizeof(line), f)) {
			unsigned long long v;

			if (sscanf(line, "totals: %llu", &v) == 1)
				ir = v;
			else if (sscanf(line, "desc: Trigger: Client Request: %127s",
					label) != 1)
				continue;
		}
		fclose(f);
		unlink(path);
		for (unsigned int s = 0; s < NR_SCENARIOS; s++) {
			for (int i = 0; i < NR_IMPLS; i++) {
				for (int p = 0; p < NR_PHASES; p++) {
					char want[64];

					snprintf(want, sizeof(want), "%s/%s/%s",
						 scenarios[s].name, impl_names[i],
						 phase_names[p]);
					if (!strcmp(label, want))
						res[s][i].ir[p] = ir;
				}
			}
		}
	}
	unlink(prefix);
}

static int callgrind_self(const char *self, struct result res[][NR_IMPLS])
{
	char out[64], opt[96], *argv[16];
	int status;
	pid_t pid;

	snprintf(out, sizeof(out), "/tmp/kho-bench-cg.%d", getpid());
	snprintf(opt, sizeof(opt), "--callgrind-out-file=%s", out);
	pid = fork();
	if (!pid) {
		int n = 0;

		argv[n++] = "valgrind";
		argv[n++] = "--tool=callgrind";
		argv[n++] = "-q";
		argv[n++] = "--collect-atstart=no";
		argv[n++] = "--dump-instr=no";
		argv[n++] = "--compress-strings=no";
		argv[n++] = "--compress-pos=no";
		argv[n++] = opt;
		argv[n++] = (char *)self;
		argv[n++] = "--child";
		if (only)
			argv[n++] = (char *)only;
		argv[n] = NULL;
		execvp("valgrind", argv);
		perror("valgrind");
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
	    WEXITSTATUS(status)) {
		fprintf(stderr, "bench: the run under callgrind failed\n");
		return 1;
	}
	read_callgrind(out, res);
	return 0;
}

static double per(u64 v, u64 n)
{
	return n ? (double)v / n : 0;
}

static double ratio(u64 model, u64 ours)
{
	return ours ? (double)model / ours : 0;
}

static void print_table(struct result res[][NR_IMPLS], bool have_ir)
{
	unsigned int s;

	printf("%-3s %-5s %9s %9s %11s %11s %9s %9s %10s\n", "", "",
	       "preserve", "preserve", "serialize", "walk", "walk",
	       "metadata", "reported");
	printf("%-3s %-5s %9s %9s %11s %11s %9s %9s %10s\n", "", "",
	       "ns/unit", "Ir/unit", "us", "us", "Ir/unit", "KiB", "ranges");
	for (s = 0; s < NR_SCENARIOS; s++) {
		const struct scenario *sc = &scenarios[s];
		struct result *o = &res[s][OURS], *m = &res[s][MODEL];

		if (!sc->units)
			continue;
		u64 ot = o->ns[PRESERVE] + o->ns[SERIALIZE] + o->ns[WALK];
		u64 mt = m->ns[PRESERVE] + m->ns[SERIALIZE] + m->ns[WALK];
		int i;

		printf("%s: %s (%lu units)\n", sc->name, sc->desc, sc->nr);
		for (i = 0; i < NR_IMPLS; i++) {
			struct result *r = &res[s][i];

			printf("%-3s %-5s %9.2f %9.1f %11.1f %11.1f %9.1f %9llu %10llu\n",
			       "", impl_names[i], per(r->ns[PRESERVE], sc->nr),
			       per(r->ir[PRESERVE], sc->nr),
			       r->ns[SERIALIZE] / 1000.0, r->ns[WALK] / 1000.0,
			       per(r->ir[WALK], sc->nr),
			       (unsigned long long)r->meta_bytes / 1024,
			       (unsigned long long)r->ranges);
		}
		printf("%-3s %-5s %8.2fx %8.2fx %10.2fx %10.2fx %8.2fx %8.2fx   total time %.2fx",
		       "", "model/ours", ratio(m->ns[PRESERVE], o->ns[PRESERVE]),
		       ratio(m->ir[PRESERVE], o->ir[PRESERVE]),
		       ratio(m->ns[SERIALIZE], o->ns[SERIALIZE]),
		       ratio(m->ns[WALK], o->ns[WALK]),
		       ratio(m->ir[WALK], o->ir[WALK]),
		       ratio(m->meta_bytes, o->meta_bytes), ratio(mt, ot));
		if (have_ir)
			printf(", instructions %.2fx",
			       ratio(m->ir[PRESERVE] + m->ir[SERIALIZE] + m->ir[WALK],
				     o->ir[PRESERVE] + o->ir[SERIALIZE] + o->ir[WALK]));
		printf("\n");
	}
}

int main(int argc, char **argv)
{
	static struct result res[NR_SCENARIOS][NR_IMPLS];
	bool callgrind = argc > 1 && !strcmp(argv[1], "--callgrind");
	static char letters[NR_SCENARIOS + 1];
	unsigned int s;
	int i;

	under_callgrind = argc > 1 && !strcmp(argv[1], "--child");
	for (i = callgrind || under_callgrind ? 2 : 1; i < argc; i++) {
		strncat(letters, argv[i], NR_SCENARIOS - strlen(letters));
		only = letters;
	}
	kho_arena_init(1UL << 30);
	rcu_register_thread();
	radix_tree_init();
	for (s = 0; s < NR_SCENARIOS; s++) {
		if (only && !strchr(only, scenarios[s].name[0]))
			continue;
		make_units(&scenarios[s]);
		for (i = 0; i < NR_IMPLS; i++)
			run(&scenarios[s], i, &res[s][i]);
		if (kho_arena_pages_used)
			bench_fail(&scenarios[s], "pages leaked");
	}
	if (under_callgrind)
		return 0;
	if (callgrind && callgrind_self(argv[0], res))
		return 1;
	print_table(res, callgrind);
	return 0;
}
