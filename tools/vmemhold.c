// SPDX-License-Identifier: GPL-2.0
/*
 * vmemhold - user-space helper for the virtio-mem guest tests.
 *
 * Maps an anonymous buffer, fills it with a pattern that depends only on
 * the seed and the word index, and keeps it until a signal arrives:
 *   SIGUSR1  re-verify every word, print the result and exit (0 = intact)
 *   SIGUSR2  print where the pages are now (see below) and keep waiting
 *   SIGTERM, SIGINT  exit 0 without verifying (a plain memory hog)
 *
 * With --region START:SIZE (physical bytes, e.g. the virtio-mem device
 * region) it also counts how many of the buffer's pages sit in that range,
 * from /proc/self/pagemap (PFNs need CAP_SYS_ADMIN), so a test can show the
 * data really lived in memory that was then unplugged.
 *
 * Output (stdout, one line per event, flushed):
 *   vmemhold: ready mb=N sum=0xS in_region=K pages=P
 *   vmemhold: where in_region=K pages=P
 *   vmemhold: verify mismatches=M sum=0xS expected=0xS in_region=K pages=P
 *
 * --sparse: one pattern word per page, the rest stays zero (a quick fill
 * under TCG, for a plain memory hog; verify checks those words).
 *
 * Usage: vmemhold --mb N [--seed S] [--region START:SIZE] [--sparse]
 * Exit status: 0 ok, 1 data mismatch or runtime error, 2 usage error.
 * Build: see tools/Makefile (gcc -static -O2).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PAGEMAP_PRESENT		(1ULL << 63)
#define PAGEMAP_PFN_MASK	((1ULL << 55) - 1)
#define PAGEMAP_BATCH		4096

static uint64_t splitmix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static uint64_t word_of(uint64_t seed, uint64_t i)
{
	return splitmix64(seed * 0x100000001b3ULL ^ i);
}

/* order-dependent checksum over the words */
static uint64_t mix(uint64_t sum, uint64_t w)
{
	return (sum ^ w) * 0x100000001b3ULL + 0x2545f4914f6cdd1dULL;
}

static void usage(void)
{
	fprintf(stderr, "usage: vmemhold --mb N [--seed S] [--region START:SIZE] [--sparse]\n");
	exit(2);
}

/* pages of [buf, buf+len) whose PFN lies in [start, start+size) */
static long count_in_region(const void *buf, size_t len, uint64_t start,
			    uint64_t size, long *present)
{
	static uint64_t ent[PAGEMAP_BATCH];
	long psz = sysconf(_SC_PAGESIZE);
	uint64_t first = (uintptr_t)buf / psz, n = len / psz, done = 0;
	long in = 0;
	int fd;

	*present = 0;
	if (!size)
		return 0;
	fd = open("/proc/self/pagemap", O_RDONLY);
	if (fd < 0)
		return -1;
	while (done < n) {
		uint64_t cnt = n - done < PAGEMAP_BATCH ? n - done : PAGEMAP_BATCH;
		ssize_t r = pread(fd, ent, cnt * 8, (first + done) * 8);
		uint64_t i;

		if (r != (ssize_t)(cnt * 8)) {
			close(fd);
			return -1;
		}
		for (i = 0; i < cnt; i++) {
			uint64_t pa;

			if (!(ent[i] & PAGEMAP_PRESENT))
				continue;
			(*present)++;
			pa = (ent[i] & PAGEMAP_PFN_MASK) * psz;
			if (pa >= start && pa - start < size)
				in++;
		}
		done += cnt;
	}
	close(fd);
	return in;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "mb", required_argument, NULL, 'm' },
		{ "seed", required_argument, NULL, 's' },
		{ "region", required_argument, NULL, 'r' },
		{ "sparse", no_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t seed = 1, rstart = 0, rsize = 0, sum = 0, want, *buf, i, nw, step = 1;
	unsigned long mb = 0;
	long in, present;
	sigset_t set;
	size_t len;
	char *end;
	int c, sig;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'm':
			mb = strtoul(optarg, &end, 0);
			if (*end || !mb)
				usage();
			break;
		case 's':
			seed = strtoull(optarg, &end, 0);
			if (*end)
				usage();
			break;
		case 'r':
			rstart = strtoull(optarg, &end, 0);
			if (*end != ':')
				usage();
			rsize = strtoull(end + 1, &end, 0);
			if (*end)
				usage();
			break;
		case 'p':
			step = sysconf(_SC_PAGESIZE) / sizeof(*buf);
			break;
		default:
			usage();
		}
	}
	if (!mb || optind != argc)
		usage();

	/* block the signals before anything else: none may be lost */
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	if (sigprocmask(SIG_BLOCK, &set, NULL)) {
		perror("vmemhold: sigprocmask");
		return 1;
	}

	len = (size_t)mb << 20;
	buf = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED) {
		perror("vmemhold: mmap");
		return 1;
	}
	nw = len / sizeof(*buf);
	for (i = 0; i < nw; i += step) {
		buf[i] = word_of(seed, i);
		sum = mix(sum, buf[i]);
	}
	want = sum;
	in = count_in_region(buf, len, rstart, rsize, &present);
	printf("vmemhold: ready mb=%lu sum=0x%016" PRIx64 " in_region=%ld pages=%ld\n",
	       mb, sum, in, present);
	fflush(stdout);

	for (;;) {
		if (sigwait(&set, &sig)) {
			perror("vmemhold: sigwait");
			return 1;
		}
		if (sig == SIGUSR2) {
			in = count_in_region(buf, len, rstart, rsize, &present);
			printf("vmemhold: where in_region=%ld pages=%ld\n", in, present);
			fflush(stdout);
			continue;
		}
		if (sig != SIGUSR1)
			return 0;
		break;
	}

	{
		uint64_t bad = 0;

		sum = 0;
		for (i = 0; i < nw; i += step) {
			if (buf[i] != word_of(seed, i))
				bad++;
			sum = mix(sum, buf[i]);
		}
		in = count_in_region(buf, len, rstart, rsize, &present);
		printf("vmemhold: verify mismatches=%" PRIu64 " sum=0x%016" PRIx64
		       " expected=0x%016" PRIx64 " in_region=%ld pages=%ld\n",
		       bad, sum, want, in, present);
		fflush(stdout);
		return bad || sum != want ? 1 : 0;
	}
}
