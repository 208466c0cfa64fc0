// SPDX-License-Identifier: Apache-2.0
/*
 * The sources of derives (lineage.h, docs/lineage.md). A taint event says
 * which file made a process's taint grow; sovd keeps those files per
 * process and writes them into each derive record of the process, with the
 * SHA-256 of its command line.
 *
 * A child inherits its parent's taint in the kernel at fork
 * (bpf/fork_exit.bpf.h) without an event. At the first event of a process
 * without a list, sovd walks /proc/PID/stat's parent pids up to the nearest
 * ancestor with a list and takes the sources that ancestor had before the
 * child started; when no ancestor is known any more (it exited and the child
 * was reparented), the kernel's taint entry still names the inode that first
 * tainted the line (struct sov_taint dev/ino, copied at fork), whose path
 * sovd remembers from taint events.
 *
 * Memory is bounded: LINEAGE_PROCS lists of LINEAGE_SOURCES sources; a list
 * is freed when its process was gone at two sweeps in a row (lineage_gc(),
 * every walk of the taint maps, 10 s), and when the table is full the list
 * used least recently goes (counted: lineage_evicted()).
 *
 * Calls: host.c (process start times), jbuf.c, OpenSSL (SHA-256), libbpf
 * (taint map lookups). Called by pipeline.c (every record with an object)
 * and main.c (the sweep).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <openssl/evp.h>
#include "agent/host.h"
#include "agent/jbuf.h"
#include "agent/kpath.h"
#include "agent/lineage.h"

#define SLOTS		(2 * LINEAGE_PROCS)
#define TICK_NS		10000000ull	/* /proc start times: clock ticks, rounded down */
#define MAX_DEPTH	16		/* parents walked */
#define PATHS		1024		/* remembered (dev, ino) -> path (a power of two) */

struct lsrc {
	uint64_t dev, ino;
	uint64_t boot_ns;	/* the taint event's time */
	char *path;
};

struct lproc {
	uint32_t tgid;
	int used, gone;
	uint64_t start_ns;	/* the process's start, 0 if it was gone */
	uint64_t used_at;	/* a counter: least recently used goes first */
	uint32_t n, dropped;
	struct lsrc s[LINEAGE_SOURCES];
};

static struct lproc tab[SLOTS];
static size_t nused;
static uint64_t clock_use, evicted;
static struct {
	uint64_t dev, ino;
	char *path;
} paths[PATHS];

static void free_proc(struct lproc *p)
{
	for (uint32_t i = 0; i < p->n; i++)
		free(p->s[i].path);
	memset(p, 0, sizeof(*p));
}

static size_t slot_of(uint32_t tgid)
{
	return (tgid * 2654435761u) & (SLOTS - 1);
}

static struct lproc *find(uint32_t tgid)
{
	for (size_t i = slot_of(tgid), k = 0; k < SLOTS; k++, i = (i + 1) & (SLOTS - 1)) {
		if (!tab[i].used)
			return NULL;
		if (tab[i].tgid == tgid)
			return &tab[i];
	}
	return NULL;
}

/* Open addressing without tombstones: after removals the table is rebuilt. */
static void rebuild(void)
{
	static struct lproc old[SLOTS];

	memcpy(old, tab, sizeof(tab));
	memset(tab, 0, sizeof(tab));
	for (size_t i = 0; i < SLOTS; i++) {
		size_t j;

		if (!old[i].used)
			continue;
		for (j = slot_of(old[i].tgid); tab[j].used; j = (j + 1) & (SLOTS - 1))
			;
		tab[j] = old[i];
	}
}

static struct lproc *insert(uint32_t tgid)
{
	size_t i;

	if (nused >= LINEAGE_PROCS) {
		struct lproc *lru = NULL;

		for (i = 0; i < SLOTS; i++)
			if (tab[i].used && (!lru || tab[i].used_at < lru->used_at))
				lru = &tab[i];
		free_proc(lru);
		nused--;
		evicted++;
		rebuild();
	}
	for (i = slot_of(tgid); tab[i].used; i = (i + 1) & (SLOTS - 1))
		;
	tab[i].used = 1;
	tab[i].tgid = tgid;
	nused++;
	return &tab[i];
}

