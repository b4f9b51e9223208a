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
 *   p2pcopy touch --buf FILE --len L [--go PATH]
 *       maps L bytes (the driver's test-only mmap_delay_ms may hold the
 *       mmap() call), then writes one word per page: "TOUCH sigbus"
 *       (exit 0) if that faults with SIGBUS; else "TOUCH live", and with
 *       --go waits until PATH exists and touches again: "TOUCH
 *       sigbus-later" (exit 0) or "TOUCH live-later" (exit 1).
 *   p2pcopy stress --bdf BDF --driver DRV --iters N [--threads T]
 *                  [--len L] [--src DEV --dst DEV] [--hang-secs 10]
 *                  [--round-maps 25]
 *       T threads map / touch / unmap the /dev/p2pmemN of provider BDF in
 *       a loop (reopening it as it comes and goes), one more thread (with
 *       --src/--dst) copies src -> dst with O_DIRECT through a mapping of
 *       it, while the main thread unbinds BDF from driver DRV and binds
 *       it again N times, waiting for the export each time and, before
 *       each unbind, for --round-maps maps of the live export by the
 *       threads (then a random 0-50 ms more; not within 15 s: a failure,
 *       the round raced nothing).  One idle
 *       round (no threads) comes first; with DRV nvme each round waits
 *       for the controller to be live (nvme's remove() would wait for
 *       its asynchronous probe otherwise).  Checked: every unbind returns
 *       within --hang-secs, or 3 x the idle round if that is longer (a
 *       loaded TCG host), the export is gone when
 *       it returns, no touch that starts after the unbind of the mapping's
 *       provider returned succeeds (it must get SIGBUS), every thread
 *       ends, and afterwards the export's "allocated" is 0 and the
 *       provider's p2pmem/available is what it was before.  Prints
 *       "STRESS ..." lines and one "STRESS-JSON {...}"; exit 0 iff all held.
 *       --remove-cmd CMD --add-cmd CMD: hot-removal instead of unbind,
 *       re-plug instead of bind: each round runs the shell command CMD,
 *       which returns once the device is gone (resp. back), exit status 0
 *       (the lab's: a QMP device_del / device_add by the host through
 *       pciehp); the checks are the same, the latency is the removal's.
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
#include <dirent.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct opts {
	const char *src, *dst, *buf, *go, *bdf, *driver, *remove_cmd, *add_cmd;
	bool sysmem, check, json;
	uint64_t chunk, size, len, src_off, dst_off, seed;
	unsigned int threads, iters, hang_secs, round_maps;
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
		"       p2pcopy hold --buf FILE --len L --go PATH\n"
		"       p2pcopy touch --buf FILE --len L [--go PATH]\n"
		"       p2pcopy stress --bdf BDF --driver DRV --iters N [--threads 3] [--len 64k]\n"
		"                      [--src DEV --dst DEV] [--hang-secs 10] [--round-maps 25]\n"
		"                      [--remove-cmd CMD --add-cmd CMD]\n");
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

/* ---- touch: is a fresh mapping live or dead? -------------------------- */

/* per-thread SIGBUS recovery: armed around every access to a mapping */
static __thread sigjmp_buf bus_jmp;
static __thread volatile sig_atomic_t bus_armed;

static void on_sigbus_thread(int sig)
{
	if (!bus_armed) {
		signal(sig, SIG_DFL);
		raise(sig);
		return;
	}
	siglongjmp(bus_jmp, 1);
}

static void sigbus_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigbus_thread;
	sigaction(SIGBUS, &sa, NULL);
}

/* Write and read back one word per page; false if that got SIGBUS. */
static bool touch_pages(volatile uint64_t *p, uint64_t len, uint64_t tag)
{
	uint64_t i, words = 4096 / sizeof(*p);

	if (sigsetjmp(bus_jmp, 1)) {
		bus_armed = 0;
		return false;
	}
	bus_armed = 1;
	for (i = 0; i < len / sizeof(*p); i += words) {
		p[i] = tag + i;
		if (p[i] != tag + i) {
			bus_armed = 0;
			fprintf(stderr, "touch: read back %" PRIx64 " != %" PRIx64 "\n",
				(uint64_t)p[i], tag + i);
			return true;
		}
	}
	bus_armed = 0;
	return true;
}

