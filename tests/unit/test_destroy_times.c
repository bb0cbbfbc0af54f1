// SPDX-License-Identifier: MIT
/* When a destroy message came: the waiting thread's notes of the
 * destroy socket's wakeups, given to the messages the loop reads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>

#include "watch/watch.h"
#include "fixture.h"

#define MS 1000000ull

static void note(struct sv_watch *w, uint64_t ns)
{
	unsigned i = (w->destroy_first + w->destroy_n++) %
		     SV_WATCH_DESTROY_TIMES;

	w->destroy_at[i] = ns;
}

/* Each message takes the oldest note not older than the last stamp. */
static void test_in_order(void **state)
{
	struct sv_watch *w = calloc(1, sizeof(*w));
	uint64_t t0;

	(void)state;
	assert_non_null(w);
	t0 = sv_watch_now_ns() - 50 * MS;
	note(w, t0);
	note(w, t0 + 3 * MS);
	sv_watch_destroy_arrived(w);
	assert_int_equal(w->destroy_ns, t0);
	sv_watch_destroy_arrived(w);
	assert_int_equal(w->destroy_ns, t0 + 3 * MS);
	free(w);
}

/*
 * The loop read a message before the thread noted its wakeup (stamped
 * when read), and the note came a little after that read: it is not the
 * next message's, which came after the socket was read empty.
 */
static void test_late_note_not_taken(void **state)
{
	struct sv_watch *w = calloc(1, sizeof(*w));
	uint64_t read_at, late;

	(void)state;
	assert_non_null(w);
	sv_watch_destroy_arrived(w); /* no note yet: stamped now */
	read_at = w->destroy_ns;
	assert_true(read_at > 0);
	sv_watch_destroy_drained(w);
	late = read_at + 20000; /* the thread's note, 20 us later */
	note(w, late);
	sv_watch_destroy_arrived(w); /* the next message */
	assert_true(w->destroy_ns != late);
	assert_true(w->destroy_ns >= read_at);
	assert_int_equal(w->destroy_n, 0);
	free(w);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_in_order),
		cmocka_unit_test(test_late_note_not_taken),
	};

	if (unit_filter(argc, argv, tests, UNIT_COUNT(tests)))
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
