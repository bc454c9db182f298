/*
 * mapper: a stand-in for a long-running client (Remmina) in the process-scan tests.
 *
 *   mapper [--memfd NAME] LIB.so ...
 *
 * dlopen()s every LIB (so its code is mapped r-xp, as libfreerdp is in Remmina), optionally maps
 * an anonymous memfd with PROT_EXEC (a JIT-style mapping that must never count as stale), prints
 * "ready" on stdout and sleeps until killed. Build: cc -o NAME mapper.c -ldl
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--memfd") == 0 && i + 1 < argc) {
      int fd = memfd_create(argv[++i], 0);
      if (fd < 0 || ftruncate(fd, 4096) != 0) { perror("memfd"); return 2; }
      if (mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0) == MAP_FAILED) { perror("mmap"); return 2; }
      continue;
    }
    if (!dlopen(argv[i], RTLD_NOW)) { fprintf(stderr, "dlopen %s: %s\n", argv[i], dlerror()); return 2; }
  }
  printf("ready\n");
  fflush(stdout);
  for (;;) pause();
}
