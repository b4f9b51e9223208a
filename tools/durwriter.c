// SPDX-License-Identifier: GPL-2.0
/*
 * durwriter - writers and checker of the power-cut durability oracle
 * (tests/durability-scenarios.sh, tests/guest/durability.sh).
 *
 *   durwriter write --mode raw|file --path P --threads N --run R
 *             [--offset O] [--region B] [--max-records M] [--seconds S]
 *             [--ack FILE]
 *   durwriter check --mode raw|file --path P --threads N --run R
 *             [--offset O] [--region B] (--acks FILE | --acked A0,A1,...)
 *   durwriter acked --mode raw|file --threads N --acks FILE
 *
 * write: N threads, released together.  raw: thread w owns
 * [O + w*B, O + (w+1)*B) of P (a block device, O_DIRECT) and writes
 * record s at O + w*B + s*4096, each pwrite followed by fdatasync.
 * file: P is a directory, thread w writes record s at s*4096 of P/w<w>,
 * each followed by fsync.  After each sync that returned success the
 * thread writes one line "A <tag> <w> <s>" (tag r or f) to the ack FILE
 * (a serial port the host reads; a tty is put into raw mode), one
 * write() per line, so lines of different threads do not mix.  Before
 * the first record: "START <tag> <N> <R>"; a failed sync:
 * "SYNCERR <tag> <w> <s> <errno>" and the thread stops; a full region or
 * M records or S seconds: the thread stops; all stopped: "DONE <tag> ...".
 *
 * check: every acknowledged record (for each writer w, records 0..A_w,
 * A_w being the highest sequence acknowledged for w) must be intact.
 * --acks reads an ack log (only complete lines count: a line cut short
 * by the power cut is a prefix of the real one and names at most a
 * smaller sequence, or none); --acked gives the A_w directly (-1 = none).
 * Prints "CHECK <tag> checked <n> lost <m> ..." and exits 1 if m > 0.
 *
 * acked: the A_w of an ack log as "A0,A1,..." (for a later --acked).
 *
 * Record (4096 bytes, little-endian): magic "durrec01", run, writer, tag,
 * seq, checksum (FNV-1a 64 of the record with the checksum field 0),
 * then splitmix64 words keyed by (run, writer, seq).
 *
 * Build: see tools/Makefile (static, for the busybox guest; the host
 * runs the same binary).
 */
#define _GNU_SOURCE
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define REC		4096
#define MAX_THREADS	64
#define MAX_REPORTED	10
#define REC_MAGIC	0x313063657272756dULL	/* "durrec01" */
#define HDR_BYTES	48

enum mode { MODE_NONE, MODE_RAW, MODE_FILE };

struct opts {
	enum mode mode;
	const char *path;
	unsigned int threads;
	uint64_t run;
	uint64_t offset;
	uint64_t region;
	uint64_t max_records;
	double seconds;
	const char *ack;
	const char *acks;
	const char *acked;
};

static struct opts O;
static int ack_fd = 1;
static pthread_barrier_t ready_barrier, start_barrier;

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("durwriter: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(2);
}

static char tag_of(enum mode m)
{
	return m == MODE_RAW ? 'r' : 'f';
}

static uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t fnv1a(const uint8_t *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	while (n--) {
		h ^= *p++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

static void put64(uint8_t *p, uint64_t v)
{
	v = htole64(v);
	memcpy(p, &v, 8);
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return le64toh(v);
}

/* header: magic, run, writer | tag << 32, seq, checksum, reserved */
static void make_record(uint8_t *r, uint64_t run, uint32_t w, char tag,
			uint64_t seq)
{
	uint64_t key = mix64(run ^ mix64(((uint64_t)w << 40) ^ seq));
	size_t i;

	memset(r, 0, HDR_BYTES);
	put64(r, REC_MAGIC);
	put64(r + 8, run);
	put64(r + 16, w | (uint64_t)(uint8_t)tag << 32);
	put64(r + 24, seq);
	for (i = HDR_BYTES; i < REC; i += 8)
		put64(r + i, mix64(key + i));
	put64(r + 32, fnv1a(r, REC));
}

/* why record r is not (run, w, tag, seq), or NULL if it is */
static const char *record_defect(const uint8_t *r, uint64_t run, uint32_t w,
				 char tag, uint64_t seq, uint8_t *want)
{
	uint8_t tmp[REC];

	if (get64(r) != REC_MAGIC)
		return get64(r) ? "bad magic" : "zeros (never written)";
	if (get64(r + 8) != run)
		return "other run";
	if (get64(r + 16) != (w | (uint64_t)(uint8_t)tag << 32))
		return "other writer";
	if (get64(r + 24) != seq)
		return "other sequence";
	memcpy(tmp, r, REC);
	memset(tmp + 32, 0, 8);
	if (fnv1a(tmp, REC) != get64(r + 32))
		return "checksum mismatch (torn)";
	make_record(want, run, w, tag, seq);
	if (memcmp(r, want, REC))
		return "payload differs";
	return NULL;
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static void __attribute__((format(printf, 1, 2))) ack_line(const char *fmt, ...)
{
	char line[128];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n > 0 && n < (int)sizeof(line) && write(ack_fd, line, n) != n)
		perror("durwriter: ack write");
}

struct worker {
	pthread_t th;
	uint32_t w;
	uint64_t acked;		/* records acknowledged */
	int err;
	const char *why;
};

static void *writer_fn(void *arg)
{
	struct worker *k = arg;
	char tag = tag_of(O.mode), name[4096];
	uint64_t limit = O.max_records, base = 0, s;
	double t_end;
	uint8_t *rec;
	int fd;

	if (posix_memalign((void **)&rec, REC, REC))
		die("out of memory");
	if (O.mode == MODE_RAW) {
		fd = open(O.path, O_WRONLY | O_DIRECT);
		base = O.offset + k->w * O.region;
		if (!limit || limit > O.region / REC)
			limit = O.region / REC;
	} else {
		snprintf(name, sizeof(name), "%s/w%u", O.path, k->w);
		fd = open(name, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	}
	if (fd < 0) {
		k->err = errno;
		k->why = "open";
	}
	pthread_barrier_wait(&ready_barrier);	/* all open: START */
	pthread_barrier_wait(&start_barrier);
	if (fd < 0)
		return NULL;
	t_end = O.seconds > 0 ? now_s() + O.seconds : 0;
	for (s = 0; !limit || s < limit; s++) {
		if (t_end && now_s() > t_end) {
			k->why = "time";
			break;
		}
		make_record(rec, O.run, k->w, tag, s);
		if (pwrite(fd, rec, REC, base + s * REC) != REC) {
			k->err = errno ? errno : EIO;
			k->why = "write";
			break;
		}
		if (O.mode == MODE_RAW ? fdatasync(fd) : fsync(fd)) {
			k->err = errno;
			k->why = "sync";
			ack_line("SYNCERR %c %u %" PRIu64 " %d\n", tag, k->w, s,
				 k->err);
			break;
		}
		ack_line("A %c %u %" PRIu64 "\n", tag, k->w, s);
		k->acked = s + 1;
	}
	if (!k->why)
		k->why = "full";
	close(fd);
	free(rec);
	return NULL;
}

static void open_ack(void)
{
	struct termios t;

	if (!O.ack)
		return;
	ack_fd = open(O.ack, O_WRONLY | O_NOCTTY | O_APPEND | O_CREAT, 0644);
	if (ack_fd < 0)
		die("%s: %s", O.ack, strerror(errno));
	if (isatty(ack_fd) && !tcgetattr(ack_fd, &t)) {
		cfmakeraw(&t);
		tcsetattr(ack_fd, TCSANOW, &t);
	}
}

static int cmd_write(void)
{
	struct worker k[MAX_THREADS];
	uint64_t total = 0;
	unsigned int i, bad = 0;
	double t0;

	open_ack();
	if (O.mode == MODE_FILE) {
		int dfd = open(O.path, O_RDONLY | O_DIRECTORY);

		if (dfd < 0)
			die("%s: %s", O.path, strerror(errno));
		close(dfd);
	}
	pthread_barrier_init(&ready_barrier, NULL, O.threads + 1);
	pthread_barrier_init(&start_barrier, NULL, O.threads + 1);
	memset(k, 0, sizeof(k));
	for (i = 0; i < O.threads; i++) {
		k[i].w = i;
		if (pthread_create(&k[i].th, NULL, writer_fn, &k[i]))
			die("pthread_create failed");
	}
	pthread_barrier_wait(&ready_barrier);
	ack_line("START %c %u %" PRIu64 "\n", tag_of(O.mode), O.threads, O.run);
	t0 = now_s();
	pthread_barrier_wait(&start_barrier);
	for (i = 0; i < O.threads; i++) {
		pthread_join(k[i].th, NULL);
		total += k[i].acked;
		if (k[i].err) {
			bad++;
			fprintf(stderr, "durwriter: writer %u: %s: %s\n", i,
				k[i].why, strerror(k[i].err));
		}
	}
	ack_line("DONE %c %" PRIu64 " %.1f %u\n", tag_of(O.mode), total,
		 now_s() - t0, bad);
	printf("durwriter: %c %u writers, %" PRIu64 " records acknowledged in %.1f s, %u failed\n",
	       tag_of(O.mode), O.threads, total, now_s() - t0, bad);
	return bad ? 1 : 0;
}

/* highest acknowledged sequence per writer from an ack log, -1 = none */
static void read_acks(const char *file, int64_t *acked)
{
	char line[256], tag;
	unsigned int w;
	uint64_t s;
	FILE *f = fopen(file, "r");

	if (!f)
		die("%s: %s", file, strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		size_t n = strlen(line);
		char *p;

		if (!n || line[n - 1] != '\n')
			continue;	/* incomplete: the cut came mid-line */
		/* the guest's tty may add a CR, or a byte may precede "A" */
		p = strstr(line, "A ");
		if (!p || sscanf(p, "A %c %u %" SCNu64 "\n", &tag, &w, &s) != 3)
			continue;
		if (tag != tag_of(O.mode) || w >= O.threads)
			continue;
		if ((int64_t)s > acked[w])
			acked[w] = s;
	}
	fclose(f);
}

static void parse_acked(const char *list, int64_t *acked)
{
	unsigned int w = 0;
	const char *p = list;
	char *end;

	while (*p && w < O.threads) {
		acked[w++] = strtoll(p, &end, 10);
		if (end == p)
			die("--acked: bad list '%s'", list);
		p = *end == ',' ? end + 1 : end;
	}
	if (*p)
		die("--acked: more than %u values", O.threads);
}

static int cmd_check(void)
{
	int64_t acked[MAX_THREADS];
	uint8_t *got, *want;
	char tag = tag_of(O.mode), name[4096];
	uint64_t checked = 0, lost = 0, wlost;
	unsigned int w, reported = 0, writers_acked = 0;
	int64_t s;
	int fd = -1;

	for (w = 0; w < O.threads; w++)
		acked[w] = -1;
	if (O.acks)
		read_acks(O.acks, acked);
	else if (O.acked)
		parse_acked(O.acked, acked);
	else
		die("check: --acks or --acked required");
	if (posix_memalign((void **)&got, REC, REC) ||
	    posix_memalign((void **)&want, REC, REC))
		die("out of memory");
	if (O.mode == MODE_RAW) {
		fd = open(O.path, O_RDONLY);
		if (fd < 0)
			die("%s: %s", O.path, strerror(errno));
	}
	for (w = 0; w < O.threads; w++) {
		uint64_t base = 0;

		wlost = 0;
		if (acked[w] >= 0)
			writers_acked++;
		if (O.mode == MODE_FILE) {
			snprintf(name, sizeof(name), "%s/w%u", O.path, w);
			fd = open(name, O_RDONLY);
		} else {
			base = O.offset + w * O.region;
		}
		for (s = 0; s <= acked[w]; s++) {
			const char *why;
			ssize_t n = fd < 0 ? -1 :
				    pread(fd, got, REC, base + s * REC);

			checked++;
			if (n != REC)
				why = fd < 0 ? "file missing" : "short file";
			else
				why = record_defect(got, O.run, w, tag, s, want);
			if (!why)
				continue;
			wlost++;
			if (reported++ < MAX_REPORTED)
				printf("LOST %c writer %u seq %" PRId64 " (acknowledged up to %" PRId64 "): %s\n",
				       tag, w, s, acked[w], why);
		}
		lost += wlost;
		printf("CHECKW %c %u acked %" PRId64 " lost %" PRIu64 "\n",
		       tag, w, acked[w] + 1, wlost);
		if (O.mode == MODE_FILE && fd >= 0) {
			close(fd);
			fd = -1;
		}
	}
	if (fd >= 0)
		close(fd);
	printf("CHECK %c checked %" PRIu64 " lost %" PRIu64 " writers %u of %u acknowledged\n",
	       tag, checked, lost, writers_acked, O.threads);
	return lost ? 1 : 0;
}

static int cmd_acked(void)
{
	int64_t acked[MAX_THREADS];
	unsigned int w;

	if (!O.acks)
		die("acked: --acks required");
	for (w = 0; w < O.threads; w++)
		acked[w] = -1;
	read_acks(O.acks, acked);
	for (w = 0; w < O.threads; w++)
		printf("%s%" PRId64, w ? "," : "", acked[w]);
	putchar('\n');
	return 0;
}

static uint64_t parse_size(const char *s, const char *what)
{
	char *end;
	uint64_t v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s)
		die("%s: bad number '%s'", what, s);
	switch (*end) {
	case 'g': case 'G': v <<= 10; /* fall through */
	case 'm': case 'M': v <<= 10; /* fall through */
	case 'k': case 'K': v <<= 10; end++; break;
	case 0: break;
	default: die("%s: bad number '%s'", what, s);
	}
	if (*end)
		die("%s: bad number '%s'", what, s);
	return v;
}

static void parse_opts(int argc, char **argv)
{
	int i;

	for (i = 2; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!v)
			die("%s: missing value", a);
		i++;
		if (!strcmp(a, "--mode")) {
			if (!strcmp(v, "raw"))
				O.mode = MODE_RAW;
			else if (!strcmp(v, "file"))
				O.mode = MODE_FILE;
			else
				die("--mode raw|file");
		} else if (!strcmp(a, "--path")) {
			O.path = v;
		} else if (!strcmp(a, "--threads")) {
			O.threads = parse_size(v, a);
		} else if (!strcmp(a, "--run")) {
			O.run = parse_size(v, a);
		} else if (!strcmp(a, "--offset")) {
			O.offset = parse_size(v, a);
		} else if (!strcmp(a, "--region")) {
			O.region = parse_size(v, a);
		} else if (!strcmp(a, "--max-records")) {
			O.max_records = parse_size(v, a);
		} else if (!strcmp(a, "--seconds")) {
			O.seconds = atof(v);
		} else if (!strcmp(a, "--ack")) {
			O.ack = v;
		} else if (!strcmp(a, "--acks")) {
			O.acks = v;
		} else if (!strcmp(a, "--acked")) {
			O.acked = v;
		} else {
			die("unknown option %s", a);
		}
	}
	if (O.mode == MODE_NONE || (!O.path && strcmp(argv[1], "acked")))
		die("--mode and --path are required");
	if (O.threads < 1 || O.threads > MAX_THREADS)
		die("--threads: 1..%d", MAX_THREADS);
	if (O.mode == MODE_RAW && O.path && (O.region < REC || O.region % REC ||
				   O.offset % REC))
		die("raw: --region (>= 4096) and --offset must be multiples of 4096");
}

int main(int argc, char **argv)
{
	if (argc < 2)
		die("usage: durwriter write|check OPTIONS (see the source header)");
	parse_opts(argc, argv);
	if (!strcmp(argv[1], "write"))
		return cmd_write();
	if (!strcmp(argv[1], "check"))
		return cmd_check();
	if (!strcmp(argv[1], "acked"))
		return cmd_acked();
	die("unknown command %s", argv[1]);
}
