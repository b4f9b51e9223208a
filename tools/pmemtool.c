// SPDX-License-Identifier: GPL-2.0
/*
 * pmemtool - user-space helper for the virtio-pmem guest driver tests.
 *
 * One static binary with four subcommands:
 *   mapsync  check that MAP_SYNC is refused (virtio-pmem is asynchronous)
 *   writers  N threads doing write+fsync/fdatasync pairs, with latency stats
 *   verify   re-read and check every block written by "writers"
 *   pattern  write or check a deterministic pattern at an offset
 *
 * Every block written by "writers" starts with a 32-byte header (magic,
 * seed, seq, tid | bs << 32, all little-endian) followed by a pseudo-random
 * fill derived from (seed, tid, seq), so "verify" can regenerate it.  The
 * "pattern" bytes depend only on the seed and the absolute byte offset, so
 * any sub-range can be checked, on the guest device or on the host's
 * backing file.
 *
 * Build: see tools/Makefile (gcc -static -O2 -pthread).
 */
#define _GNU_SOURCE
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/fs.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifndef MAP_SHARED_VALIDATE
#define MAP_SHARED_VALIDATE	0x03
#endif
#ifndef MAP_SYNC
#define MAP_SYNC		0x80000
#endif
#ifndef STATX_ATTR_DAX
#define STATX_ATTR_DAX		0x00200000
#endif

#define __printf(a, b)	__attribute__((format(printf, a, b)))
#define __noreturn	__attribute__((noreturn))

#define PT_MAGIC	0x6c6f6f746d656d70ULL	/* "pmemtool" little-endian */
#define PT_GOLDEN	0x9e3779b97f4a7c15ULL
#define PT_PAT_SALT	0x7061747465726e21ULL
#define HDR_WORDS	4
#define ALIGN_BYTES	4096
#define CHUNK_BYTES	(1024U * 1024U)
#define MAX_THREADS	1024
#define MAX_REPORTED	10

/* exit codes: 0 ok, 1 check failed or I/O error, 2 usage error */
#define EXIT_FAIL	1
#define EXIT_USAGE	2

enum pt_mode { MODE_NONE, MODE_RAW, MODE_FILE };
enum pt_sync { SYNC_DEFAULT, SYNC_FSYNC, SYNC_FDATASYNC };
enum pt_op { OP_NONE, OP_WRITE, OP_CHECK };

struct opts {
	enum pt_mode mode;
	const char *path;
	unsigned int threads;
	uint64_t count;
	uint64_t bs;
	uint64_t region;	/* bytes per thread (raw mode) */
	uint64_t seed;
	enum pt_sync sync;
	bool json;
	bool direct;
	bool require_dax;
	uint64_t offset;
	uint64_t len;
	bool have_offset;
	bool have_len;
	enum pt_op op;
};

static const char usage_text[] =
"usage: pmemtool COMMAND [OPTIONS]\n"
"\n"
"commands:\n"
"  mapsync FILE [--require-dax]\n"
"      create FILE (4096 bytes) and mmap it MAP_SHARED_VALIDATE|MAP_SYNC.\n"
"      Prints \"mapsync: EOPNOTSUPP\" and exits 0 if the kernel refuses;\n"
"      exits 1 if the mapping succeeds or fails otherwise.  With\n"
"      --require-dax, also exit 1 unless statx reports the file as DAX.\n"
"\n"
"  writers --mode raw|file --path P --threads N --count C [--bs B]\n"
"          [--region-bytes R] [--seed S] [--sync fsync|fdatasync]\n"
"          [--no-direct] [--offset O] [--json]\n"
"      raw:  each thread opens P (block device or file) with O_DIRECT and\n"
"            writes C blocks into [O+tid*R, O+tid*R+R), wrapping, each write\n"
"            followed by a sync (default fdatasync).\n"
"      file: P is a directory; thread tid appends C blocks to P/w<tid>,\n"
"            each followed by a sync (default fsync).\n"
"      Prints syncs, wall seconds, syncs/s and write+sync latency (us).\n"
"\n"
"  verify --mode raw|file --path P --threads N --count C [--bs B]\n"
"         [--region-bytes R] [--seed S] [--no-direct] [--json]\n"
"      re-read what \"writers\" wrote with the same arguments; exit 1 on\n"
"      any mismatch.\n"
"\n"
"  pattern --path P --offset O --len L [--seed S] [--write|--check]\n"
"          [--no-direct]\n"
"      write (then fdatasync) or check (default) a pattern that depends\n"
"      only on the seed and the byte offset.  O_DIRECT is used when O and\n"
"      L are multiples of 4096 and the file system accepts it.\n"
"\n"
"defaults: --bs 4096, --seed 1, --region-bytes C*B (capped to the device\n"
"size / N, rounded down to B).  Sizes accept k, m, g suffixes (x1024).\n"
"exit status: 0 ok, 1 failure, 2 usage error.\n";

