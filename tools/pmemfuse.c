// SPDX-License-Identifier: GPL-2.0
/*
 * pmemfuse - a host file system that behaves like a disk with a volatile
 * write cache, for the virtio-pmem power-cut durability oracle
 * (tests/durability-scenarios.sh).  Host-only (libfuse3).
 *
 *   pmemfuse MOUNTPOINT --durable FILE --volatile FILE [--stats FILE]
 *
 * The mount holds three files:
 *   pmem.img  the pmem backing file QEMU maps (memory-backend-file,
 *             share=on); its size is the size of --durable
 *   ctl       write "cut PID": power cut, see below
 *   stats     counters, one "name value" per line
 *
 * The model.  Two images of the same size: the volatile one (--volatile)
 * is what the file reads back as, the durable one (--durable) is what
 * survives a power cut.  Every write that reaches this daemon lands in
 * the volatile image only and marks its 4 KiB blocks dirty; an fsync or
 * fdatasync of pmem.img (QEMU's virtio-pmem flush handler calls fsync on
 * the backing fd) copies the dirty blocks into the durable image.  That
 * is a disk with a volatile cache and a cache flush command.
 *
 * Where QEMU's data is on its way there: the guest writes into QEMU's
 * shared mapping of pmem.img, i.e. into pages of the host kernel's page
 * cache for this FUSE file.  Those pages reach the daemon as FUSE_WRITE
 * requests when the host kernel writes them back, whenever it likes
 * (periodic writeback, dirty limits) - and in any case before FUSE_FSYNC:
 * the kernel's fuse_fsync() writes back and waits for every dirty page
 * of the file before it sends FUSE_FSYNC.  So a page the guest dirtied
 * before its flush request is in the volatile image when the FSYNC
 * arrives and is made durable by it; a dirty page nobody synced is in
 * the page cache or the volatile image, both volatile.  Pages are
 * written back through the page cache (direct_io off: FUSE refuses
 * shared writable mappings of direct_io files), and the kernel's
 * writeback cache for write() is not requested: QEMU's data comes
 * through the mapping, not through write().
 *
 * The power cut.  The daemon runs single-threaded, so requests are
 * handled one at a time in the order the kernel queued them, and a
 * write of "cut PID" to ctl is one of them.  It (1) marks the file
 * system as cut: every later write, read and fsync of pmem.img fails
 * with EIO and changes nothing, (2) drops the dirty set (the volatile
 * image is never read again), (3) sends SIGKILL to PID (QEMU).  Hence:
 *  - an fsync handled before the cut completed its copy before the cut:
 *    whatever the guest was told was durable, is in the durable image;
 *  - an fsync that arrives after the cut fails, so QEMU cannot tell the
 *    guest "durable" for it (and QEMU is dead an instant later);
 *  - data written before the cut but not synced is lost, and so is any
 *    write reaching the daemon after the cut (e.g. the writeback of
 *    QEMU's dirty pages when its mapping and file are torn down by the
 *    SIGKILL, or by FUSE_FLUSH at close), exactly as on a disk that lost
 *    power with a dirty cache.
 * What is not modelled: torn writes inside a 4 KiB block (the copy is
 * per block, a block is either old or new) and the durable image's own
 * persistence on the host (it is read back before anything could lose
 * it).
 */
#define FUSE_USE_VERSION 31
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <fuse.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define BLK		((uint64_t)4096)
#define COPY_MAX	((uint64_t)1024 * 1024)
#define STATS_MAX	1024

struct pfs {
	int durable_fd;
	int volatile_fd;
	uint64_t size;
	uint64_t nblocks;
	uint64_t *dirty;		/* bitmap, one bit per block */
	uint64_t ndirty;
	bool cut;
	const char *stats_path;
	char *copybuf;
	/* counters */
	uint64_t writes, bytes_written;
	uint64_t reads, bytes_read;
	uint64_t syncs, bytes_synced;
	uint64_t refused_writes, refused_reads, refused_syncs;
	uint64_t bytes_refused;		/* written after the cut */
	uint64_t bytes_discarded;	/* dirty in the daemon at the cut */
	uint64_t opens;
	long cut_pid;
	int cut_kill_errno;
	struct timespec t_start, t_cut;
};

static struct pfs P;

static const char path_img[] = "/pmem.img";
static const char path_ctl[] = "/ctl";
static const char path_stats[] = "/stats";

static bool test_dirty(uint64_t b)
{
	return P.dirty[b / 64] & (1ULL << (b % 64));
}

static void set_dirty(uint64_t b)
{
	if (!test_dirty(b)) {
		P.dirty[b / 64] |= 1ULL << (b % 64);
		P.ndirty++;
	}
}

