// SPDX-License-Identifier: GPL-2.0
/*
 * p2pcopy - copy between two block devices through a P2P memory buffer.
 *
 *   p2pcopy copy --src DEV --dst DEV [--buf FILE | --sysmem] [options]
 *       N threads; thread t owns slot t of the buffer (chunk bytes) and
 *       copies chunks t, t+N, t+2N, ... with O_DIRECT pread() from --src
 *       into its slot and pwrite() from the slot to --dst.  FILE is
 *       /dev/p2pmemN (p2pmem_pci) or .../p2pmem/allocate (the kernel's
 *       own interface, 6.2+); --sysmem uses page-aligned system memory.
 *       --check first writes a pattern to --src and zeroes --dst (through
 *       system memory), copies, then reads --dst back and compares.
 *   p2pcopy refuse --buf FILE
 *       MAP_PRIVATE and a non-zero offset must be refused (EINVAL).
 *   p2pcopy hold --buf FILE --len L --go PATH
 *       maps L bytes, writes and checks a pattern by CPU, prints
 *       "HOLD ready", waits until PATH exists, then reads the mapping
 *       again: prints "HOLD sigbus" (exit 0) if the access faults with
 *       SIGBUS, "HOLD readable" (exit 1) if it does not.
 *
 * Output of copy: one "p2pcopy:" line with bytes, seconds and MB/s (and
 * with --json a JSON line), "check: MATCH" or "check: MISMATCH ...".
 * Exit status: 0 ok, 1 failure, 2 usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <linux/fs.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
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

struct opts {
	const char *src, *dst, *buf, *go;
	bool sysmem, check, json;
	uint64_t chunk, size, len, src_off, dst_off, seed;
	unsigned int threads;
};

struct worker {
	pthread_t th;
	const struct opts *o;
	int src_fd, dst_fd;
	char *slot;
	unsigned int tid;
	uint64_t bytes;
	int err;
	const char *what;
};

static void usage(void)
{
	fprintf(stderr,
		"usage: p2pcopy copy --src DEV --dst DEV [--buf FILE | --sysmem]\n"
		"                    [--chunk 64k] [--threads 1] [--size 16m]\n"
		"                    [--src-offset 0] [--dst-offset 0] [--check] [--seed 1] [--json]\n"
		"       p2pcopy refuse --buf FILE\n"
		"       p2pcopy hold --buf FILE --len L --go PATH\n");
	exit(2);
}

static uint64_t parse_size(const char *s)
{
	char *end;
	uint64_t v = strtoull(s, &end, 0);

	switch (*end) {
	case 'g': case 'G': v <<= 10; /* fall through */
	case 'm': case 'M': v <<= 10; /* fall through */
	case 'k': case 'K': v <<= 10; end++; break;
	case 0: break;
	default: fprintf(stderr, "bad size '%s'\n", s); exit(2);
	}
	if (*end) {
		fprintf(stderr, "bad size '%s'\n", s);
		exit(2);
	}
	return v;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* splitmix64 keyed by seed and the 8-byte word's absolute offset */
