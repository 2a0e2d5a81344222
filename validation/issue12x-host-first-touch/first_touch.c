/* issue 12 (wt-12x): what a first touch of anonymous memory costs on this host, and why.
 *
 * QEMU's destination loads each arriving normal page into guest RAM that it mapped
 * anonymous and madvised MADV_HUGEPAGE (qemu_ram_setup_dump/qemu_madvise in
 * system/physmem.c; THP is `madvise` here), so its first write into a 2 MiB region takes a
 * huge-page fault that zeroes 2 MiB (clear_huge_page). This program does that first write
 * by itself: it maps SIZE MiB, optionally MADV_HUGEPAGE, writes one byte in every 4 KiB
 * page and times each 2 MiB block; then it unmaps, sleeps GAP ms, and does it again,
 * ROUNDS times. Around every touch and every gap it reads /proc/vmstat (faults, THP,
 * compaction) and this kernel's page_reporting counters (reported_kib: memory the guest
 * kernel handed back to the hypervisor as free), so a slow round can be tied to memory the
 * hypervisor must back again.
 *
 * Usage: first_touch SIZE_MIB HUGE(0|1) ROUNDS GAP_MS [LABEL]
 * Output: one CSV row per round (header first).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/resource.h>

#define BLOCK (2UL << 20)
#define PAGE 4096UL

static const char *vm_names[] = {"pgfault", "thp_fault_alloc", "thp_fault_fallback",
                                 "compact_stall", "pgfree", "pgalloc_normal"};
#define NVM 6

struct counters { long long vm[NVM]; long long reported_kib; };

static void read_counters(struct counters *c) {
  memset(c, 0, sizeof *c);
  FILE *f = fopen("/proc/vmstat", "r");
  char name[128]; long long v;
  while (f && fscanf(f, "%127s %lld", name, &v) == 2)
    for (int i = 0; i < NVM; i++) if (!strcmp(name, vm_names[i])) c->vm[i] = v;
  if (f) fclose(f);
  f = fopen("/sys/module/page_reporting/parameters/reported_kib", "r");
  if (f) { if (fscanf(f, "%lld", &c->reported_kib) != 1) c->reported_kib = -1; fclose(f); }
  else c->reported_kib = -1;
}

static double now_sec(void) {
  struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

static double cpu_sec(int sys) {
  struct rusage r; getrusage(RUSAGE_SELF, &r);
  struct timeval tv = sys ? r.ru_stime : r.ru_utime;
  return tv.tv_sec + tv.tv_usec * 1e-6;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  if (argc < 5) { fprintf(stderr, "usage: %s SIZE_MIB HUGE(0|1) ROUNDS GAP_MS [LABEL]\n", argv[0]); return 2; }
  size_t size = strtoul(argv[1], 0, 10) << 20;
  int huge = atoi(argv[2]), rounds = atoi(argv[3]), gap_ms = atoi(argv[4]);
  const char *label = argc > 5 ? argv[5] : "";
  size_t nblocks = size / BLOCK;
  double *block_us = malloc(nblocks * sizeof(double)); /* us per 4 KiB page, per 2 MiB block */
  printf("label,round,size_mib,huge,gap_ms,us_per_page,p10,p50,p90,slow_blocks,blocks,"
         "sys_s,user_s,retouch_us_per_page,d_pgfault,d_thp_fault_alloc,d_thp_fault_fallback,"
         "d_compact_stall,d_reported_kib_touch,d_reported_kib_gap_before\n");
  struct counters gap0, gap1, c0, c1;
  read_counters(&gap0);
  for (int r = 0; r < rounds; r++) {
    read_counters(&gap1);
    /* map 2 MiB extra and align, so every block can be one huge page */
    char *raw = mmap(0, size + BLOCK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED) { perror("mmap"); return 1; }
    char *p = (char *)(((uintptr_t)raw + BLOCK - 1) & ~(BLOCK - 1));
    if (madvise(p, size, huge ? MADV_HUGEPAGE : MADV_NOHUGEPAGE)) { perror("madvise"); return 1; }
    read_counters(&c0);
    double s0 = cpu_sec(1), u0 = cpu_sec(0), t0 = now_sec();
    for (size_t b = 0; b < nblocks; b++) {
      double tb = now_sec();
      char *q = p + b * BLOCK;
      for (size_t o = 0; o < BLOCK; o += PAGE) q[o] = 1; /* the first write into each page */
      block_us[b] = (now_sec() - tb) * 1e6 / (BLOCK / PAGE);
    }
    double t1 = now_sec(), s1 = cpu_sec(1), u1 = cpu_sec(0);
    read_counters(&c1);
    /* the same writes again: backed memory, no fault at any level */
    double r0 = now_sec();
    for (size_t o = 0; o < size; o += PAGE) p[o] = 2;
    double retouch = (now_sec() - r0) * 1e6 / (size / PAGE);
    double mean = (t1 - t0) * 1e6 / (size / PAGE);
    size_t slow = 0;
    for (size_t b = 0; b < nblocks; b++) slow += block_us[b] > 1.0; /* > 0.5 ms per 2 MiB */
    qsort(block_us, nblocks, sizeof(double), cmp_double);
    printf("%s,%d,%zu,%d,%d,%.3f,%.3f,%.3f,%.3f,%zu,%zu,%.3f,%.3f,%.3f,%lld,%lld,%lld,%lld,%lld,%lld\n",
           label, r, size >> 20, huge, r ? gap_ms : -1, mean, block_us[nblocks / 10],
           block_us[nblocks / 2], block_us[nblocks * 9 / 10], slow, nblocks, s1 - s0, u1 - u0,
           retouch, c1.vm[0] - c0.vm[0], c1.vm[1] - c0.vm[1], c1.vm[2] - c0.vm[2],
           c1.vm[3] - c0.vm[3], c1.reported_kib - c0.reported_kib,
           gap1.reported_kib - gap0.reported_kib);
    fflush(stdout);
    munmap(raw, size + BLOCK);
    read_counters(&gap0);
    if (r + 1 < rounds && gap_ms > 0) usleep((useconds_t)gap_ms * 1000);
  }
  return 0;
}