static void clear_dirty(uint64_t b)
{
	P.dirty[b / 64] &= ~(1ULL << (b % 64));
}

static int pread_all(int fd, char *buf, size_t n, off_t off)
{
	while (n) {
		ssize_t r = pread(fd, buf, n, off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0) {		/* past the end: zeros */
			memset(buf, 0, n);
			return 0;
		}
		buf += r;
		n -= r;
		off += r;
	}
	return 0;
}

static int pwrite_all(int fd, const char *buf, size_t n, off_t off)
{
	while (n) {
		ssize_t r = pwrite(fd, buf, n, off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		buf += r;
		n -= r;
		off += r;
	}
	return 0;
}

static double since(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t->tv_sec) + (now.tv_nsec - t->tv_nsec) / 1e9;
}

static int format_stats(char *buf, size_t n)
{
	return snprintf(buf, n,
		"size %" PRIu64 "\n"
		"opens %" PRIu64 "\n"
		"writes %" PRIu64 "\n"
		"bytes_written %" PRIu64 "\n"
		"reads %" PRIu64 "\n"
		"bytes_read %" PRIu64 "\n"
		"syncs %" PRIu64 "\n"
		"bytes_synced %" PRIu64 "\n"
		"dirty_bytes %" PRIu64 "\n"
		"cut %d\n"
		"cut_pid %ld\n"
		"cut_kill_errno %d\n"
		"cut_after_s %.3f\n"
		"bytes_discarded %" PRIu64 "\n"
		"refused_writes %" PRIu64 "\n"
		"bytes_refused %" PRIu64 "\n"
		"refused_reads %" PRIu64 "\n"
		"refused_syncs %" PRIu64 "\n",
		P.size, P.opens, P.writes, P.bytes_written, P.reads,
		P.bytes_read, P.syncs, P.bytes_synced, P.ndirty * BLK,
		P.cut, P.cut_pid, P.cut_kill_errno,
		P.cut ? (P.t_cut.tv_sec - P.t_start.tv_sec) +
			(P.t_cut.tv_nsec - P.t_start.tv_nsec) / 1e9 : 0.0,
		P.bytes_discarded, P.refused_writes, P.bytes_refused,
		P.refused_reads,
		P.refused_syncs);
}

/* fsync: every dirty block goes from the volatile to the durable image */
static int make_durable(void)
{
	uint64_t b = 0, run, bytes = 0;
	int err;

	while (b < P.nblocks) {
		if (!P.dirty[b / 64]) {
			b = (b / 64 + 1) * 64;
			continue;
		}
		if (!test_dirty(b)) {
			b++;
			continue;
		}
		for (run = 0; b + run < P.nblocks && test_dirty(b + run) &&
		     (run + 1) * BLK <= COPY_MAX; run++)
			clear_dirty(b + run);
		err = pread_all(P.volatile_fd, P.copybuf, run * BLK, b * BLK);
		if (!err)
			err = pwrite_all(P.durable_fd, P.copybuf, run * BLK,
					 b * BLK);
		if (err)
			return err;	/* the blocks stay lost: a failed flush */
		bytes += run * BLK;
		b += run;
	}
	P.ndirty = 0;
	P.syncs++;
	P.bytes_synced += bytes;
	return 0;
}

static void power_cut(long pid)
{
	P.cut = true;
	clock_gettime(CLOCK_MONOTONIC, &P.t_cut);
	P.bytes_discarded = P.ndirty * BLK;
	memset(P.dirty, 0, (P.nblocks + 63) / 64 * sizeof(uint64_t));
	P.ndirty = 0;
	P.cut_pid = pid;
	P.cut_kill_errno = 0;
	if (pid > 0 && kill(pid, SIGKILL))
		P.cut_kill_errno = errno;
	fprintf(stderr, "pmemfuse: POWER CUT after %.3f s: %" PRIu64
		" dirty bytes discarded, SIGKILL to %ld (%s), %" PRIu64
		" syncs before\n", since(&P.t_start), P.bytes_discarded, pid,
		P.cut_kill_errno ? strerror(P.cut_kill_errno) : "sent",
		P.syncs);
}

static int pfs_getattr(const char *path, struct stat *st,
		       struct fuse_file_info *fi)
{
	(void)fi;
	memset(st, 0, sizeof(*st));
	st->st_uid = getuid();
	st->st_gid = getgid();
	st->st_blksize = BLK;
	if (!strcmp(path, "/")) {
		st->st_mode = S_IFDIR | 0755;
		st->st_nlink = 2;
	} else if (!strcmp(path, path_img)) {
		st->st_mode = S_IFREG | 0600;
		st->st_nlink = 1;
		st->st_size = P.size;
		st->st_blocks = P.size / 512;
	} else if (!strcmp(path, path_ctl)) {
		st->st_mode = S_IFREG | 0200;
		st->st_nlink = 1;
	} else if (!strcmp(path, path_stats)) {
		st->st_mode = S_IFREG | 0400;
		st->st_nlink = 1;
	} else {
		return -ENOENT;
	}
	return 0;
}