static int cmd_touch(struct opts *o)
{
	void *p;
	int fd;

	if (!o->buf || !o->len)
		usage();
	sigbus_install();
	fd = open_dev(o->buf, O_RDWR);
	if (fd < 0)
		return 1;
	p = mmap(NULL, o->len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		printf("TOUCH mmap-failed %s\n", strerror(errno));
		return 1;
	}
	if (!touch_pages(p, o->len, 0x70327000)) {
		printf("TOUCH sigbus\n");
		return 0;
	}
	printf("TOUCH live\n");
	fflush(stdout);
	if (!o->go)
		return 1;
	while (access(o->go, F_OK))
		usleep(50000);
	if (!touch_pages(p, o->len, 0x70328000)) {
		printf("TOUCH sigbus-later\n");
		return 0;
	}
	printf("TOUCH live-later\n");
	return 1;
}

/* ---- stress: map/touch/unmap and O_DIRECT against unbind/rebind -------- */

/*
 * Provider state, one counter: 3e = instance e of the export is live,
 * 3e+1 = its unbind is running, 3e+2 = the unbind returned (instance e is
 * dead for good).  A file opened while the counter read c0 = 3e before
 * the open and at most 3e+1 after the mmap is certainly instance e: e+1
 * cannot exist before the unbind of e returned.  A touch that starts when
 * the counter is >= 3e+2 must not succeed on such a mapping.
 */
static atomic_long st_state;
static atomic_bool st_stop;

/*
 * While the export is gone, the threads look for it again every 20 ms: a
 * scan of the class directory costs milliseconds of a KASAN guest under
 * TCG, and four threads polling every 3 ms took the vCPUs from the unbind
 * being tested (measured: test-7.2 unbinds p50 16.4 s under the stress,
 * 4.0 s idle).
 */
#define ST_ABSENT_POLL_US	20000

struct st_counts {
	atomic_ulong maps, mmap_enodev, mmap_other, opens_failed, sigbus, touches,
		violations, copies, copy_efault, copy_other, copy_maps;
};
static struct st_counts stc;

/* /dev/p2pmemN of provider @bdf, or false */
static bool export_of(const char *bdf, char *node, size_t len)
{
	const char *cls = "/sys/class/p2pmem_guestmem";
	struct dirent *de;
	char path[512], val[64];
	bool found = false;
	DIR *d = opendir(cls);
	FILE *f;

	if (!d)
		return false;
	while (!found && (de = readdir(d))) {
		if (strncmp(de->d_name, "p2pmem", 6))
			continue;
		snprintf(path, sizeof(path), "%s/%s/provider", cls, de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(val, sizeof(val), f) && !strncmp(val, bdf, strlen(bdf)) &&
		    (val[strlen(bdf)] == '\n' || !val[strlen(bdf)])) {
			if (node)
				snprintf(node, len, "/dev/%s", de->d_name);
			found = true;
		}
		fclose(f);
	}
	closedir(d);
	return found;
}