static uint64_t pat_word(uint64_t seed, uint64_t off)
{
	uint64_t z = seed * 0x9e3779b97f4a7c15ULL + off;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void pat_fill(uint64_t *p, uint64_t off, uint64_t len, uint64_t seed)
{
	for (uint64_t i = 0; i < len / 8; i++)
		p[i] = pat_word(seed, off + i * 8);
}

static int open_dev(const char *path, int flags)
{
	int fd = open(path, flags);

	if (fd < 0)
		fprintf(stderr, "open %s: %s\n", path, strerror(errno));
	return fd;
}

static uint64_t dev_size(int fd)
{
	struct stat st;
	uint64_t sz = 0;

	if (fstat(fd, &st) == 0 && S_ISBLK(st.st_mode)) {
		if (ioctl(fd, BLKGETSIZE64, &sz))
			return 0;
		return sz;
	}
	return st.st_size;
}

static int full_pio(bool wr, int fd, char *p, uint64_t len, uint64_t off)
{
	while (len) {
		ssize_t n = wr ? pwrite(fd, p, len, off) : pread(fd, p, len, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		p += n;
		off += n;
		len -= n;
	}
	return 0;
}

static void *copy_worker(void *arg)
{
	struct worker *w = arg;
	const struct opts *o = w->o;
	uint64_t nchunks = o->size / o->chunk, i;

	for (i = w->tid; i < nchunks; i += o->threads) {
		w->err = full_pio(false, w->src_fd, w->slot, o->chunk, o->src_off + i * o->chunk);
		if (w->err) {
			w->what = "read";
			break;
		}
		w->err = full_pio(true, w->dst_fd, w->slot, o->chunk, o->dst_off + i * o->chunk);
		if (w->err) {
			w->what = "write";
			break;
		}
		w->bytes += o->chunk;
	}
	return NULL;
}

/* Write the pattern (or zeroes) through system memory, O_DIRECT. */
static int prepare(int fd, uint64_t off, uint64_t size, uint64_t seed, bool zero)
{
	const uint64_t step = 1 << 20;
	char *b;
	int err = 0;

	if (posix_memalign((void **)&b, 4096, step))
		return -ENOMEM;
	for (uint64_t d = 0; d < size && !err; d += step) {
		uint64_t n = size - d < step ? size - d : step;

		if (zero)
			memset(b, 0, n);
		else
			pat_fill((uint64_t *)b, d, n, seed);
		err = full_pio(true, fd, b, n, off + d);
	}
	if (!err && fsync(fd))
		err = -errno;
	free(b);
	return err;
}

/* Read back and compare; returns mismatching bytes' first offset or -1. */
static int64_t verify(int fd, uint64_t off, uint64_t size, uint64_t seed, int *err)
{
	const uint64_t step = 1 << 20;
	uint64_t *b, *want;
	int64_t bad = -1;

	*err = 0;
	if (posix_memalign((void **)&b, 4096, step) || posix_memalign((void **)&want, 4096, step)) {
		*err = -ENOMEM;
		return -1;
	}
	for (uint64_t d = 0; d < size && bad < 0; d += step) {
		uint64_t n = size - d < step ? size - d : step;

		*err = full_pio(false, fd, (char *)b, n, off + d);
		if (*err)
			break;
		pat_fill(want, d, n, seed);
		for (uint64_t i = 0; i < n / 8; i++) {
			if (b[i] != want[i]) {
				bad = d + i * 8;
				break;
			}
		}
	}
	free(b);
	free(want);
	return bad;
}

static char *map_buffer(const struct opts *o, uint64_t len, int *fdp)
{
	char *p;
	int fd;

	if (o->sysmem) {
		if (posix_memalign((void **)&p, 4096, len))
			return NULL;
		*fdp = -1;
		return p;
	}
	fd = open_dev(o->buf, O_RDWR);
	if (fd < 0)
		return NULL;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		fprintf(stderr, "mmap %s (%" PRIu64 " bytes): %s\n", o->buf, len, strerror(errno));
		close(fd);
		return NULL;
	}
	*fdp = fd;
	return p;
}

static int cmd_copy(struct opts *o)
{
	struct worker *w;
	int src, dst, bfd, err, rc = 0;
	uint64_t total = 0, buflen = o->chunk * o->threads;
	double t0, secs;
	char *buf;

	if (!o->src || !o->dst || (!o->buf && !o->sysmem) || (o->buf && o->sysmem))
		usage();
	if (!o->chunk || o->chunk % 4096 || !o->threads || o->size % o->chunk) {
		fprintf(stderr, "chunk must be a multiple of 4096, size a multiple of chunk\n");
		return 2;
	}
	src = open_dev(o->src, O_RDWR | O_DIRECT);
	dst = open_dev(o->dst, O_RDWR | O_DIRECT);
	if (src < 0 || dst < 0)
		return 1;
	if (dev_size(src) < o->src_off + o->size || dev_size(dst) < o->dst_off + o->size) {
		fprintf(stderr, "devices too small for %" PRIu64 " bytes\n", o->size);
		return 1;
	}
	if (o->check) {
		err = prepare(src, o->src_off, o->size, o->seed, false);
		if (!err)
			err = prepare(dst, o->dst_off, o->size, 0, true);
		if (err) {
			fprintf(stderr, "check: preparing the devices failed: %s\n", strerror(-err));
			return 1;
		}
	}
	buf = map_buffer(o, buflen, &bfd);
	if (!buf)
		return 1;
	w = calloc(o->threads, sizeof(*w));
	t0 = now();
	for (unsigned int t = 0; t < o->threads; t++) {
		w[t] = (struct worker){ .o = o, .src_fd = src, .dst_fd = dst, .tid = t,
					.slot = buf + t * o->chunk };
		pthread_create(&w[t].th, NULL, copy_worker, &w[t]);
	}
	for (unsigned int t = 0; t < o->threads; t++) {
		pthread_join(w[t].th, NULL);
		total += w[t].bytes;
		if (w[t].err) {
			fprintf(stderr, "thread %u: %s failed: %s\n", t, w[t].what, strerror(-w[t].err));
			rc = 1;
		}
	}
	secs = now() - t0;
	printf("p2pcopy: %" PRIu64 " bytes in %.3f s = %.2f MB/s (buffer %s, %u threads, chunk %" PRIu64 ")\n",
	       total, secs, total / secs / 1e6, o->sysmem ? "sysmem" : o->buf, o->threads, o->chunk);
	if (o->json)
		printf("{\"bytes\": %" PRIu64 ", \"seconds\": %.6f, \"mbps\": %.3f, \"buffer\": \"%s\", \"threads\": %u, \"chunk\": %" PRIu64 ", \"ok\": %s}\n",
		       total, secs, total / secs / 1e6, o->sysmem ? "sysmem" : o->buf,
		       o->threads, o->chunk, rc ? "false" : "true");
	if (o->check && !rc) {
		int64_t bad = verify(dst, o->dst_off, o->size, o->seed, &err);

		if (err) {
			printf("check: read-back failed: %s\n", strerror(-err));
			rc = 1;
		} else if (bad >= 0) {
			printf("check: MISMATCH at byte %" PRId64 " of %" PRIu64 "\n", bad, o->size);
			rc = 1;
		} else {
			printf("check: MATCH %" PRIu64 " bytes\n", o->size);
		}
	}
	if (o->sysmem)
		free(buf);
	else
		munmap(buf, buflen);
	free(w);
	return rc;
}

static int try_map(int fd, int flags, off_t off)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, flags, fd, off);

	if (p != MAP_FAILED) {
		munmap(p, 4096);
		return 0;
	}
	return -errno;
}