static int pfs_readdir(const char *path, void *buf, fuse_fill_dir_t fill,
		       off_t off, struct fuse_file_info *fi,
		       enum fuse_readdir_flags flags)
{
	(void)off;
	(void)fi;
	(void)flags;
	if (strcmp(path, "/"))
		return -ENOENT;
	fill(buf, ".", NULL, 0, 0);
	fill(buf, "..", NULL, 0, 0);
	fill(buf, path_img + 1, NULL, 0, 0);
	fill(buf, path_ctl + 1, NULL, 0, 0);
	fill(buf, path_stats + 1, NULL, 0, 0);
	return 0;
}

static int pfs_open(const char *path, struct fuse_file_info *fi)
{
	if (!strcmp(path, path_img)) {
		if (fi->flags & O_TRUNC)
			return -EPERM;
		/* page cache I/O: shared writable mmap needs it */
		fi->direct_io = 0;
		fi->keep_cache = 0;
		P.opens++;
		return 0;
	}
	if (!strcmp(path, path_ctl) || !strcmp(path, path_stats)) {
		/* no size: reads and writes go straight to the daemon */
		fi->direct_io = 1;
		return 0;
	}
	return -ENOENT;
}

static int pfs_read(const char *path, char *buf, size_t n, off_t off,
		    struct fuse_file_info *fi)
{
	char sbuf[STATS_MAX];
	int len, err;

	(void)fi;
	if (!strcmp(path, path_stats)) {
		len = format_stats(sbuf, sizeof(sbuf));
		if (off >= len)
			return 0;
		if (n > (size_t)(len - off))
			n = len - off;
		memcpy(buf, sbuf + off, n);
		return n;
	}
	if (strcmp(path, path_img))
		return -EINVAL;
	if (P.cut) {
		P.refused_reads++;
		return -EIO;
	}
	if (off < 0 || (uint64_t)off >= P.size)
		return 0;
	if (n > P.size - off)
		n = P.size - off;
	err = pread_all(P.volatile_fd, buf, n, off);
	if (err)
		return err;
	P.reads++;
	P.bytes_read += n;
	return n;
}

static int ctl_write(const char *buf, size_t n)
{
	char cmd[64];
	long pid;

	if (n >= sizeof(cmd))
		return -EINVAL;
	memcpy(cmd, buf, n);
	cmd[n] = 0;
	if (sscanf(cmd, "cut %ld", &pid) == 1 && pid >= 0) {
		if (P.cut)
			return -EALREADY;
		power_cut(pid);
		return n;
	}
	return -EINVAL;
}

static int pfs_write(const char *path, const char *buf, size_t n, off_t off,
		     struct fuse_file_info *fi)
{
	uint64_t b, last;
	int err;

	(void)fi;
	if (!strcmp(path, path_ctl))
		return ctl_write(buf, n);
	if (strcmp(path, path_img))
		return -EINVAL;
	if (P.cut) {
		P.refused_writes++;
		P.bytes_refused += n;
		return -EIO;
	}
	if (off < 0 || (uint64_t)off + n > P.size)
		return -ENOSPC;
	if (!n)
		return 0;
	err = pwrite_all(P.volatile_fd, buf, n, off);
	if (err)
		return err;
	last = (off + n - 1) / BLK;
	for (b = off / BLK; b <= last; b++)
		set_dirty(b);
	P.writes++;
	P.bytes_written += n;
	return n;
}

static int pfs_fsync(const char *path, int datasync, struct fuse_file_info *fi)
{
	(void)datasync;
	(void)fi;
	if (strcmp(path, path_img))
		return 0;
	if (P.cut) {
		P.refused_syncs++;
		return -EIO;
	}
	return make_durable();
}

/* close() is no durability point: FUSE_FLUSH is not a cache flush */
static int pfs_flush(const char *path, struct fuse_file_info *fi)
{
	(void)path;
	(void)fi;
	return 0;
}

static int pfs_truncate(const char *path, off_t size, struct fuse_file_info *fi)
{
	(void)fi;
	if (strcmp(path, path_img))
		return -EPERM;
	return (uint64_t)size == P.size ? 0 : -EPERM;
}

static int pfs_utimens(const char *path, const struct timespec tv[2],
		       struct fuse_file_info *fi)
{
	(void)path;
	(void)tv;
	(void)fi;
	return 0;
}