static void usage(FILE *f)
{
	fputs(usage_text, f);
}

static void __printf(1, 2) __noreturn
die_usage(const char *fmt, ...)
{
	va_list ap;

	fputs("pmemtool: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\n(run \"pmemtool --help\" for usage)\n", stderr);
	exit(EXIT_USAGE);
}

static void __printf(1, 2) __noreturn
die(const char *fmt, ...)
{
	va_list ap;

	fputs("pmemtool: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(EXIT_FAIL);
}

static uint64_t parse_u64(const char *s, const char *what, bool suffix)
{
	unsigned long long v;
	uint64_t mult = 1;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *s == '-')
		die_usage("invalid %s: '%s'", what, s);
	if (suffix && *end) {
		switch (*end) {
		case 'k': case 'K':
			mult = 1ULL << 10;
			break;
		case 'm': case 'M':
			mult = 1ULL << 20;
			break;
		case 'g': case 'G':
			mult = 1ULL << 30;
			break;
		default:
			die_usage("invalid %s: '%s'", what, s);
		}
		end++;
	}
	if (*end)
		die_usage("invalid %s: '%s'", what, s);
	if (v > UINT64_MAX / mult)
		die_usage("%s too large: '%s'", what, s);
	return v * mult;
}

/* splitmix64 finalizer */
static inline uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void fill_block(void *buf, uint64_t bs, uint64_t seed, uint32_t tid,
		       uint64_t seq)
{
	uint64_t *w = buf;
	uint64_t key = mix64(mix64(seed + PT_GOLDEN) + tid);
	uint64_t i, nw = bs / 8;

	key = mix64(key ^ (seq * PT_GOLDEN));
	w[0] = htole64(PT_MAGIC);
	w[1] = htole64(seed);
	w[2] = htole64(seq);
	w[3] = htole64((uint64_t)tid | (bs << 32));
	for (i = HDR_WORDS; i < nw; i++) {
		key += PT_GOLDEN;
		w[i] = htole64(mix64(key));
	}
}

/* Describe why @got differs from @want (both produced for tid/seq). */
static void describe_mismatch(const void *got, const void *want, uint64_t bs,
			      char *msg, size_t len)
{
	const uint64_t *g = got;
	const uint8_t *gb = got, *wb = want;
	uint64_t i;

	if (le64toh(g[0]) != PT_MAGIC) {
		snprintf(msg, len, "no header (magic 0x%016" PRIx64 ")",
			 le64toh(g[0]));
		return;
	}
	if (memcmp(got, want, HDR_WORDS * 8)) {
		uint64_t tb = le64toh(g[3]);

		snprintf(msg, len,
			 "header is seed=%" PRIu64 " seq=%" PRIu64
			 " tid=%" PRIu64 " bs=%" PRIu64,
			 le64toh(g[1]), le64toh(g[2]), (uint64_t)(tb & 0xffffffffULL),
			 tb >> 32);
		return;
	}
	for (i = 0; i < bs && gb[i] == wb[i]; i++)
		;
	snprintf(msg, len, "data differs from byte %" PRIu64, i);
}

/* Pattern byte at absolute offset p: byte (p & 7) of mix64(key, p & ~7). */
static inline uint64_t pattern_word(uint64_t key, uint64_t base)
{
	return mix64(key + (base >> 3) * PT_GOLDEN);
}

static void pattern_fill(uint8_t *buf, uint64_t off, size_t n, uint64_t seed)
{
	uint64_t key = mix64(seed ^ PT_PAT_SALT);
	size_t i = 0;

	while (i < n) {
		uint64_t p = off + i;
		uint64_t w = pattern_word(key, p & ~7ULL);

		if (!(p & 7) && n - i >= 8) {
			w = htole64(w);
			memcpy(buf + i, &w, 8);
			i += 8;
		} else {
			buf[i++] = (uint8_t)(w >> (8 * (p & 7)));
		}
	}
}

static int pwrite_full(int fd, const void *buf, size_t n, uint64_t off)
{
	const char *p = buf;

	while (n) {
		ssize_t r = pwrite(fd, p, n, (off_t)off);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r == 0)
			return -EIO;
		p += r;
		off += (uint64_t)r;
		n -= (size_t)r;
	}
	return 0;
}

/* Returns bytes read (short only at EOF) or -errno. */
static ssize_t pread_full(int fd, void *buf, size_t n, uint64_t off)
{
	char *p = buf;
	size_t done = 0;

	while (done < n) {
		ssize_t r = pread(fd, p + done, n - done, (off_t)(off + done));

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r == 0)
			break;
		done += (size_t)r;
	}
	return (ssize_t)done;
}

