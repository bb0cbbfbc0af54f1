// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/escape.h"
#include "core/fields.h"
#include "core/strbuf.h"
#include "core/util.h"
#include "out/render.h"
#include "sys/proc.h"

/*
 * Aligned columns need every row's width before the first row is
 * printed.  Rows are held in memory up to SPILL_AT bytes and past that in
 * an unlinked temporary file, so memory stays flat however many sockets
 * there are; the widths are kept as rows arrive.
 */
#define SPILL_AT (1u << 20)
/* room past it for the row that crosses it (a longer row grows it) */
#define HELD_ROOM (64u << 10)

/* Separators inside the held text; escaped cells never contain them. */
#define CELL_END '\x1f'
#define ROW_END '\x1e'
/* An owners cell filled at output time: the mark, then the inode. */
#define PROCS_LATER '\x1d'
/* A held detail line starts with one of these (its headings are a
 * listener's or not); an object with no value holds OBJ_NONE. */
#define DETAIL_PLAIN '\x1c'
#define DETAIL_LISTEN '\x1b'
#define OBJ_NONE '\x1a'

/*
 * A detail line field, with what its row needs worked out once: the
 * object run it belongs to (where it ends), its heading on a listener
 * and on any other socket, and whether it is a plain tcp_info number.
 * A -i line is a hundred fields a socket: strcmp on object names and
 * heading lookups were the largest cost of list -tanoiem.
 */
#define LEAD_MAX 48

struct detail_field {
	const struct sv_field *f;
	/* what goes before the value: " obj: head:" on the first member
	 * of an object, " head:" on the others ([1]: on a listener); the
	 * line's first field drops the space */
	char lead[2][LEAD_MAX];
	uint8_t lead_n[2];
	bool tcpi;
	bool obj_start; /* the first member of its object */
	uint16_t obj_end; /* index past its object's last member */
};

struct table_render {
	struct sv_render r;
	struct sv_out *o;
	unsigned show;
	size_t ncols;
	const struct sv_field **cols;
	size_t *width;
	bool info; /* -i detail lines */
	bool oneline; /* -O: the details follow the columns */
	struct detail_field *detail; /* their fields, nested */
	size_t ndetail;
	/* held rows, built in place; past SPILL_AT written to spill */
	struct sv_strbuf rows;
	FILE *spill;
	/* -p with the owners found while the rows come: the last column
	 * holds inodes until end() has the map from wait() */
	const struct sv_proc_map *(*wait)(void *arg);
	void *wait_arg;
	const struct sv_proc_map *procs;
	/* each later cell's inode << 32 | its number, in row order, then
	 * (end()) its owners; keys_bad: an inode past 32 bits, each looked
	 * up alone */
	uint64_t *keys;
	size_t nkeys, keys_cap;
	bool keys_bad;
	struct sv_proc_hit *hits;
	size_t next_hit;
	struct sv_strbuf cell;
};

/* ss's form: users:(("comm",pid=N,fd=N),...) */
static void procs_text(struct sv_strbuf *b, const struct sv_proc_ref *procs,
		       size_t n)
{
	size_t i;

	if (!n) {
		sv_strbuf_addc(b, '-');
		return;
	}
	sv_strbuf_adds(b, "users:(");
	for (i = 0; i < n; i++) {
		sv_strbuf_adds(b, i ? ",(\"" : "(\"");
		sv_term_escape(b, procs[i].comm, strlen(procs[i].comm));
		sv_strbuf_adds(b, "\",pid=");
		sv_strbuf_addu(b, (uint64_t)procs[i].pid);
		sv_strbuf_adds(b, ",fd=");
		sv_strbuf_addu(b, (uint64_t)procs[i].fd);
		sv_strbuf_addc(b, ')');
	}
	sv_strbuf_addc(b, ')');
}