static const char *path_of(uint64_t dev, uint64_t ino)
{
	size_t i = ((dev * 31 + ino) * 2654435761u) & (PATHS - 1);

	return paths[i].path && paths[i].dev == dev && paths[i].ino == ino ? paths[i].path : "";
}

static void remember_path(uint64_t dev, uint64_t ino, const char *path)
{
	size_t i = ((dev * 31 + ino) * 2654435761u) & (PATHS - 1);
	char *dup;

	if ((!dev && !ino) || !path || !path[0])
		return;
	if (paths[i].path && paths[i].dev == dev && paths[i].ino == ino &&
	    !strcmp(paths[i].path, path))
		return;
	dup = strdup(path);
	if (!dup)
		return;
	free(paths[i].path);
	paths[i].path = dup;
	paths[i].dev = dev;
	paths[i].ino = ino;
}

/* Adds a source unless the list has it; counts it as dropped when full. */
static void add(struct lproc *p, uint64_t dev, uint64_t ino, const char *path, uint64_t boot_ns)
{
	for (uint32_t i = 0; i < p->n; i++)
		if (p->s[i].dev == dev && p->s[i].ino == ino &&
		    ((dev || ino) || !strcmp(p->s[i].path, path ? path : "")))
			return;
	if (p->n >= LINEAGE_SOURCES) {
		p->dropped++;
		return;
	}
	p->s[p->n].path = strdup(path ? path : "");
	if (!p->s[p->n].path) {
		p->dropped++;
		return;
	}
	p->s[p->n].dev = dev;
	p->s[p->n].ino = ino;
	p->s[p->n].boot_ns = boot_ns;
	p->n++;
}

/* Field 4 of /proc/PID/stat; 0 if gone. */
static uint32_t ppid_of(uint32_t pid)
{
	char buf[512];
	const char *p = proc_stat_after_comm(pid, buf, sizeof(buf));
	unsigned int ppid = 0;

	if (!p || sscanf(p, "%*c %u", &ppid) != 1)
		return 0;
	return ppid;
}

/* The kernel's taint entry of tgid, live or lingering after its exit. */
static int kernel_taint(const struct sov_map_fds *maps, uint32_t tgid, struct sov_taint *t)
{
	if (bpf_map_lookup_elem(maps->taint, &tgid, t) == 0)
		return 1;
	return maps->taint_exited >= 0 && bpf_map_lookup_elem(maps->taint_exited, &tgid, t) == 0;
}

/*
 * A new list: what the process inherited. The nearest ancestor with a list
 * gives the sources it had before each process of the chain below it
 * started (a source that tainted the ancestor after the fork did not pass
 * to the child); else the kernel's first source of the process's taint.
 */
static void seed(const struct sov_map_fds *maps, struct lproc *p, const struct sovd_event *ev)
{
	uint64_t limit = p->start_ns ? p->start_ns : UINT64_MAX;
	uint32_t pid = p->tgid;
	struct sov_taint t;
	int have_t = 0;

	if (maps) {
		have_t = kernel_taint(maps, p->tgid, &t);
		if (!have_t)
			return;	/* not tainted: it inherited nothing */
	}
	for (int depth = 0; depth < MAX_DEPTH; depth++) {
		uint32_t pp = ppid_of(pid);
		struct lproc *a;

		if (pp <= 1 || pp == pid)
			break;
		a = find(pp);
		if (a && a != p) {
			for (uint32_t i = 0; i < a->n; i++)
				if (limit == UINT64_MAX || a->s[i].boot_ns < limit + TICK_NS)
					add(p, a->s[i].dev, a->s[i].ino, a->s[i].path, a->s[i].boot_ns);
			break;
		}
		pid = pp;
		/* a source of an ancestor passed only if it came before
		 * every fork down to the process */
		uint64_t st = proc_start_ns(pid);

		if (st && st < limit)
			limit = st;
	}
	if (p->n)
		return;
	if (have_t && (t.dev || t.ino) &&
	    !(ev->has_object && !strcmp(ev->type, "taint") && t.dev == ev->dev && t.ino == ev->ino))
		add(p, t.dev, t.ino, path_of(t.dev, t.ino), t.since_ns);
}

/* The list of the event's process, made (and seeded) if it has none. */
static struct lproc *list_of(const struct sov_map_fds *maps, const struct sovd_event *ev)
{
	struct lproc *p = find(ev->pid);
	uint64_t cur;