static void *xalloc_aligned(size_t n)
{
	void *p;

	if (posix_memalign(&p, ALIGN_BYTES, n ? n : ALIGN_BYTES))
		die("out of memory (%zu bytes)", n);
	return p;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static const char *mode_name(enum pt_mode m)
{
	return m == MODE_RAW ? "raw" : "file";
}

static const char *sync_name(enum pt_sync s)
{
	return s == SYNC_FSYNC ? "fsync" : "fdatasync";
}

/* ------------------------------------------------------------------ */
/* mapsync                                                            */

static int cmd_mapsync(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "require-dax", no_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *dax = "unknown";
	bool require_dax = false;
	struct statx stx;
	const char *file;
	void *map;
	int fd, c, err;

	while ((c = getopt_long(argc, argv, "h", lopts, NULL)) != -1) {
		switch (c) {
		case 'D':
			require_dax = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			die_usage("mapsync: bad option");
		}
	}
	if (optind != argc - 1)
		die_usage("mapsync needs exactly one FILE argument");
	file = argv[optind];

	fd = open(file, O_RDWR | O_CREAT, 0644);
	if (fd < 0)
		die("mapsync: open %s: %s", file, strerror(errno));
	if (ftruncate(fd, 4096))
		die("mapsync: ftruncate %s: %s", file, strerror(errno));

	if (!statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &stx) &&
	    (stx.stx_attributes_mask & STATX_ATTR_DAX))
		dax = (stx.stx_attributes & STATX_ATTR_DAX) ? "yes" : "no";
	printf("mapsync: file %s dax=%s\n", file, dax);

	map = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		   MAP_SHARED_VALIDATE | MAP_SYNC, fd, 0);
	err = errno;
	if (map != MAP_FAILED) {
		printf("mapsync: MAP_SYNC mapping SUCCEEDED (region claims to be synchronous)\n");
		munmap(map, 4096);
		close(fd);
		return EXIT_FAIL;
	}
	close(fd);
	if (err != EOPNOTSUPP) {
		printf("mapsync: mmap failed with %s (errno %d), expected EOPNOTSUPP\n",
		       strerror(err), err);
		return EXIT_FAIL;
	}
	printf("mapsync: EOPNOTSUPP\n");
	if (require_dax && strcmp(dax, "yes")) {
		printf("mapsync: --require-dax: file is not DAX, the check proves nothing\n");
		return EXIT_FAIL;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* option parsing shared by writers / verify / pattern                */

enum {
	OPT_MODE = 256, OPT_PATH, OPT_THREADS, OPT_COUNT, OPT_BS, OPT_REGION,
	OPT_SEED, OPT_SYNC, OPT_JSON, OPT_NODIRECT, OPT_OFFSET, OPT_LEN,
	OPT_WRITE, OPT_CHECK,
};

static const struct option io_lopts[] = {
	{ "mode", required_argument, NULL, OPT_MODE },
	{ "path", required_argument, NULL, OPT_PATH },
	{ "threads", required_argument, NULL, OPT_THREADS },
	{ "count", required_argument, NULL, OPT_COUNT },
	{ "bs", required_argument, NULL, OPT_BS },
	{ "region-bytes", required_argument, NULL, OPT_REGION },
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "sync", required_argument, NULL, OPT_SYNC },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "no-direct", no_argument, NULL, OPT_NODIRECT },
	{ "offset", required_argument, NULL, OPT_OFFSET },
	{ "len", required_argument, NULL, OPT_LEN },
	{ "write", no_argument, NULL, OPT_WRITE },
	{ "check", no_argument, NULL, OPT_CHECK },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

static void parse_io_opts(int argc, char **argv, struct opts *o)
{
	const char *cmd = argv[0];
	int c;

	memset(o, 0, sizeof(*o));
	o->bs = 4096;
	o->seed = 1;
	o->direct = true;

	while ((c = getopt_long(argc, argv, "h", io_lopts, NULL)) != -1) {
		switch (c) {
		case OPT_MODE:
			if (!strcmp(optarg, "raw"))
				o->mode = MODE_RAW;
			else if (!strcmp(optarg, "file"))
				o->mode = MODE_FILE;
			else
				die_usage("--mode must be raw or file");
			break;
		case OPT_PATH:
			o->path = optarg;
			break;
		case OPT_THREADS:
			o->threads = (unsigned int)parse_u64(optarg, "--threads", false);
			if (!o->threads || o->threads > MAX_THREADS)
				die_usage("--threads must be 1..%d", MAX_THREADS);
			break;
		case OPT_COUNT:
			o->count = parse_u64(optarg, "--count", false);
			break;
		case OPT_BS:
			o->bs = parse_u64(optarg, "--bs", true);
			break;
		case OPT_REGION:
			o->region = parse_u64(optarg, "--region-bytes", true);
			break;
		case OPT_SEED:
			o->seed = parse_u64(optarg, "--seed", false);
			break;
		case OPT_SYNC:
			if (!strcmp(optarg, "fsync"))
				o->sync = SYNC_FSYNC;
			else if (!strcmp(optarg, "fdatasync"))
				o->sync = SYNC_FDATASYNC;
			else
				die_usage("--sync must be fsync or fdatasync");
			break;
		case OPT_JSON:
			o->json = true;
			break;
		case OPT_NODIRECT:
			o->direct = false;
			break;
		case OPT_OFFSET:
			o->offset = parse_u64(optarg, "--offset", true);
			o->have_offset = true;
			break;
		case OPT_LEN:
			o->len = parse_u64(optarg, "--len", true);
			o->have_len = true;
			break;
		case OPT_WRITE:
			o->op = OP_WRITE;
			break;
		case OPT_CHECK:
			o->op = OP_CHECK;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			die_usage("%s: bad option", cmd);
		}
	}
	if (optind != argc)
		die_usage("%s: unexpected argument '%s'", cmd, argv[optind]);
	if (!o->path)
		die_usage("%s: --path is required", cmd);
}