static void cell_text(struct sv_strbuf *b, const struct sv_row *row,
		      const struct sv_field *f)
{
	struct sv_val v;
	size_t i;

	if (!f->get(row, f, &v)) {
		sv_strbuf_addc(b, '-');
		return;
	}
	switch (v.type) {
	case SV_V_U64:
		sv_strbuf_addu(b, v.u);
		break;
	case SV_V_STR:
		if (v.t)
			sv_strbuf_adds(b, v.t);
		else
			sv_term_escape(b, v.s, v.n);
		break;
	case SV_V_ENDPOINT:
		sv_endpoint_text(b, &v);
		break;
	case SV_V_LIST:
		for (i = 0; v.list[i]; i++) {
			if (i)
				sv_strbuf_addc(b, ',');
			sv_strbuf_adds(b, v.list[i]);
		}
		if (!i)
			sv_strbuf_addc(b, '-');
		break;
	case SV_V_U32S:
		for (i = 0; i < v.u; i++) {
			uint32_t x;

			memcpy(&x, v.s + 4 * i, 4);
			if (i)
				sv_strbuf_addc(b, ',');
			sv_strbuf_addu(b, x);
		}
		if (!i)
			sv_strbuf_addc(b, '-');
		break;
	case SV_V_PROCS:
		procs_text(b, v.procs, v.u);
		break;
	}
}

static bool present(const struct sv_row *row, const struct detail_field *d)
{
	struct sv_val v;
	uint64_t u;

	return d->tcpi ? sv_field_tcpi(row->s, d->f, &u)
		       : d->f->get(row, d->f, &v);
}

/* Whether any member of the object detail[i] starts has a value. */
static bool obj_present(const struct table_render *t, size_t i,
			const struct sv_row *row)
{
	size_t end = t->detail[i].obj_end;

	for (; i < end; i++)
		if (present(row, &t->detail[i]))
			return true;
	return false;
}

/*
 * The -i line as held: its values only, each ended by CELL_END.  The
 * headings ("tcp: cong:", " rto:") are four fifths of its text; they are
 * put back as the line is printed, so the rows held and spilled are a
 * third of the size.
 */
static void detail_hold(const struct table_render *t, struct sv_strbuf *b,
			const struct sv_row *row)
{
	const struct sv_sock *s = row->s;
	size_t i = 0;

	sv_strbuf_addc(b, s->state == SV_TCP_LISTEN ? DETAIL_LISTEN
						   : DETAIL_PLAIN);
	while (i < t->ndetail) {
		const struct detail_field *d = &t->detail[i];
		uint64_t u;
		char *p;

		if (d->obj_start && !obj_present(t, i, row)) {
			sv_strbuf_addc(b, OBJ_NONE);
			i = d->obj_end;
			continue;
		}
		if (b->len + 24 + 1 > b->cap)
			sv_strbuf_grow(b, 24);
		p = b->p + b->len;
		if (!d->tcpi) {
			cell_text(b, row, d->f);
			p = b->p + b->len;
		} else if (!sv_field_tcpi(s, d->f, &u)) {
			*p++ = '-';
		} else if (u < 10) {
			*p++ = (char)('0' + u);
		} else {
			p += sv_u64_to_text(u, p);
		}
		*p++ = CELL_END;
		*p = '\0';
		b->len = (size_t)(p - b->p);
		i++;
	}
}

/*
 * Held text up to its CELL_END copied to the output, and where it
 * ended.  Most are a few bytes: copied eight at a time while looking for
 * the end, into room reserved once, rather than a memchr and a memcpy
 * call each.  The held block has HELD_SLACK defined bytes past its end
 * for the last word.  *ascii tells whether a width needs more than the
 * length.
 */
#define HELD_FAST 64
#define HELD_SLACK 8

/* The rest of a held text longer than the fast copy, n bytes copied. */
static const char *put_held_long(struct sv_out *o, const char *p, size_t n,
				 const char *end, bool *ascii)
{
	const char *e = memchr(p + n, CELL_END, (size_t)(end - p - n));

	if (!e)
		e = end;
	o->len += n;
	sv_out_mem(o, p + n, (size_t)(e - p - n));
	*ascii = false;
	return e;
}

static inline const char *put_held(struct sv_out *o, const char *p,
				   const char *end, bool *ascii)
{
	size_t n = 0;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	const uint64_t ones = 0x0101010101010101ull;
	char *w = sv_out_reserve(o, HELD_FAST + 8);
	uint64_t acc = 0;

	for (; n < HELD_FAST; n += 8) {
		uint64_t x, y, z;
		unsigned k;

		memcpy(&x, p + n, 8);
		memcpy(w + n, &x, 8);
		y = x ^ (ones * (unsigned char)CELL_END);
		z = (y - ones) & ~y & (ones << 7);
		if (!z) {
			acc |= x;
			continue;
		}
		/* the lowest marked byte is the first CELL_END */
		k = (unsigned)__builtin_ctzll(z) / 8;
		if (k)
			acc |= x << (64 - 8 * k);
		n += k;
		if (p + n > end)
			n = (size_t)(end - p);
		o->len += n;
		*ascii = !(acc & (ones << 7));
		return p + n;
	}
#endif
	/* longer than the fast copy, or no unaligned words */
	return put_held_long(o, p, n, end, ascii);
}

