/* issue 12 (wt-12x): hold SIZE MiB of touched MADV_HUGEPAGE memory until SIGUSR1 (or
 * SIGTERM), then exit, freeing it at once. watch_host.py uses it to hand the host kernel a
 * pool of just-freed, not yet reported memory right before a migration starts.
 * Usage: hold SIZE_MIB   (prints "held <MiB>" once touched) */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <signal.h>
#include <unistd.h>
#include <sys/mman.h>

static volatile sig_atomic_t go;
static void on_signal(int s) { (void)s; go = 1; }

int main(int argc, char **argv) {
  if (argc < 2) { fprintf(stderr, "usage: %s SIZE_MIB\n", argv[0]); return 2; }
  size_t size = strtoul(argv[1], 0, 10) << 20, block = 2UL << 20;
  signal(SIGUSR1, on_signal); signal(SIGTERM, on_signal);
  char *raw = mmap(0, size + block, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) { perror("mmap"); return 1; }
  char *p = (char *)(((uintptr_t)raw + block - 1) & ~(block - 1));
  madvise(p, size, MADV_HUGEPAGE);
  for (size_t o = 0; o < size; o += 4096) p[o] = 1;
  printf("held %zu\n", size >> 20); fflush(stdout);
  while (!go) pause();
  return 0; /* exit frees it */
}