static void *pfs_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{
	/* no write-back caching of write(): writes reach us at once */
	conn->want &= ~FUSE_CAP_WRITEBACK_CACHE;
	cfg->direct_io = 0;
	cfg->kernel_cache = 0;
	cfg->auto_cache = 0;
	cfg->use_ino = 0;
	return NULL;
}

static void pfs_destroy(void *data)
{
	char sbuf[STATS_MAX];
	FILE *f;

	(void)data;
	format_stats(sbuf, sizeof(sbuf));
	fprintf(stderr, "pmemfuse: unmounted after %.3f s\n%s",
		since(&P.t_start), sbuf);
	if (P.stats_path) {
		f = fopen(P.stats_path, "w");
		if (f) {
			fputs(sbuf, f);
			fclose(f);
		}
	}
	close(P.durable_fd);
	close(P.volatile_fd);
}

static const struct fuse_operations pfs_ops = {
	.init = pfs_init,
	.destroy = pfs_destroy,
	.getattr = pfs_getattr,
	.readdir = pfs_readdir,
	.open = pfs_open,
	.read = pfs_read,
	.write = pfs_write,
	.fsync = pfs_fsync,
	.flush = pfs_flush,
	.truncate = pfs_truncate,
	.utimens = pfs_utimens,
};

/* the volatile image starts as a copy of the durable one (data extents) */
static int copy_image(int from, int to, uint64_t size)
{
	off_t data = 0, hole;
	int err;

	if (ftruncate(to, 0) || ftruncate(to, size))
		return -errno;
	for (;;) {
		data = lseek(from, data, SEEK_DATA);
		if (data < 0)
			return errno == ENXIO ? 0 : -errno;
		hole = lseek(from, data, SEEK_HOLE);
		if (hole < 0)
			return -errno;
		while (data < hole) {
			uint64_t left = hole - data;
			size_t n = left > COPY_MAX ? COPY_MAX : left;

			err = pread_all(from, P.copybuf, n, data);
			if (!err)
				err = pwrite_all(to, P.copybuf, n, data);
			if (err)
				return err;
			data += n;
		}
	}
}

static void usage(void)
{
	fprintf(stderr,
		"usage: pmemfuse MOUNTPOINT --durable FILE --volatile FILE [--stats FILE]\n"
		"  FILE sizes: --durable must exist (its size is pmem.img's; a multiple of 4096)\n"
		"  runs in the foreground, single-threaded; unmount with fusermount3 -u\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *mnt = NULL, *durable = NULL, *vol = NULL;
	char *fargv[8];
	int i, fargc = 0, err;
	struct stat st;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--durable") && i + 1 < argc)
			durable = argv[++i];
		else if (!strcmp(argv[i], "--volatile") && i + 1 < argc)
			vol = argv[++i];
		else if (!strcmp(argv[i], "--stats") && i + 1 < argc)
			P.stats_path = argv[++i];
		else if (argv[i][0] != '-' && !mnt)
			mnt = argv[i];
		else
			usage();
	}
	if (!mnt || !durable || !vol)
		usage();
	P.durable_fd = open(durable, O_RDWR);
	if (P.durable_fd < 0 || fstat(P.durable_fd, &st)) {
		perror(durable);
		return 1;
	}
	P.size = st.st_size;
	if (!P.size || P.size % BLK) {
		fprintf(stderr, "%s: size %" PRIu64 " is not a non-zero multiple of %" PRIu64 "\n",
			durable, P.size, BLK);
		return 1;
	}
	P.nblocks = P.size / BLK;
	P.dirty = calloc((P.nblocks + 63) / 64, sizeof(uint64_t));
	P.copybuf = malloc(COPY_MAX);
	P.volatile_fd = open(vol, O_RDWR | O_CREAT, 0600);
	if (!P.dirty || !P.copybuf || P.volatile_fd < 0) {
		perror(vol);
		return 1;
	}
	err = copy_image(P.durable_fd, P.volatile_fd, P.size);
	if (err) {
		fprintf(stderr, "copying %s to %s: %s\n", durable, vol,
			strerror(-err));
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &P.t_start);

	fargv[fargc++] = argv[0];
	fargv[fargc++] = (char *)mnt;
	fargv[fargc++] = "-f";		/* foreground: the caller has our pid */
	fargv[fargc++] = "-s";		/* one request at a time, see above */
	fargv[fargc++] = "-o";
	fargv[fargc++] = "fsname=pmemfuse,subtype=pmemfuse,auto_unmount";
	fargv[fargc] = NULL;
	return fuse_main(fargc, fargv, &pfs_ops, NULL);
}