	if (p) {
		/* The pid of a process that exited and a newer one that
		 * started before this event: not that list. */
		cur = proc_start_ns(ev->pid);
		if (!cur || cur == p->start_ns || cur > ev->boot_ns + TICK_NS)
			goto found;
		free_proc(p);
		nused--;
		rebuild();
	}
	p = insert(ev->pid);
	p->start_ns = proc_start_ns(ev->pid);
	seed(maps, p, ev);
found:
	p->used_at = ++clock_use;
	p->gone = 0;
	return p;
}

void lineage_cmdline_sha256(uint32_t pid, uint64_t boot_ns, char out[65])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE], buf[4096];
	unsigned int mdlen = 0;
	uint64_t start = proc_start_ns(pid);
	EVP_MD_CTX *c;
	char path[64];
	ssize_t n;
	int fd, ok = 1;

	out[0] = '\0';
	/* gone, or a younger process under the pid */
	if (!start || start > boot_ns + TICK_NS)
		return;
	snprintf(path, sizeof(path), "/proc/%u/cmdline", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	c = EVP_MD_CTX_new();
	if (!c || !EVP_DigestInit_ex(c, EVP_sha256(), NULL))
		ok = 0;
	while (ok && (n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			ok = 0;
			break;
		}
		ok = EVP_DigestUpdate(c, buf, (size_t)n);
	}
	close(fd);
	if (ok)
		ok = EVP_DigestFinal_ex(c, md, &mdlen) && mdlen == 32;
	EVP_MD_CTX_free(c);
	/* the process must still be the one read (it may have exited and
	 * its pid gone to another meanwhile) */
	if (!ok || proc_start_ns(pid) != start)
		return;
	for (unsigned int i = 0; i < mdlen; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[2 * mdlen] = '\0';
}

const char *lineage_event(const struct sov_map_fds *maps, struct sovd_event *ev)
{
	static struct jbuf b;
	char sha[65];
	struct lproc *p;

	if (!ev->has_object)
		return NULL;
	if (!strcmp(ev->type, "taint")) {
		p = list_of(maps, ev);
		remember_path(ev->dev, ev->ino, ev->path);
		add(p, ev->dev, ev->ino, ev->path, ev->boot_ns);
		return NULL;
	}
	if (strcmp(ev->type, "derive"))
		return NULL;
	p = list_of(maps, ev);
	jb_reset(&b);
	/* fields another part of sovd gave the derive come first */
	if (ev->body && ev->body[0]) {
		jb_raw(&b, ev->body, strlen(ev->body));
		b.first = 0;
	}
	jb_key(&b, "sources");
	jb_raw(&b, "[", 1);
	for (uint32_t i = 0; i < p->n; i++) {
		if (i)
			jb_raw(&b, ",", 1);
		jb_open(&b);
		jb_str(&b, "path", p->s[i].path);
		jb_u64(&b, "dev", p->s[i].dev);
		jb_u64(&b, "ino", p->s[i].ino);
		jb_close(&b);
	}
	jb_raw(&b, "]", 1);
	if (p->dropped)
		jb_u64(&b, "sources_dropped", p->dropped);
	lineage_cmdline_sha256(ev->pid, ev->boot_ns, sha);
	jb_str(&b, "cmdline_sha256", sha);
	return b.oom ? NULL : b.s;
}

void lineage_gc(void)
{
	int removed = 0;

	for (size_t i = 0; i < SLOTS; i++) {
		struct lproc *p = &tab[i];
		uint64_t cur;

		if (!p->used)
			continue;
		cur = proc_start_ns(p->tgid);
		if (cur && cur == p->start_ns) {
			p->gone = 0;
			continue;
		}
		if (!p->gone) {
			p->gone = 1;
			continue;
		}
		free_proc(p);
		nused--;
		removed = 1;
	}
	if (removed)
		rebuild();
}

size_t lineage_count(void)
{
	return nused;
}

uint64_t lineage_evicted(void)
{
	return evicted;
}

void lineage_reset(void)
{
	for (size_t i = 0; i < SLOTS; i++)
		if (tab[i].used)
			free_proc(&tab[i]);
	for (size_t i = 0; i < PATHS; i++) {
		free(paths[i].path);
		paths[i].path = NULL;
	}
	nused = 0;
	evicted = 0;
}