static int cmd_refuse(struct opts *o)
{
	int fd, priv, offs, shared;

	if (!o->buf)
		usage();
	fd = open_dev(o->buf, O_RDWR);
	if (fd < 0)
		return 1;
	priv = try_map(fd, MAP_PRIVATE, 0);
	offs = try_map(fd, MAP_SHARED, 4096);
	shared = try_map(fd, MAP_SHARED, 0);
	printf("refuse: private=%s offset=%s shared=%s\n", strerror(-priv), strerror(-offs),
	       shared ? strerror(-shared) : "mapped");
	close(fd);
	return priv == -EINVAL && offs == -EINVAL && shared == 0 ? 0 : 1;
}

static sigjmp_buf hold_jmp;

static void on_sigbus(int sig)
{
	(void)sig;
	siglongjmp(hold_jmp, 1);
}

static int cmd_hold(struct opts *o)
{
	volatile uint64_t sum = 0;
	struct sigaction sa;
	uint64_t *p;
	int fd;

	if (!o->buf || !o->go || !o->len)
		usage();
	fd = open_dev(o->buf, O_RDWR);
	if (fd < 0)
		return 1;
	p = mmap(NULL, o->len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		printf("HOLD mmap-failed %s\n", strerror(errno));
		return 1;
	}
	pat_fill(p, 0, o->len, o->seed);
	for (uint64_t i = 0; i < o->len / 8; i++) {
		if (p[i] != pat_word(o->seed, i * 8)) {
			printf("HOLD cpu-mismatch at %" PRIu64 "\n", i * 8);
			return 1;
		}
	}
	printf("HOLD ready %" PRIu64 " bytes\n", o->len);
	fflush(stdout);
	while (access(o->go, F_OK))
		usleep(50000);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigbus;
	sigaction(SIGBUS, &sa, NULL);
	if (sigsetjmp(hold_jmp, 1)) {
		printf("HOLD sigbus\n");
		return 0;
	}
	for (uint64_t i = 0; i < o->len / 8; i += 512)
		sum += p[i];
	printf("HOLD readable (sum %" PRIx64 ")\n", (uint64_t)sum);
	return 1;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "src", 1, 0, 's' }, { "dst", 1, 0, 'd' }, { "buf", 1, 0, 'b' },
		{ "sysmem", 0, 0, 'M' }, { "chunk", 1, 0, 'c' }, { "threads", 1, 0, 't' },
		{ "size", 1, 0, 'S' }, { "src-offset", 1, 0, 'o' }, { "dst-offset", 1, 0, 'O' },
		{ "check", 0, 0, 'C' }, { "seed", 1, 0, 'e' }, { "json", 0, 0, 'j' },
		{ "len", 1, 0, 'l' }, { "go", 1, 0, 'g' }, { "help", 0, 0, 'h' }, { 0 }
	};
	struct opts o = { .chunk = 65536, .threads = 1, .size = 16 << 20, .seed = 1 };
	const char *cmd;
	int c;

	if (argc < 2)
		usage();
	cmd = argv[1];
	optind = 2;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 's': o.src = optarg; break;
		case 'd': o.dst = optarg; break;
		case 'b': o.buf = optarg; break;
		case 'M': o.sysmem = true; break;
		case 'c': o.chunk = parse_size(optarg); break;
		case 't': o.threads = strtoul(optarg, NULL, 0); break;
		case 'S': o.size = parse_size(optarg); break;
		case 'o': o.src_off = parse_size(optarg); break;
		case 'O': o.dst_off = parse_size(optarg); break;
		case 'C': o.check = true; break;
		case 'e': o.seed = strtoull(optarg, NULL, 0); break;
		case 'j': o.json = true; break;
		case 'l': o.len = parse_size(optarg); break;
		case 'g': o.go = optarg; break;
		default: usage();
		}
	}
	if (!strcmp(cmd, "copy"))
		return cmd_copy(&o);
	if (!strcmp(cmd, "refuse"))
		return cmd_refuse(&o);
	if (!strcmp(cmd, "hold"))
		return cmd_hold(&o);
	usage();
	return 2;
}
