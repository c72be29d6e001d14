/* bench/rusage: runs one command and writes its wall time and peak RSS as one JSON line.
 *
 *   rusage OUT_FILE COMMAND [ARG...]
 *
 * Why not os.wait4 from the Python driver: Linux carries a process's RSS high-water mark across
 * exec, so a child spawned straight from Python reports at least Python's own RSS (~14 MB).
 * Forked from this small program instead, a child's `ru_maxrss` starts near 1 MB (the figure
 * for /bin/true is recorded as the baseline). The clock runs from just before fork to just after
 * wait4, on CLOCK_MONOTONIC. stdin/stdout/stderr are the child's.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: rusage OUT_FILE COMMAND [ARG...]\n");
        return 2;
    }
    struct timespec start, end;
    clock_gettime(CLOCK_MONOTONIC, &start);
    pid_t pid = fork();
    if (pid < 0) {
        perror("rusage: fork");
        return 2;
    }
    if (pid == 0) {
        execvp(argv[2], &argv[2]);
        fprintf(stderr, "rusage: cannot run `%s`: %s\n", argv[2], strerror(errno));
        _exit(127);
    }
    int status = 0;
    struct rusage usage;
    memset(&usage, 0, sizeof usage);
    while (wait4(pid, &status, 0, &usage) < 0) {
        if (errno != EINTR) {
            perror("rusage: wait4");
            return 2;
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &end);
    double wall = (double)(end.tv_sec - start.tv_sec) + (double)(end.tv_nsec - start.tv_nsec) / 1e9;
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    double cpu = (double)usage.ru_utime.tv_sec + (double)usage.ru_utime.tv_usec / 1e6 +
                 (double)usage.ru_stime.tv_sec + (double)usage.ru_stime.tv_usec / 1e6;
    FILE *out = fopen(argv[1], "w");
    if (out == NULL) {
        perror("rusage: open the output file");
        return 2;
    }
    fprintf(out, "{\"wall_s\": %.6f, \"cpu_s\": %.6f, \"maxrss_kib\": %ld, \"exit\": %d}\n", wall, cpu,
            usage.ru_maxrss, code);
    fclose(out);
    return code;
}