/* "tcp: key:value ... seq: key:value ..." from the held values; absent
 * ones read "key:-", and an object with no value at all (bbr's record on
 * a cubic socket) is left out, as JSON leaves it out. */
static void detail_emit(struct table_render *t, const char *p,
			const char *end)
{
	unsigned listen = *p++ == DETAIL_LISTEN;
	size_t i = 0, skip = 1;
	bool ascii;

	while (p < end && i < t->ndetail) {
		const struct detail_field *d = &t->detail[i];
		char *o;

		if (*p == OBJ_NONE) {
			p++;
			i = d->obj_end;
			continue;
		}
		if (skip)
			sv_out_str(t->o, t->oneline ? " " : "\n\t");
		o = sv_out_reserve(t->o, LEAD_MAX);
		memcpy(o, d->lead[listen] + skip, LEAD_MAX - 1);
		t->o->len += d->lead_n[listen] - skip;
		p = put_held(t->o, p, end, &ascii) + 1;
		skip = 0;
		i++;
	}
}

/* The owners of the inode written (in decimal, n bytes) at p. */
static void procs_cell(struct table_render *t, const char *p, size_t n)
{
	const struct sv_proc_ref *procs = NULL;
	uint64_t ino = 0;
	size_t i, k = 0;

	if (t->hits) {
		struct sv_proc_hit h = t->hits[t->next_hit++];

		procs = sv_proc_map_hit(t->procs, h);
		k = h.n;
	} else if (t->procs) {
		for (i = 0; i < n; i++)
			ino = ino * 10 + (uint64_t)(p[i] - '0');
		procs = sv_proc_map_find(t->procs, ino, &k);
	}
	t->cell.len = 0;
	procs_text(&t->cell, procs, procs ? k : 0);
	sv_out_mem(t->o, t->cell.p, t->cell.len);
}

/* Columns a cell takes: ASCII, nearly every cell, one a byte, eight
 * bytes tested at a time. */
static size_t cell_width(const char *p, size_t n)
{
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		uint64_t x;

		memcpy(&x, p + i, 8);
		if (x & 0x8080808080808080ull)
			return sv_text_width(p, n);
	}
	for (; i < n; i++)
		if ((unsigned char)p[i] >= 0x80)
			return sv_text_width(p, n);
	return n;
}

static void pad(struct sv_out *o, size_t n)
{
	char *p;

	if (n > HELD_FAST) {
		sv_out_spaces(o, n);
		return;
	}
	p = sv_out_reserve(o, HELD_FAST);
	memset(p, ' ', HELD_FAST);
	o->len += n;
}

/* One held row, p up to its ROW_END at end. */
static void emit_row(struct table_render *t, const char *p, const char *end)
{
	size_t c = 0;

	while (p < end) {
		const char *e;
		bool ascii = true;

		if (*p == PROCS_LATER) {
			/* the last column: its width pads nothing */
			e = memchr(p, CELL_END, (size_t)(end - p));
			if (!e)
				break;
			procs_cell(t, p + 1, (size_t)(e - p - 1));
		} else {
			e = put_held(t->o, p, end, &ascii);
		}
		if (e == end)
			break;
		if (++c == t->ncols) {
			p = e + 1;
			break;
		}
		pad(t->o, t->width[c - 1] + 1 -
				  (ascii ? (size_t)(e - p)
					 : sv_text_width(p, (size_t)(e - p))));
		p = e + 1;
	}
	/* what follows the cells up to ROW_END is the detail line */
	if (p < end)
		detail_emit(t, p, end);
	sv_out_char(t->o, '\n');
}

/* Every whole row in [p, end); returns where the rest begins. */
static const char *emit_all(struct table_render *t, const char *p,
			    const char *end)
{
	while (p < end) {
		const char *e = memchr(p, ROW_END, (size_t)(end - p));

		if (!e)
			break;
		emit_row(t, p, e);
		p = e + 1;
	}
	return p;
}

/* The held rows to the temporary file, in one write: stdio's copy
 * and its line-sized reads back cost a fifth of list -tanoiem. */
