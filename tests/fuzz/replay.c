// SPDX-License-Identifier: MIT
/*
 * Runs a fuzz target's LLVMFuzzerTestOneInput() once on each file named
 * on the command line (directories: each regular file in them), without
 * libFuzzer, so the corpus and the regressions replay in an ordinary
 * sanitizer build from any compiler.  Prints "replay: N passed, N failed";
 * a crash is a sanitizer report and the process dies with it.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned passed, failed;

static void run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0, n;

	if (!f) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		failed++;
		return;
	}
	do {
		if (len == cap) {
			uint8_t *p = realloc(buf, cap ? 2 * cap : 4096);

			if (!p) {
				fprintf(stderr, "replay: out of memory\n");
				exit(1);
			}
			buf = p;
			cap = cap ? 2 * cap : 4096;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
	} while (n);
	if (ferror(f)) {
		fprintf(stderr, "replay: %s: read error\n", path);
		failed++;
	} else {
		/* exactly len bytes, as libFuzzer hands them over: a read
		 * past the end is a heap overflow, not a spare byte */
		uint8_t *exact = malloc(len ? len : 1);

		if (!exact) {
			fprintf(stderr, "replay: out of memory\n");
			exit(1);
		}
		memcpy(exact, buf, len);
		fprintf(stderr, "replay: %s\n", path);
		LLVMFuzzerTestOneInput(exact, len);
		free(exact);
		passed++;
	}
	free(buf);
	fclose(f);
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static void run_path(const char *path)
{
	struct dirent **ents;
	struct stat st;
	int i, n;

	if (stat(path, &st) != 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		failed++;
		return;
	}
	if (!S_ISDIR(st.st_mode)) {
		run_file(path);
		return;
	}
	n = scandir(path, &ents, NULL, by_name);
	if (n < 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		failed++;
		return;
	}
	for (i = 0; i < n; i++) {
		char sub[4096];

		if (ents[i]->d_name[0] != '.' &&
		    (size_t)snprintf(sub, sizeof(sub), "%s/%s", path,
				     ents[i]->d_name) < sizeof(sub) &&
		    stat(sub, &st) == 0 && S_ISREG(st.st_mode))
			run_file(sub);
		free(ents[i]);
	}
	free(ents);
}

int main(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++)
		run_path(argv[i]);
	printf("replay: %u passed, %u failed\n", passed, failed);
	return failed ? 1 : 0;
}
