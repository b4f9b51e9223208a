// SPDX-License-Identifier: GPL-2.0
/*
 * vmemlat - how late a periodic guest thread wakes (virtio-mem bench).
 *
 * A thread sleeps to absolute deadlines every --period-us (default 10000,
 * i.e. every 10 ms, CLOCK_MONOTONIC, TIMER_ABSTIME) and records how late
 * each wake-up was.  A deadline missed by more than a period is not made
 * up: the next one is the first still ahead (the lateness of the wake-up
 * that missed it is what counts).  It runs until SIGUSR1 (or SIGTERM),
 * then prints one line and exits 0:
 *
 *   vmemlat: wakeups=N max_us=M p99_us=P p50_us=Q mean_us=A period_us=T
 *
 * The lateness includes the guest's timer slack and, under emulation, the
 * host's scheduling: compare runs made alike (a ratio between drivers),
 * never against a fixed bound.  Up to 1,000,000 wake-ups are kept (~2.8 h
 * at 10 ms); later ones count towards max and mean only.
 *
 * Usage: vmemlat [--period-us US]
 * Exit status: 0 ok, 1 runtime error, 2 usage error.
 * Build: see tools/Makefile (gcc -static -O2).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_SAMPLES 1000000

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int64_t ts_ns(const struct timespec *t)
{
	return (int64_t)t->tv_sec * 1000000000LL + t->tv_nsec;
}

static struct timespec ns_ts(int64_t ns)
{
	struct timespec t = { .tv_sec = ns / 1000000000LL,
			      .tv_nsec = ns % 1000000000LL };
	return t;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "period-us", required_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 },
	};
	struct sigaction sa;
	struct timespec now, dl;
	int64_t period, next, late_ns, sum = 0, max = 0;
	uint32_t *lat;
	size_t n = 0, total = 0;
	char *end;
	int c, rc;

	period = 10000;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 'p')
			goto usage;
		errno = 0;
		period = strtoll(optarg, &end, 10);
		if (errno || *end || period < 100 || period > 10000000)
			goto usage;
	}
	if (optind != argc)
		goto usage;
	period *= 1000;
	lat = calloc(MAX_SAMPLES, sizeof(*lat));
	if (!lat) {
		perror("vmemlat: calloc");
		return 1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	clock_gettime(CLOCK_MONOTONIC, &now);
	next = ts_ns(&now) + period;
	printf("vmemlat: running period_us=%lld\n", (long long)(period / 1000));
	fflush(stdout);
	while (!stop) {
		dl = ns_ts(next);
		rc = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &dl, NULL);
		if (rc == EINTR)
			continue;
		if (rc) {
			fprintf(stderr, "vmemlat: clock_nanosleep: %s\n", strerror(rc));
			return 1;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		late_ns = ts_ns(&now) - next;
		if (late_ns < 0)
			late_ns = 0;
		if (late_ns > max)
			max = late_ns;
		sum += late_ns;
		if (n < MAX_SAMPLES)
			lat[n++] = late_ns / 1000 > UINT32_MAX ? UINT32_MAX :
				   (uint32_t)(late_ns / 1000);
		total++;
		/* the next deadline still ahead */
		next += period;
		if (next <= ts_ns(&now))
			next += ((ts_ns(&now) - next) / period + 1) * period;
	}
	qsort(lat, n, sizeof(*lat), cmp_u32);
	printf("vmemlat: wakeups=%zu max_us=%lld p99_us=%u p50_us=%u mean_us=%lld period_us=%lld\n",
	       total, (long long)(max / 1000),
	       n ? lat[(n * 99) / 100 < n ? (n * 99) / 100 : n - 1] : 0,
	       n ? lat[n / 2] : 0,
	       total ? (long long)(sum / (int64_t)total / 1000) : 0LL,
	       (long long)(period / 1000));
	fflush(stdout);
	free(lat);
	return 0;
usage:
	fprintf(stderr, "usage: vmemlat [--period-us US]\n");
	return 2;
}