static void spill_rows(struct table_render *t)
{
	const char *p = t->rows.p;
	size_t n = t->rows.len;

	if (!t->spill) {
		t->spill = tmpfile();
		if (!t->spill)
			sv_die("cannot create a temporary file: %s",
			       strerror(errno));
	}
	while (n) {
		ssize_t w = write(fileno(t->spill), p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			sv_die("cannot write a temporary file: %s",
			       w < 0 ? strerror(errno) : "no space written");
		p += w;
		n -= (size_t)w;
	}
	t->rows.len = 0;
}

/* The owners column while the scan runs: a socket with an inode gets
 * the mark and its inode; one without has no owner ('-', as joined). */
static void later_cell(struct table_render *t, struct sv_strbuf *b,
		       const struct sv_row *row)
{

	if (!(row->s->has & SV_HAS_INODE) || !row->s->inode) {
		sv_strbuf_addc(b, '-');
		return;
	}
	sv_strbuf_addc(b, PROCS_LATER);
	sv_strbuf_addu(b, row->s->inode);
	if (row->s->inode >> 32 || t->nkeys >> 32 ||
	    sv_grow((void **)&t->keys, &t->keys_cap, t->nkeys + 1,
		    sizeof(*t->keys)))
		t->keys_bad = true;
	else {
		t->keys[t->nkeys] = row->s->inode << 32 | t->nkeys;
		t->nkeys++;
	}
}

/* The row, held at the end of the rows built before it. */
static void build_row(struct table_render *t, const struct sv_row *row)
{
	struct sv_strbuf *b = &t->rows;
	size_t c;

	for (c = 0; c < t->ncols; c++) {
		size_t start = b->len, w;

		if (t->wait && c + 1 == t->ncols) {
			later_cell(t, b, row);
			sv_strbuf_addc(b, CELL_END);
			continue;
		}
		cell_text(b, row, t->cols[c]);
		w = cell_width(b->p + start, b->len - start);
		if (w > t->width[c])
			t->width[c] = w;
		sv_strbuf_addc(b, CELL_END);
	}
	if (t->info &&
	    ((row->s->proto == SV_PROTO_TCP && row->s->tcpi_len) ||
	     (row->s->proto == SV_PROTO_MPTCP && row->s->mptcpi_len)))
		detail_hold(t, b, row);
	sv_strbuf_addc(b, ROW_END);
}

static void table_sock(struct sv_render *r, const struct sv_row *row)
{
	struct table_render *t = (struct table_render *)r;

	build_row(t, row);
	if (t->rows.len >= SPILL_AT)
		spill_rows(t);
}

/* The spilled rows read back in blocks the size of the held ones. */
static void emit_spilled(struct table_render *t)
{
	struct sv_strbuf *b = &t->rows;
	int fd = fileno(t->spill);
	const char *rest;
	ssize_t n;

	if (lseek(fd, 0, SEEK_SET) < 0)
		sv_die("cannot read back a temporary file: %s", strerror(errno));
	for (;;) {
		/* a row longer than the block grows it */
		if (b->cap - b->len < SPILL_AT / 2)
			sv_strbuf_grow(b, SPILL_AT);
		n = read(fd, b->p + b->len, b->cap - 1 - HELD_SLACK - b->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			sv_die("cannot read back a temporary file: %s",
			       strerror(errno));
		if (n == 0)
			break;
		b->len += (size_t)n;
		memset(b->p + b->len, 0, HELD_SLACK);
		rest = emit_all(t, b->p, b->p + b->len);
		b->len -= (size_t)(rest - b->p);
		memmove(b->p, rest, b->len);
	}
}

static void table_end(struct sv_render *r)
{
	struct table_render *t = (struct table_render *)r;

	if (t->wait)
		t->procs = t->wait(t->wait_arg);
	if (t->procs && t->nkeys && !t->keys_bad) {
		t->hits = malloc(t->nkeys * sizeof(*t->hits));
		if (t->hits &&
		    sv_proc_map_find_all(t->procs, t->keys, t->nkeys, t->hits)) {
			free(t->hits);
			t->hits = NULL; /* one lookup each, then */
		}
	}
	free(t->keys);
	t->keys = NULL;
	if (!t->spill) {
		sv_strbuf_grow(&t->rows, HELD_SLACK);
		memset(t->rows.p + t->rows.len, 0, HELD_SLACK);
		emit_all(t, t->rows.p, t->rows.p + t->rows.len);
		t->rows.len = 0;
		return;
	}
	spill_rows(t);
	emit_spilled(t);
	t->rows.len = 0;
	fclose(t->spill);
	t->spill = NULL;
}

static void table_free(struct sv_render *r)
{
	struct table_render *t = (struct table_render *)r;

	if (t->spill)
		fclose(t->spill);
	sv_strbuf_free(&t->rows);
	sv_strbuf_free(&t->cell);
	free(t->keys);
	free(t->hits);
	free(t->cols);
	free(t->detail);
	free(t->width);
	free(t);
}

static void set_lead(struct detail_field *d, unsigned k,
		     const struct sv_sock *s)
{
	const char *head = sv_field_header(d->f, s);
	int n;

	if (d->obj_start)
		n = snprintf(d->lead[k], LEAD_MAX, " %s: %s:", d->f->obj, head);
	else
		n = snprintf(d->lead[k], LEAD_MAX, " %s:", head);
	/* the fields are ours: a heading this long is a bug */
	if (n < 0 || n >= LEAD_MAX)
		sv_die("detail field %s: heading too long", d->f->key);
	d->lead_n[k] = (uint8_t)n;
}

/* The detail line's fields, each object's members together. */
static void detail_fields(struct table_render *t)
{
	static const struct sv_sock listener = { .state = SV_TCP_LISTEN };
	uint16_t *order = sv_xcalloc(sv_nfields, sizeof(*order));
	size_t i, j;

	sv_fields_order(sv_fields, sv_nfields, order);
	t->detail = sv_xcalloc(sv_nfields, sizeof(*t->detail));
	for (i = 0; i < sv_nfields; i++) {
		const struct sv_field *f = &sv_fields[order[i]];
		struct detail_field *d = &t->detail[t->ndetail];

		if (!(f->show & SV_SHOW_INFO))
			continue;
		d->f = f;
		d->tcpi = sv_field_is_tcpi(f);
		t->ndetail++;
	}
	free(order);
	/* each object's run: the members are together (sv_fields_order) */
	for (i = 0; i < t->ndetail; i = j) {
		t->detail[i].obj_start = true;
		for (j = i + 1; j < t->ndetail &&
				!strcmp(t->detail[j].f->obj, t->detail[i].f->obj);
		     j++)
			;
		while (i < j)
			t->detail[i++].obj_end = (uint16_t)j;
	}
	for (i = 0; i < t->ndetail; i++) {
		set_lead(&t->detail[i], 0, &(struct sv_sock){ 0 });
		set_lead(&t->detail[i], 1, &listener);
	}
}

bool sv_table_defer_procs(struct sv_render *r,
			  const struct sv_proc_map *(*wait)(void *arg),
			  void *arg)
{
	struct table_render *t = (struct table_render *)r;

	if (!t->ncols || !(t->cols[t->ncols - 1]->show & SV_SHOW_PROC))
		return false;
	t->wait = wait;
	t->wait_arg = arg;
	return true;
}

struct sv_render *sv_table_new(struct sv_out *o, unsigned show)
{
	struct table_render *t = sv_xcalloc(1, sizeof(*t));
	struct sv_strbuf *b = &t->rows;
	size_t i;

	t->r.sock = table_sock;
	t->r.end = table_end;
	t->r.free = table_free;
	t->o = o;
	t->show = show | SV_SHOW_BASE;
	t->info = show & SV_SHOW_INFO;
	t->oneline = show & SV_TABLE_ONELINE;
	/* the held block's size once: doubling past SPILL_AT would hold
	 * twice what is ever used */
	sv_strbuf_grow(&t->rows, SPILL_AT + HELD_ROOM);
	t->cols = sv_xcalloc(sv_nfields, sizeof(*t->cols));
	t->width = sv_xcalloc(sv_nfields, sizeof(*t->width));
	for (i = 0; i < sv_nfields; i++)
		if (sv_fields[i].show & t->show & ~SV_SHOW_INFO)
			t->cols[t->ncols++] = &sv_fields[i];
	if (t->info)
		detail_fields(t);

	if (show & SV_TABLE_NO_HEADER)
		return &t->r;
	/* the header is the first held row */
	for (i = 0; i < t->ncols; i++) {
		sv_strbuf_adds(b, t->cols[i]->header);
		t->width[i] = strlen(t->cols[i]->header);
		sv_strbuf_addc(b, CELL_END);
	}
	sv_strbuf_addc(b, ROW_END);
	return &t->r;
}