/* a decimal sysfs value, or -1 */
static long long read_ll(const char *path)
{
	long long v = -1;
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	if (fscanf(f, "%lld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

static long long export_attr(const char *bdf, const char *attr)
{
	char node[320], path[400];

	if (!export_of(bdf, node, sizeof(node)))
		return -1;
	snprintf(path, sizeof(path), "/sys/class/p2pmem_guestmem/%s/%s", node + 5, attr);
	return read_ll(path);
}

/* open the current export of @bdf; instance number or -1 if uncertain */
static int st_open(const char *bdf, long *inst)
{
	long c0 = atomic_load(&st_state);
	char node[320];
	int fd;

	*inst = -1;
	if (!export_of(bdf, node, sizeof(node)))
		return -1;
	fd = open(node, O_RDWR);
	if (fd < 0) {
		atomic_fetch_add(&stc.opens_failed, 1);
		return -1;
	}
	if (c0 % 3 == 0)
		*inst = c0 / 3;
	return fd;
}

static void st_violation(const char *what, long inst, long c)
{
	atomic_fetch_add(&stc.violations, 1);
	printf("STRESS violation %s: mapping of instance %ld live at state %ld (unbind returned)\n",
	       what, inst, c);
	fflush(stdout);
}

struct st_thread {
	pthread_t th;
	const struct opts *o;
	unsigned int id;
	int src_fd, dst_fd;
};

static void *st_mapper(void *arg)
{
	struct st_thread *t = arg;
	const struct opts *o = t->o;
	unsigned int seed = t->id * 7919 + 1;
	long inst = -1, c;
	int fd = -1, r;
	void *p;

	while (!atomic_load(&st_stop)) {
		if (fd < 0) {
			fd = st_open(o->bdf, &inst);
			if (fd < 0) {
				usleep(ST_ABSENT_POLL_US);
				continue;
			}
		}
		p = mmap(NULL, o->len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		c = atomic_load(&st_state);
		if (p == MAP_FAILED) {
			if (errno == ENODEV)
				atomic_fetch_add(&stc.mmap_enodev, 1);
			else
				atomic_fetch_add(&stc.mmap_other, 1);
			close(fd);
			fd = -1;
			continue;
		}
		atomic_fetch_add(&stc.maps, 1);
		/* identity known only if no unbind of inst returned meanwhile */
		if (inst >= 0 && c > 3 * inst + 1)
			inst = -1;
		for (r = 0; r < 4; r++) {
			c = atomic_load(&st_state);
			if (!touch_pages(p, o->len, ((uint64_t)t->id << 32) | r)) {
				atomic_fetch_add(&stc.sigbus, 1);
				break;
			}
			atomic_fetch_add(&stc.touches, 1);
			if (inst >= 0 && c >= 3 * inst + 2)
				st_violation("touch", inst, c);
			if (rand_r(&seed) % 4 == 0)
				usleep(rand_r(&seed) % 2000);
		}
		munmap(p, o->len);
		/* leave the (TCG) CPUs to the unbind and bind being tested */
		usleep(500 + rand_r(&seed) % 3000);
	}
	if (fd >= 0)
		close(fd);
	return NULL;
}

static void *st_copier(void *arg)
{
	struct st_thread *t = arg;
	const struct opts *o = t->o;
	uint64_t off = 0, span = 16 << 20;
	char *buf = NULL;
	long inst;
	int fd = -1, err;

	while (!atomic_load(&st_stop)) {
		if (!buf) {
			fd = st_open(o->bdf, &inst);
			if (fd < 0) {
				usleep(ST_ABSENT_POLL_US);
				continue;
			}
			buf = mmap(NULL, o->chunk, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
			if (buf == MAP_FAILED) {
				buf = NULL;
				close(fd);
				fd = -1;
				continue;
			}
			atomic_fetch_add(&stc.copy_maps, 1);
		}
		err = full_pio(false, t->src_fd, buf, o->chunk, off);
		if (!err)
			err = full_pio(true, t->dst_fd, buf, o->chunk, off);
		if (!err) {
			atomic_fetch_add(&stc.copies, 1);
			off = (off + o->chunk) % span;
			continue;
		}
		/* a dead mapping: GUP fails (EFAULT), or the block layer refuses */
		if (err == -EFAULT)
			atomic_fetch_add(&stc.copy_efault, 1);
		else
			atomic_fetch_add(&stc.copy_other, 1);
		munmap(buf, o->chunk);
		buf = NULL;
		close(fd);
		fd = -1;
	}
	if (buf)
		munmap(buf, o->chunk);
	if (fd >= 0)
		close(fd);
	return NULL;
}

/*
 * wait until the threads mapped the live export @n more times, or @ms;
 * false if they did not (a round that raced nothing)
 */
static bool st_wait_maps(unsigned long n, long ms)
{
	unsigned long m0 = atomic_load(&stc.maps);

	for (; ms > 0 && atomic_load(&stc.maps) - m0 < n; ms -= 10)
		usleep(10000);
	return atomic_load(&stc.maps) - m0 >= n;
}

/* the operation the main thread is blocked in, for the watchdog */
static atomic_long st_op_since_ms;	/* 0: none */
static const char *volatile st_op_name = "unbind";
static atomic_uint st_hangs;

static long now_ms(void)
{
	return (long)(now() * 1000);
}

/*
 * hang bounds (ms): unbind --hang-secs, or 3 x the idle round's unbind if
 * longer; bind (not the subject, only hang detection) 30 s or 3 x idle
 */
/*
 * A bind (nvme's probe: a controller enable, then the export) under the
 * stress on a loaded TCG host took over 30 s once (load 12, KASAN); a
 * bind that never comes back is what this bounds.
 */
#define ST_BIND_MS	60000L
static atomic_long st_hang_ms, st_bind_hang_ms;

static void *st_watchdog(void *arg)
{
	const struct opts *o = arg;
	long since, reported = 0, bound;

	while (!atomic_load(&st_stop)) {
		usleep(100000);
		since = atomic_load(&st_op_since_ms);
		bound = strcmp(st_op_name, "bind") ? atomic_load(&st_hang_ms) :
						     atomic_load(&st_bind_hang_ms);
		if (!since || since == reported || now_ms() - since < bound)
			continue;
		reported = since;
		atomic_fetch_add(&st_hangs, 1);
		printf("STRESS hang: %s of %s not returned after %ld ms\n",
		       st_op_name, o->bdf, bound);
		fflush(stdout);
	}
	return NULL;
}

/* write @bdf to /sys/bus/pci/drivers/DRV/@what; 0 or -errno */
static int st_sysfs(const struct opts *o, const char *what)
{
	char path[256];
	int fd, err = 0;

	snprintf(path, sizeof(path), "/sys/bus/pci/drivers/%s/%s", o->driver, what);
	fd = open(path, O_WRONLY);
	if (fd < 0 || write(fd, o->bdf, strlen(o->bdf)) < 0)
		err = -errno;
	if (fd >= 0)
		close(fd);
	return err;
}

/* run the --remove-cmd / --add-cmd shell command; 0 or -EIO */
static int st_command(const char *cmd)
{
	int status = system(cmd);

	return status != -1 && WIFEXITED(status) && !WEXITSTATUS(status) ? 0 : -EIO;
}

/*
 * the provider goes away ("unbind": an unbind, or with --remove-cmd a
 * hot-removal) or comes back ("bind"); ms taken, -errno on error
 */
static long st_op(const struct opts *o, const char *what)
{
	bool unbind = !strcmp(what, "unbind");
	long t0 = now_ms(), t;
	int err;

	st_op_name = what;
	atomic_store(&st_op_since_ms, t0);
	if (o->remove_cmd)
		err = st_command(unbind ? o->remove_cmd : o->add_cmd);
	else
		err = st_sysfs(o, what);
	t = now_ms() - t0;
	atomic_store(&st_op_since_ms, 0);
	return err ? err : t;
}

static bool wait_export(const char *bdf, bool present, long ms)
{
	long t0 = now_ms();

	while (export_of(bdf, NULL, 0) != present) {
		if (now_ms() - t0 > ms)
			return false;
		usleep(5000);
	}
	return true;
}

/*
 * nvme finishes probing asynchronously (reset work, namespace scan) after
 * its CMB is exported; its remove() waits for that work.  Wait for the
 * controller to be live so an unbind's latency is the teardown's own.
 */
static void wait_nvme_live(const char *bdf, long ms)
{
	char path[256], state[32];
	long t0 = now_ms();
	struct dirent *de;
	DIR *d;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/nvme", bdf);
	while (now_ms() - t0 < ms) {
		d = opendir(path);
		while (d && (de = readdir(d))) {
			char sp[600];

			if (strncmp(de->d_name, "nvme", 4))
				continue;
			snprintf(sp, sizeof(sp), "%s/%s/state", path, de->d_name);
			f = fopen(sp, "r");
			if (f && fgets(state, sizeof(state), f) && !strncmp(state, "live", 4)) {
				fclose(f);
				closedir(d);
				return;
			}
			if (f)
				fclose(f);
		}
		if (d)
			closedir(d);
		usleep(20000);
	}
}

static int cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return (x > y) - (x < y);
}

static int cmd_stress(struct opts *o)
{
	unsigned int nt = o->threads, i, rounds, unbind_err = 0, export_left = 0, no_export = 0;
	unsigned int short_rounds = 0;
	char avail_path[256];
	long long avail0, avail1 = -1, alloc1 = -1;
	struct st_thread *t;
	pthread_t wd;
	long *lat, ms, base, bind0;
	bool copy = o->src && o->dst, ok;
	int rc;

	if (!o->bdf || !o->driver || !o->iters || !o->len || o->len % 4096 ||
	    (!o->src != !o->dst) || (!o->remove_cmd != !o->add_cmd))
		usage();
	sigbus_install();
	snprintf(avail_path, sizeof(avail_path), "/sys/bus/pci/devices/%s/p2pmem/available", o->bdf);
	if (!wait_export(o->bdf, true, 30000)) {
		printf("STRESS error: %s is not exported\n", o->bdf);
		return 1;
	}
	/*
	 * One idle round first: what an unbind costs on this machine right
	 * now (TCG on a loaded host can take many seconds for nvme alone).
	 */
	st_op_name = "unbind";
	base = st_op(o, "unbind");
	bind0 = st_op(o, "bind");
	if (base < 0 || bind0 < 0 || !wait_export(o->bdf, true, 30000)) {
		printf("STRESS error: idle unbind/bind round failed\n");
		return 1;
	}
	if (!strcmp(o->driver, "nvme"))
		wait_nvme_live(o->bdf, 30000);
	atomic_store(&st_hang_ms, base * 3 > o->hang_secs * 1000L ? base * 3 : o->hang_secs * 1000L);
	atomic_store(&st_bind_hang_ms, bind0 * 3 > ST_BIND_MS ? bind0 * 3 : ST_BIND_MS);
	printf("STRESS idle round: unbind %ld ms, bind %ld ms; hang bounds %ld / %ld ms\n",
	       base, bind0, atomic_load(&st_hang_ms), atomic_load(&st_bind_hang_ms));
	avail0 = read_ll(avail_path);
	lat = calloc(o->iters, sizeof(*lat));
	t = calloc(nt + 1, sizeof(*t));
	for (i = 0; i < nt + copy; i++) {
		t[i] = (struct st_thread){ .o = o, .id = i };
		if (i == nt) {
			t[i].src_fd = open_dev(o->src, O_RDWR | O_DIRECT);
			t[i].dst_fd = open_dev(o->dst, O_RDWR | O_DIRECT);
			if (t[i].src_fd < 0 || t[i].dst_fd < 0)
				return 1;
		}
		pthread_create(&t[i].th, NULL, i == nt ? st_copier : st_mapper, &t[i]);
	}
	pthread_create(&wd, NULL, st_watchdog, o);

	for (i = 0; i < o->iters; i++) {
		if (!st_wait_maps(o->round_maps, 15000)) {	/* let the threads use it */
			printf("STRESS violation: round %u: fewer than %u maps of the live export in 15 s\n",
			       i, o->round_maps);
			short_rounds++;
		}
		usleep((rand() % 50) * 1000);
		atomic_fetch_add(&st_state, 1);		/* 3e+1: unbinding */
		ms = st_op(o, "unbind");
		atomic_fetch_add(&st_state, 1);		/* 3e+2: unbind returned */
		if (ms < 0) {
			printf("STRESS error: unbind %u: %s\n", i, strerror(-ms));
			unbind_err++;
			break;
		}
		lat[i] = ms;
		if (export_of(o->bdf, NULL, 0)) {
			printf("STRESS violation: export of %s still there after unbind %u\n", o->bdf, i);
			export_left++;
		}
		ms = st_op(o, "bind");
		if (ms < 0 || !wait_export(o->bdf, true, ST_BIND_MS)) {
			printf("STRESS error: bind %u: %s\n", i,
			       ms < 0 ? strerror(-ms) : "not exported within 60 s");
			no_export++;
			break;
		}
		if (!strcmp(o->driver, "nvme"))
			wait_nvme_live(o->bdf, 30000);
		atomic_fetch_add(&st_state, 1);		/* 3(e+1): live */
		if ((i + 1) % 25 == 0) {
			printf("STRESS progress %u/%u maps=%lu sigbus=%lu copies=%lu\n", i + 1,
			       o->iters, (unsigned long)stc.maps, (unsigned long)stc.sigbus,
			       (unsigned long)stc.copies);
			fflush(stdout);
		}
	}
	rounds = i;
	atomic_store(&st_stop, true);
	for (i = 0; i < nt + copy; i++)
		pthread_join(t[i].th, NULL);
	pthread_join(wd, NULL);
	/* every buffer back: ours at once, the P2PDMA core's as pins drop */
	for (ms = 0; ms < 5000; ms += 50) {
		alloc1 = export_attr(o->bdf, "allocated");
		avail1 = read_ll(avail_path);
		if (alloc1 == 0 && avail1 == avail0)
			break;
		usleep(50000);
	}
	qsort(lat, rounds, sizeof(*lat), cmp_long);
	ok = rounds == o->iters && !unbind_err && !export_left && !no_export && !st_hangs &&
	     !short_rounds &&
	     !stc.violations && alloc1 == 0 && avail1 == avail0 && stc.maps > 0;
	printf("STRESS %s: %s via %s, %u/%u %s rounds, %s ms p50 %ld max %ld (idle %ld); "
	       "%lu maps (%lu ENODEV, %lu other errors), %lu touches, %lu SIGBUS, %lu violations; "
	       "copies %lu (%lu EFAULT, %lu other errors, %lu mappings); hangs %u; "
	       "rounds under %u maps %u; allocated %lld, p2pmem/available %lld (before %lld)\n",
	       ok ? "ok" : "FAILED", o->bdf, o->remove_cmd ? "hot-removal" : o->driver, rounds, o->iters,
	       o->remove_cmd ? "removal+re-plug" : "unbind+bind", o->remove_cmd ? "removal" : "unbind",
	       rounds ? lat[rounds / 2] : -1L, rounds ? lat[rounds - 1] : -1L, base,
	       (unsigned long)stc.maps, (unsigned long)stc.mmap_enodev,
	       (unsigned long)stc.mmap_other, (unsigned long)stc.touches,
	       (unsigned long)stc.sigbus, (unsigned long)stc.violations,
	       (unsigned long)stc.copies, (unsigned long)stc.copy_efault,
	       (unsigned long)stc.copy_other, (unsigned long)stc.copy_maps,
	       (unsigned int)st_hangs, o->round_maps, short_rounds, alloc1, avail1, avail0);
	printf("STRESS-JSON {\"bdf\": \"%s\", \"driver\": \"%s\", \"rounds\": %u, \"idle_unbind_ms\": %ld, \"unbind_ms_p50\": %ld, "
	       "\"unbind_ms_max\": %ld, \"maps\": %lu, \"sigbus\": %lu, \"violations\": %lu, "
	       "\"copies\": %lu, \"hangs\": %u, \"ok\": %s}\n",
	       o->bdf, o->driver, rounds, base, rounds ? lat[rounds / 2] : -1L, rounds ? lat[rounds - 1] : -1L,
	       (unsigned long)stc.maps, (unsigned long)stc.sigbus,
	       (unsigned long)stc.violations, (unsigned long)stc.copies, (unsigned int)st_hangs,
	       ok ? "true" : "false");
	rc = ok ? 0 : 1;
	free(lat);
	free(t);
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "src", 1, 0, 's' }, { "dst", 1, 0, 'd' }, { "buf", 1, 0, 'b' },
		{ "sysmem", 0, 0, 'M' }, { "chunk", 1, 0, 'c' }, { "threads", 1, 0, 't' },
		{ "size", 1, 0, 'S' }, { "src-offset", 1, 0, 'o' }, { "dst-offset", 1, 0, 'O' },
		{ "check", 0, 0, 'C' }, { "seed", 1, 0, 'e' }, { "json", 0, 0, 'j' },
		{ "len", 1, 0, 'l' }, { "go", 1, 0, 'g' }, { "help", 0, 0, 'h' },
		{ "bdf", 1, 0, 'B' }, { "driver", 1, 0, 'D' }, { "iters", 1, 0, 'n' },
		{ "hang-secs", 1, 0, 'H' }, { "round-maps", 1, 0, 'R' },
		{ "remove-cmd", 1, 0, 'x' }, { "add-cmd", 1, 0, 'a' }, { 0 }
	};
	struct opts o = { .chunk = 65536, .threads = 1, .size = 16 << 20, .seed = 1,
			  .hang_secs = 10, .round_maps = 25 };
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
		case 'B': o.bdf = optarg; break;
		case 'D': o.driver = optarg; break;
		case 'n': o.iters = strtoul(optarg, NULL, 0); break;
		case 'H': o.hang_secs = strtoul(optarg, NULL, 0); break;
		case 'R': o.round_maps = strtoul(optarg, NULL, 0); break;
		case 'x': o.remove_cmd = optarg; break;
		case 'a': o.add_cmd = optarg; break;
		default: usage();
		}
	}
	if (!strcmp(cmd, "copy"))
		return cmd_copy(&o);
	if (!strcmp(cmd, "refuse"))
		return cmd_refuse(&o);
	if (!strcmp(cmd, "hold"))
		return cmd_hold(&o);
	if (!strcmp(cmd, "touch"))
		return cmd_touch(&o);
	if (!strcmp(cmd, "stress"))
		return cmd_stress(&o);
	usage();
	return 2;
}