/* Validate writers/verify options and resolve the per-thread region. */
static void check_rw_opts(struct opts *o, const char *cmd)
{
	uint64_t limit = 0;
	bool blkdev = false;
	struct stat st;
	int fd;

	if (o->mode == MODE_NONE)
		die_usage("%s: --mode raw|file is required", cmd);
	if (!o->threads)
		die_usage("%s: --threads is required", cmd);
	if (!o->count)
		die_usage("%s: --count must be > 0", cmd);
	if (o->bs < 512 || o->bs % 512 || o->bs > (1ULL << 30))
		die_usage("%s: --bs must be a multiple of 512 (512..1G)", cmd);
	if (o->sync == SYNC_DEFAULT)
		o->sync = o->mode == MODE_RAW ? SYNC_FDATASYNC : SYNC_FSYNC;

	if (o->mode == MODE_FILE) {
		if (stat(o->path, &st) || !S_ISDIR(st.st_mode))
			die("%s: --path %s must be an existing directory in file mode",
			    cmd, o->path);
		if (o->region)
			die_usage("%s: --region-bytes only applies to raw mode", cmd);
		return;
	}

	fd = open(o->path, O_RDONLY);
	if (fd < 0)
		die("%s: open %s: %s", cmd, o->path, strerror(errno));
	if (fstat(fd, &st))
		die("%s: stat %s: %s", cmd, o->path, strerror(errno));
	if (S_ISBLK(st.st_mode)) {
		if (ioctl(fd, BLKGETSIZE64, &limit))
			die("%s: BLKGETSIZE64 %s: %s", cmd, o->path, strerror(errno));
		blkdev = true;
	} else if (S_ISREG(st.st_mode)) {
		limit = (uint64_t)st.st_size;	/* 0: grows as needed */
	} else {
		die("%s: %s is neither a block device nor a regular file",
		    cmd, o->path);
	}
	close(fd);

	if (o->have_offset) {
		if (o->mode != MODE_RAW || o->offset % o->bs)
			die_usage("%s: --offset needs --mode raw and a multiple of --bs", cmd);
		if (limit && o->offset >= limit)
			die("%s: --offset beyond the end of %s", cmd, o->path);
		if (limit)
			limit -= o->offset;
	}
	if (!o->region) {
		if (o->count > UINT64_MAX / o->bs)
			die_usage("%s: --count * --bs overflows", cmd);
		o->region = o->count * o->bs;
		if (limit && o->region > limit / o->threads)
			o->region = limit / o->threads / o->bs * o->bs;
		if (!o->region)
			die("%s: %s (%" PRIu64 " bytes) too small for %u threads of %" PRIu64
			    "-byte blocks", cmd, o->path, limit, o->threads, o->bs);
	}
	if (o->region % o->bs)
		die_usage("%s: --region-bytes must be a multiple of --bs", cmd);
	if (o->region > UINT64_MAX / o->threads)
		die_usage("%s: --region-bytes * --threads overflows", cmd);
	if (blkdev && o->region * o->threads > limit)
		die("%s: %u threads x %" PRIu64 " bytes exceed %s (%" PRIu64 " bytes)",
		    cmd, o->threads, o->region, o->path, limit);
}

/* ------------------------------------------------------------------ */
/* writers                                                            */

struct worker {
	pthread_t th;
	const struct opts *o;
	pthread_barrier_t *barrier;
	unsigned int tid;
	uint64_t *lat_ns;
	uint64_t done;
	uint64_t t_start;
	uint64_t t_end;
	int err;		/* positive errno */
	const char *what;	/* failing step */
	uint64_t err_seq;
};

static void *writer_fn(void *arg)
{
	struct worker *w = arg;
	const struct opts *o = w->o;
	uint64_t slots = o->mode == MODE_RAW ? o->region / o->bs : 0;
	uint64_t base = o->offset + (uint64_t)w->tid * o->region;
	char fname[PATH_MAX];
	void *buf = NULL;
	uint64_t seq;
	int fd = -1, flags;

	if (o->mode == MODE_RAW) {
		flags = O_RDWR | (o->direct ? O_DIRECT : 0);
		fd = open(o->path, flags);
	} else {
		snprintf(fname, sizeof(fname), "%s/w%u", o->path, w->tid);
		fd = open(fname, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	}
	if (fd < 0) {
		w->err = errno;
		w->what = "open";
	}
	if (!w->err && posix_memalign(&buf, ALIGN_BYTES, o->bs)) {
		w->err = ENOMEM;
		w->what = "posix_memalign";
	}

	/* Wait even on error, so the others are not stuck in the barrier. */
	pthread_barrier_wait(w->barrier);
	w->t_start = now_ns();

	for (seq = 0; !w->err && seq < o->count; seq++) {
		uint64_t off, t0;
		int ret;

		if (o->mode == MODE_RAW)
			off = base + (seq % slots) * o->bs;
		else
			off = seq * o->bs;
		fill_block(buf, o->bs, o->seed, w->tid, seq);

		t0 = now_ns();
		ret = pwrite_full(fd, buf, o->bs, off);
		if (ret) {
			w->err = -ret;
			w->what = "write";
			w->err_seq = seq;
			break;
		}
		ret = o->sync == SYNC_FSYNC ? fsync(fd) : fdatasync(fd);
		if (ret) {
			w->err = errno;
			w->what = sync_name(o->sync);
			w->err_seq = seq;
			break;
		}
		w->lat_ns[seq] = now_ns() - t0;
		w->done++;
	}
	w->t_end = now_ns();
	free(buf);
	if (fd >= 0)
		close(fd);
	return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of a sorted array. */
static uint64_t percentile(const uint64_t *v, uint64_t n, double q)
{
	uint64_t rank;

	if (!n)
		return 0;
	rank = (uint64_t)(q * (double)n + 0.999999);
	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return v[rank - 1];
}

static int cmd_writers(int argc, char **argv)
{
	struct opts o;
	struct worker *ws;
	pthread_barrier_t barrier;
	uint64_t total = 0, tmin = UINT64_MAX, tmax = 0, sum = 0, k = 0;
	uint64_t *all, p50, p99, pmax;
	double secs, rate, mean;
	unsigned int i;
	int failed = 0;

	parse_io_opts(argc, argv, &o);
	if (o.have_len || o.op != OP_NONE)
		die_usage("writers: --len/--write/--check belong to pattern");
	check_rw_opts(&o, "writers");

	ws = calloc(o.threads, sizeof(*ws));
	if (!ws)
		die("out of memory");
	if (pthread_barrier_init(&barrier, NULL, o.threads))
		die("pthread_barrier_init failed");
	for (i = 0; i < o.threads; i++) {
		ws[i].o = &o;
		ws[i].tid = i;
		ws[i].barrier = &barrier;
		ws[i].lat_ns = calloc(o.count, sizeof(uint64_t));
		if (!ws[i].lat_ns)
			die("out of memory for %" PRIu64 " latencies", o.count);
	}
	for (i = 0; i < o.threads; i++) {
		int ret = pthread_create(&ws[i].th, NULL, writer_fn, &ws[i]);

		if (ret)
			die("pthread_create: %s", strerror(ret));
	}
	for (i = 0; i < o.threads; i++)
		pthread_join(ws[i].th, NULL);
	pthread_barrier_destroy(&barrier);

	for (i = 0; i < o.threads; i++) {
		struct worker *w = &ws[i];

		if (w->err) {
			fprintf(stderr, "pmemtool: writers: thread %u: %s failed at seq %" PRIu64
				": %s\n", i, w->what, w->err_seq, strerror(w->err));
			if (w->err == EINVAL && o.mode == MODE_RAW && o.direct)
				fputs("hint: O_DIRECT needs aligned I/O; try --no-direct\n", stderr);
			failed = 1;
		}
		total += w->done;
		if (w->t_start < tmin)
			tmin = w->t_start;
		if (w->t_end > tmax)
			tmax = w->t_end;
	}

	all = malloc((total ? total : 1) * sizeof(uint64_t));
	if (!all)
		die("out of memory");
	for (i = 0; i < o.threads; i++) {
		memcpy(all + k, ws[i].lat_ns, ws[i].done * sizeof(uint64_t));
		k += ws[i].done;
		free(ws[i].lat_ns);
	}
	qsort(all, total, sizeof(uint64_t), cmp_u64);
	for (k = 0; k < total; k++)
		sum += all[k];
	p50 = percentile(all, total, 0.50);
	p99 = percentile(all, total, 0.99);
	pmax = total ? all[total - 1] : 0;
	mean = total ? (double)sum / (double)total : 0.0;
	secs = tmax > tmin ? (double)(tmax - tmin) / 1e9 : 0.0;
	rate = secs > 0 ? (double)total / secs : 0.0;

	if (o.json) {
		printf("{\"tool\":\"pmemtool\",\"cmd\":\"writers\",\"mode\":\"%s\",\"path\":",
		       mode_name(o.mode));
		json_str(stdout, o.path);
		printf(",\"threads\":%u,\"count\":%" PRIu64, o.threads, o.count);
		printf(",\"bs\":%" PRIu64 ",\"region_bytes\":%" PRIu64, o.bs,
		       o.mode == MODE_RAW ? o.region : 0);
		printf(",\"seed\":%" PRIu64 ",\"sync\":\"%s\",\"direct\":%s", o.seed,
		       sync_name(o.sync), o.mode == MODE_RAW && o.direct ? "true" : "false");
		printf(",\"ok\":%s,\"syncs\":%" PRIu64, failed ? "false" : "true", total);
		printf(",\"seconds\":%.6f,\"syncs_per_s\":%.1f", secs, rate);
		printf(",\"p50_us\":%.1f,\"p99_us\":%.1f", p50 / 1e3, p99 / 1e3);
		printf(",\"max_us\":%.1f,\"mean_us\":%.1f}\n", pmax / 1e3, mean / 1e3);
	} else {
		printf("writers: mode=%s path=%s threads=%u count=%" PRIu64 " bs=%" PRIu64,
		       mode_name(o.mode), o.path, o.threads, o.count, o.bs);
		if (o.mode == MODE_RAW)
			printf(" region=%" PRIu64 " direct=%s", o.region,
			       o.direct ? "yes" : "no");
		printf(" sync=%s seed=%" PRIu64 "\n", sync_name(o.sync), o.seed);
		printf("syncs: %" PRIu64 "  seconds: %.3f  syncs/s: %.1f\n",
		       total, secs, rate);
		printf("write+%s latency (us): p50 %.1f  p99 %.1f  max %.1f  mean %.1f\n",
		       sync_name(o.sync), p50 / 1e3, p99 / 1e3, pmax / 1e3, mean / 1e3);
	}
	free(all);
	free(ws);
	return failed ? EXIT_FAIL : 0;
}

/* ------------------------------------------------------------------ */
/* verify                                                             */

struct vstate {
	const struct opts *o;
	void *want;
	uint64_t checked;
	uint64_t bad;
	uint64_t reported;
	uint64_t suppressed;
};

static void check_one(struct vstate *v, const void *got, uint32_t tid,
		      uint64_t seq, uint64_t off)
{
	char msg[160];

	fill_block(v->want, v->o->bs, v->o->seed, tid, seq);
	v->checked++;
	if (!memcmp(got, v->want, v->o->bs))
		return;
	v->bad++;
	if (v->reported++ >= MAX_REPORTED) {
		v->suppressed++;
	} else {
		describe_mismatch(got, v->want, v->o->bs, msg, sizeof(msg));
		fprintf(stderr, "mismatch: tid=%u seq=%" PRIu64 " offset=%" PRIu64 ": %s\n",
			tid, seq, off, msg);
	}
}

/*
 * Read @nblk blocks at @off into @buf; returns the number of whole blocks
 * read (less at EOF), dies on I/O error.
 */
static uint64_t read_blocks(int fd, void *buf, uint64_t nblk, uint64_t bs,
			    uint64_t off, const char *name)
{
	ssize_t r = pread_full(fd, buf, nblk * bs, off);

	if (r < 0)
		die("verify: read %s at %" PRIu64 ": %s%s", name, off, strerror((int)-r),
		    r == -EINVAL ? " (try --no-direct)" : "");
	return (uint64_t)r / bs;
}

static void verify_raw(struct vstate *v)
{
	const struct opts *o = v->o;
	uint64_t slots = o->region / o->bs;
	uint64_t used = slots < o->count ? slots : o->count;
	uint64_t chunk = CHUNK_BYTES / o->bs ? CHUNK_BYTES / o->bs : 1;
	uint8_t *buf = xalloc_aligned(chunk * o->bs);
	unsigned int tid;
	int fd;

	fd = open(o->path, O_RDONLY | (o->direct ? O_DIRECT : 0));
	if (fd < 0)
		die("verify: open %s: %s", o->path, strerror(errno));
	for (tid = 0; tid < o->threads; tid++) {
		uint64_t base = o->offset + (uint64_t)tid * o->region, j = 0;

		while (j < used) {
			uint64_t n = used - j < chunk ? used - j : chunk;
			uint64_t got, b;

			got = read_blocks(fd, buf, n, o->bs, base + j * o->bs, o->path);
			if (got < n)
				die("verify: %s: short read at %" PRIu64 " (device/file too small)",
				    o->path, base + (j + got) * o->bs);
			for (b = 0; b < n; b++, j++) {
				/* last seq written into slot j */
				uint64_t seq = j + slots * ((o->count - 1 - j) / slots);

				check_one(v, buf + b * o->bs, tid, seq, base + j * o->bs);
			}
		}
	}
	close(fd);
	free(buf);
}

static void verify_file(struct vstate *v)
{
	const struct opts *o = v->o;
	uint64_t chunk = CHUNK_BYTES / o->bs ? CHUNK_BYTES / o->bs : 1;
	uint8_t *buf = xalloc_aligned(chunk * o->bs);
	char fname[PATH_MAX];
	unsigned int tid;

	for (tid = 0; tid < o->threads; tid++) {
		uint64_t seq = 0, want_size = o->count * o->bs;
		struct stat st;
		int fd;

		snprintf(fname, sizeof(fname), "%s/w%u", o->path, tid);
		fd = open(fname, O_RDONLY);
		if (fd < 0) {
			fprintf(stderr, "mismatch: tid=%u: open %s: %s\n", tid, fname,
				strerror(errno));
			v->checked += o->count;
			v->bad += o->count;
			continue;
		}
		if (fstat(fd, &st))
			die("verify: stat %s: %s", fname, strerror(errno));
		if ((uint64_t)st.st_size != want_size) {
			fprintf(stderr, "mismatch: tid=%u: %s size %" PRIu64
				", expected %" PRIu64 "\n",
				tid, fname, (uint64_t)st.st_size, want_size);
			v->bad++;
		}
		while (seq < o->count) {
			uint64_t n = o->count - seq < chunk ? o->count - seq : chunk;
			uint64_t got, b;

			got = read_blocks(fd, buf, n, o->bs, seq * o->bs, fname);
			for (b = 0; b < got; b++, seq++)
				check_one(v, buf + b * o->bs, tid, seq, seq * o->bs);
			if (got < n) {
				/* truncated file: every missing block is a mismatch */
				fprintf(stderr, "mismatch: tid=%u: %s ends at block %" PRIu64
					", %" PRIu64 " blocks missing\n",
					tid, fname, seq, o->count - seq);
				v->checked += o->count - seq;
				v->bad += o->count - seq;
				break;
			}
		}
		close(fd);
	}
	free(buf);
}

static int cmd_verify(int argc, char **argv)
{
	struct vstate v = { 0 };
	struct opts o;

	parse_io_opts(argc, argv, &o);
	if (o.have_len || o.op != OP_NONE)
		die_usage("verify: --len/--write/--check belong to pattern");
	check_rw_opts(&o, "verify");

	v.o = &o;
	v.want = xalloc_aligned(o.bs);
	if (o.mode == MODE_RAW)
		verify_raw(&v);
	else
		verify_file(&v);
	free(v.want);

	if (v.suppressed)
		fprintf(stderr, "(%" PRIu64 " more mismatching blocks not shown)\n",
			v.suppressed);
	if (o.json) {
		printf("{\"tool\":\"pmemtool\",\"cmd\":\"verify\",\"mode\":\"%s\",\"path\":",
		       mode_name(o.mode));
		json_str(stdout, o.path);
		printf(",\"threads\":%u,\"count\":%" PRIu64 ",\"checked\":%" PRIu64
		       ",\"mismatches\":%" PRIu64 ",\"ok\":%s}\n",
		       o.threads, o.count, v.checked, v.bad, v.bad ? "false" : "true");
	} else {
		printf("verify: mode=%s path=%s threads=%u count=%" PRIu64 " bs=%" PRIu64,
		       mode_name(o.mode), o.path, o.threads, o.count, o.bs);
		if (o.mode == MODE_RAW)
			printf(" region=%" PRIu64, o.region);
		printf("\nverify: checked %" PRIu64 " blocks, %" PRIu64 " mismatches: %s\n",
		       v.checked, v.bad, v.bad ? "FAIL" : "OK");
	}
	return v.bad ? EXIT_FAIL : 0;
}

/* ------------------------------------------------------------------ */
/* pattern                                                            */

static int open_maybe_direct(const char *path, int flags, bool *direct)
{
	int fd;

	if (*direct) {
		fd = open(path, flags | O_DIRECT, 0644);
		if (fd >= 0 || errno != EINVAL)
			return fd;
		*direct = false;	/* e.g. tmpfs */
	}
	return open(path, flags, 0644);
}

static int cmd_pattern(int argc, char **argv)
{
	uint64_t done = 0, bad = 0, first_bad = 0;
	bool direct;
	uint8_t *buf, *want = NULL;
	struct opts o;
	int fd, flags;

	parse_io_opts(argc, argv, &o);
	if (o.mode != MODE_NONE || o.threads || o.count || o.region || o.json)
		die_usage("pattern: --mode/--threads/--count/--region-bytes/--json not accepted");
	if (!o.have_offset || !o.have_len)
		die_usage("pattern: --offset and --len are required");
	if (o.op == OP_NONE)
		o.op = OP_CHECK;
	if (o.offset > UINT64_MAX - o.len)
		die_usage("pattern: --offset + --len overflows");

	direct = o.direct && !(o.offset % ALIGN_BYTES) && !(o.len % ALIGN_BYTES);
	flags = o.op == OP_WRITE ? O_RDWR | O_CREAT : O_RDONLY;
	fd = open_maybe_direct(o.path, flags, &direct);
	if (fd < 0)
		die("pattern: open %s: %s", o.path, strerror(errno));
	buf = xalloc_aligned(CHUNK_BYTES);
	if (o.op == OP_CHECK)
		want = xalloc_aligned(CHUNK_BYTES);

	while (done < o.len) {
		uint64_t off = o.offset + done;
		size_t n = o.len - done < CHUNK_BYTES ? o.len - done : CHUNK_BYTES;
		ssize_t r;
		size_t i;
		int ret;

		if (o.op == OP_WRITE) {
			pattern_fill(buf, off, n, o.seed);
			ret = pwrite_full(fd, buf, n, off);
			if (ret == -EINVAL && direct) {
				/* O_DIRECT refused by the device: retry buffered */
				close(fd);
				direct = false;
				fd = open(o.path, flags, 0644);
				if (fd < 0)
					die("pattern: reopen %s: %s", o.path, strerror(errno));
				continue;
			}
			if (ret)
				die("pattern: write %s at %" PRIu64 ": %s", o.path, off,
				    strerror(-ret));
		} else {
			r = pread_full(fd, buf, n, off);
			if (r == -EINVAL && direct) {
				close(fd);
				direct = false;
				fd = open(o.path, flags, 0644);
				if (fd < 0)
					die("pattern: reopen %s: %s", o.path, strerror(errno));
				continue;
			}
			if (r < 0)
				die("pattern: read %s at %" PRIu64 ": %s", o.path, off,
				    strerror((int)-r));
			pattern_fill(want, off, (size_t)r, o.seed);
			if (memcmp(buf, want, (size_t)r)) {
				for (i = 0; i < (size_t)r; i++) {
					if (buf[i] == want[i])
						continue;
					if (!bad)
						first_bad = off + i;
					bad++;
				}
			}
			if ((size_t)r < n) {
				/* end of file: everything not read counts as bad */
				printf("pattern: %s: short read, file ends at %" PRIu64 "\n",
				       o.path, off + (uint64_t)r);
				if (!bad)
					first_bad = off + (uint64_t)r;
				bad += o.len - done - (uint64_t)r;
				break;
			}
		}
		done += n;
	}
	if (o.op == OP_WRITE && fdatasync(fd))
		die("pattern: fdatasync %s: %s", o.path, strerror(errno));
	close(fd);
	free(buf);
	free(want);

	if (o.op == OP_WRITE) {
		printf("pattern: wrote %" PRIu64 " bytes at offset %" PRIu64
		       " seed %" PRIu64 " (direct=%s) and synced\n",
		       o.len, o.offset, o.seed, direct ? "yes" : "no");
		return 0;
	}
	if (bad) {
		printf("pattern: checked %" PRIu64 " bytes at offset %" PRIu64
		       " seed %" PRIu64 ": %" PRIu64 " bad bytes, first at offset %" PRIu64
		       ": FAIL\n", o.len, o.offset, o.seed, bad, first_bad);
		return EXIT_FAIL;
	}
	printf("pattern: checked %" PRIu64 " bytes at offset %" PRIu64 " seed %" PRIu64
	       " (direct=%s): OK\n", o.len, o.offset, o.seed, direct ? "yes" : "no");
	return 0;
}

int main(int argc, char **argv)
{
	const char *cmd;

	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	cmd = argv[1];
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
		usage(stdout);
		return 0;
	}
	/* subcommand sees argv[0] = its own name */
	argc--;
	argv++;
	optind = 1;
	if (!strcmp(cmd, "mapsync"))
		return cmd_mapsync(argc, argv);
	if (!strcmp(cmd, "writers"))
		return cmd_writers(argc, argv);
	if (!strcmp(cmd, "verify"))
		return cmd_verify(argc, argv);
	if (!strcmp(cmd, "pattern"))
		return cmd_pattern(argc, argv);
	die_usage("unknown command '%s'", cmd);
}
