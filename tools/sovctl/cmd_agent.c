// SPDX-License-Identifier: Apache-2.0
/*
 * sovctl status | watch | policy apply: clients of sovd's local socket
 * (one request line per connection; see agent/api.c). watch checks and
 * encodes its filter with agent/watch.c, the code sovd parses it with.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <dirent.h>
#include <bpf/bpf.h>
#include <json-c/json.h>
#include "agent/conn.h"
#include "agent/watch.h"
#include "policy/policy.h"
#include "tools/sovctl/sovctl.h"

static int status_run(int argc, char **argv);
static int watch_run(int argc, char **argv);
static int apply_run(int argc, char **argv);

static int dial(const char *path, const char *req)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t n = strlen(req);
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "sovctl: socket path %s is too long\n", path);
		return -1;
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		fprintf(stderr, "sovctl: cannot reach sovd at %s: %s (is sovd running? --socket PATH)\n",
			path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (write(fd, req, n) != (ssize_t)n) {
		fprintf(stderr, "sovctl: failed to send request to %s: %s\n", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* Reads everything the daemon sends until it closes. */
static char *slurp(int fd)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);
	ssize_t r;

	if (!buf)
		return NULL;
	while ((r = read(fd, buf + len, cap - len - 1)) > 0) {
		len += r;
		if (len + 1 == cap) {
			char *nb = realloc(buf, cap * 2);

			if (!nb) {
				free(buf);
				return NULL;
			}
			buf = nb;
			cap *= 2;
		}
	}
	buf[len] = '\0';
	return buf;
}

static const char *jstr(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : "";
}

enum { OPT_PIN_DIR = SOVCTL_LONG_ONLY };

static const struct sovctl_opt status_opts[] = {
	{ "output", 'o', "text|json", "text (default), or sovd's status document as it is", 0 },
	{ "pin-dir", OPT_PIN_DIR, "DIR", "sovd's pin directory, read when sovd is not reached\n(default /sys/fs/bpf/sovd, sovd's --pin-dir)", 0 },
	{ NULL, 0, NULL, NULL, 0 }
};

const struct sovctl_cmd sovctl_status_cmd = {
	.name = "status",
	.about = "Print the state of the running sovd: kernel path, policy, journal, counters.",
	.notes = "Exits 0 once sovd enforces its policy with a working journal and its last\n"
		 "self-audit passed within the audit interval; 1 when it runs in another state\n"
		 "(tampered, audit-stale, enforcing-journal-failed); 2 when it cannot be reached\n"
		 "and nothing is attached from its pin directory; 3 when it cannot be reached\n"
		 "but programs pinned there still enforce (without a journal).\n",
	.opts = status_opts,
	.flags = SOVCTL_CMD_SOCKET,
	.run = status_run,
};

/* The kernel path sovd chose: "kernel_path" since the field was renamed,
 * "mode" from an older sovd (where "mode" meant nothing else). */
static const char *kernel_path(json_object *o)
{
	json_object *v;

	if (json_object_object_get_ex(o, "kernel_path", &v))
		return json_object_get_string(v);
	return jstr(o, "mode");
}

/*
 * sovd cannot be reached: what its pins still hold. A link pinned under
 * PIN/links is attached unless its info says otherwise (a detached cgroup
 * link reads cgroup id 0). Returns the attached links, or -errno.
 */
static int pinned_links(const char *pin_dir, int *total)
{
	char dir[512], path[1024];
	struct dirent *de;
	int n = 0;
	DIR *dh;

	*total = 0;
	snprintf(dir, sizeof(dir), "%s/links", pin_dir);
	dh = opendir(dir);
	if (!dh)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(dh))) {
		struct bpf_link_info info = {};
		__u32 len = sizeof(info);
		int fd;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		fd = bpf_obj_get(path);
		if (fd < 0)
			continue;
		(*total)++;
		if (!bpf_obj_get_info_by_fd(fd, &info, &len) && info.prog_id &&
		    (info.type != BPF_LINK_TYPE_CGROUP || info.cgroup.cgroup_id))
			n++;
		close(fd);
	}
	closedir(dh);
	return n;
}

#define SOVCTL_NOT_RUNNING_PINNED	3

static int status_offline(const char *sock, const char *pin_dir, const char *out)
{
	int total, n = pinned_links(pin_dir, &total);

	if (n < 0) {
		fprintf(stderr, "sovctl: sovd not running (no answer at %s); cannot read pins under %s: %s\n",
			sock, pin_dir, strerror(-n));
		return SOVCTL_USAGE;
	}
	if (!n) {
		fprintf(stderr, "sovctl: sovd not running, nothing attached (no answer at %s; no attached link pinned under %s)\n",
			sock, pin_dir);
		return SOVCTL_USAGE;
	}
	if (!strcmp(out, "json"))
		printf("{\"state\":\"not-running-pinned\",\"pin_dir\":\"%s\",\"attached_links\":%d,\"pinned_links\":%d,\"journal\":\"none\"}\n",
		       pin_dir, n, total);
	else
		printf("state:       not-running-pinned\n"
		       "sovd not running; %d programs still attached from pins under %s: enforcing without a journal\n",
		       n, pin_dir);
	return SOVCTL_NOT_RUNNING_PINNED;
}

static int status_run(int argc, char **argv)
{
	const char *pin_dir = "/sys/fs/bpf/sovd";
	const char *sock = sovctl_socket, *out = "text";
	struct sovctl_getopt g;
	json_object *st, *v;
	char *reply;
	int c, fd, ret = SOVCTL_USAGE;

	sovctl_getopt_init(&g, &sovctl_status_cmd, argc, argv);
	while ((c = sovctl_getopt_next(&g)) != SOVCTL_OPT_END) {
		if (c == OPT_PIN_DIR) {
			pin_dir = g.arg;
			continue;
		}
		if (c != 'o')
			return sovctl_getopt_exit(&g, c);
		out = g.arg;
	}
	if (optind < argc)
		return sovctl_usage_error(&sovctl_status_cmd, "unexpected argument '%s'",
					  argv[optind]);
	if (strcmp(out, "text") && strcmp(out, "json")) {
		fprintf(stderr, "sovctl: -o must be text or json\n");
		return SOVCTL_USAGE;
	}
	fd = dial(sock, "status\n");
	if (fd < 0)
		return status_offline(sock, pin_dir, out);
	reply = slurp(fd);
	close(fd);
	st = reply ? json_tokener_parse(reply) : NULL;
	if (!st) {
		fprintf(stderr, "sovctl: sovd at %s sent no status\n", sock);
		goto out;
	}
	if (!strcmp(out, "json")) {
		fputs(reply, stdout);
	} else {
		json_object *pol = NULL, *cnt = NULL, *feat = NULL;

		json_object_object_get_ex(st, "policy", &pol);
		json_object_object_get_ex(st, "counters", &cnt);
		json_object_object_get_ex(st, "features", &feat);
		printf("state:       %s\n", jstr(st, "state"));
		printf("kernel path: %s\n", kernel_path(st));
		printf("policy:      %s (generation %s)\n", pol ? jstr(pol, "path") : "",
		       pol ? jstr(pol, "generation") : "");
		printf("sha256:      %s\n", pol ? jstr(pol, "sha256") : "");
		printf("journal:     %s\n", jstr(st, "journal"));
		if (json_object_object_get_ex(st, "audit", &v)) {
			json_object *f;

			printf("self-audit:  %s (%s audits, %s tamper events)\n",
			       json_object_get_boolean(json_object_object_get_ex(v, "ok", &f) ? f : NULL) ?
			       "ok" : "FAILED", jstr(v, "audits"), jstr(v, "tamper_total"));
			if (json_object_object_get_ex(v, "findings", &f))
				for (size_t i = 0; i < json_object_array_length(f); i++)
					printf("  finding:   %s\n",
					       json_object_to_json_string_ext(json_object_array_get_idx(f, i),
									      JSON_C_TO_STRING_PLAIN));
		}
		printf("tainted:     %s processes\n", jstr(st, "tainted_processes"));
		printf("labels:      %s inodes\n", jstr(st, "labels"));
		{
			json_object *ms = NULL;

			json_object_object_get_ex(st, "map_sizes", &ms);
			if (ms)
				printf("map sizes:   taint=%s taint_exited=%s labels=%s\n",
				       jstr(ms, "taint"), jstr(ms, "taint_exited"),
				       jstr(ms, "labels"));
			if (strcmp(jstr(st, "taint_overflow_classes"), "0") &&
			    strcmp(jstr(st, "taint_overflow_classes"), ""))
				printf("overflow:    taints lost; classes mask %s applies to every untracked process\n",
				       jstr(st, "taint_overflow_classes"));
			if (strcmp(jstr(st, "labels_lost_classes"), "0") &&
			    strcmp(jstr(st, "labels_lost_classes"), ""))
				printf("labels lost: the label map was full; classes mask %s applies to every process\n",
				       jstr(st, "labels_lost_classes"));
			if (strcmp(jstr(st, "ipc_lost_classes"), "0") &&
			    strcmp(jstr(st, "ipc_lost_classes"), ""))
				printf("ipc lost:    an IPC label map reached its eviction point; classes mask %s applies to every process\n",
				       jstr(st, "ipc_lost_classes"));
		}
		if (feat)
			printf("features:    btf=%s bpf_lsm=%s tp_btf=%s trampolines=%s cgroup2=%s\n",
			       jstr(feat, "btf"), jstr(feat, "bpf_lsm"), jstr(feat, "tp_btf"),
			       jstr(feat, "trampolines"), jstr(feat, "cgroup2"));
		if (cnt) {
			printf("counters:   ");
			json_object_object_foreach(cnt, k, val)
				printf(" %s=%s", k, json_object_get_string(val));
			printf("\n");
		}
	}
	/* Succeeds only once sovd is enforcing its policy, with a working
	 * journal: "enforcing-journal-failed" is a state to act on. */
	ret = json_object_object_get_ex(st, "state", &v) &&
	      !strcmp(json_object_get_string(v), "enforcing") ? SOVCTL_OK : SOVCTL_BAD;
	json_object_put(st);
out:
	free(reply);
	return ret;
}

static void print_compact(json_object *ev)
{
	const char *type = jstr(ev, "type");
	json_object *cls;
	const char *time = jstr(ev, "time");

	printf("%.23s %-6s %s[%s]", time, type, jstr(ev, "comm"), jstr(ev, "pid"));
	if (json_object_object_get_ex(ev, "classes", &cls) && json_object_array_length(cls))
		printf(" classes=%s", json_object_to_json_string_ext(cls, JSON_C_TO_STRING_PLAIN));
	if (!strcmp(type, "egress"))
		printf(" %s %s %s:%s zone=%s", jstr(ev, "verdict"), jstr(ev, "proto"),
		       jstr(ev, "dst"), jstr(ev, "dport"), jstr(ev, "zone"));
	else if (!strcmp(type, "taint") || !strcmp(type, "derive"))
		printf(" %s", jstr(ev, "path"));
	else if (!strcmp(type, "agent"))
		printf(" %s kernel_path=%s", jstr(ev, "action"), kernel_path(ev));
	else if (!strcmp(type, "policy"))
		printf(" generation=%s sha256=%.16s", jstr(ev, "generation"), jstr(ev, "sha256"));
	else if (!strcmp(type, "loss"))
		printf(" lost=%s total=%s", jstr(ev, "lost"), jstr(ev, "total"));
	printf("\n");
}

/* Long-only options of watch; the filters are in watch.h's key order. */
enum {
	OPT_TYPE = SOVCTL_LONG_ONLY, OPT_VERDICT, OPT_CLASS, OPT_ZONE, OPT_PID, OPT_COMM,
	OPT_DST, OPT_PORT, OPT_CGROUP, OPT_POD, OPT_SINCE, OPT_NO_FOLLOW,
};

static const struct sovctl_opt watch_opts[] = {
	{ "output", 'o', "compact|json|ndjson", "compact: one line per event (default on a terminal);\n"
	  "json: each event as an indented JSON object; ndjson:\n"
	  "sovd's lines as they come (default otherwise)", 0 },
	{ "type", OPT_TYPE, "T[,T...]", "events of these types (taint, derive, egress, tamper,\n"
	  "agent, policy, loss)", SOVCTL_OPT_REPEAT },
	{ "verdict", OPT_VERDICT, "V[,V...]", "egress events with these verdicts (allow, deny,\naudit)",
	  SOVCTL_OPT_REPEAT },
	{ "class", OPT_CLASS, "C[,C...]", "events whose process carries one of these data\nclasses",
	  SOVCTL_OPT_REPEAT },
	{ "zone", OPT_ZONE, "Z[,Z...]", "egress events to these zones (unknown: no zone)",
	  SOVCTL_OPT_REPEAT },
	{ "pid", OPT_PID, "PID[,PID...]", "events of these processes", SOVCTL_OPT_REPEAT },
	{ "comm", OPT_COMM, "NAME[,NAME...]", "events of threads with these names (comm, at most\n15 bytes)",
	  SOVCTL_OPT_REPEAT },
	{ "dst", OPT_DST, "ADDR[/BITS][,...]", "egress events to these addresses or CIDRs",
	  SOVCTL_OPT_REPEAT },
	{ "port", OPT_PORT, "PORT[,PORT...]", "egress events to these destination ports",
	  SOVCTL_OPT_REPEAT },
	{ "cgroup", OPT_CGROUP, "PATH|ID[,...]", "events in these cgroups or below them (a path\n"
	  "below the cgroup2 mount as events name it, or an id)", SOVCTL_OPT_REPEAT },
	{ "pod", OPT_POD, "ID[,ID...]", "events in these pods or containers: a Kubernetes pod\n"
	  "uid, a container or podman pod id (or its first 12+\n"
	  "digits), a machined name, as the cgroup path shows it", SOVCTL_OPT_REPEAT },
	{ "since", OPT_SINCE, "N", "first the last N such events sovd still holds (its\n"
	  "--watch-ring), then the live ones", 0 },
	{ "no-follow", OPT_NO_FOLLOW, NULL, "with --since: print the past events and exit", 0 },
	{ NULL, 0, NULL, NULL, 0 }
};

const struct sovctl_cmd sovctl_watch_cmd = {
	.name = "watch",
	.about = "Follow sovd's event stream, filtered by sovd, until sovd closes it.",
	.notes = "Different filters must all match; the values of one filter (a list, or the\n"
		 "option repeated) are alternatives. sovd applies the filter before it writes\n"
		 "to this client. A bad filter is refused before connecting (exit 2); exits 0\n"
		 "when sovd closes the stream (or after the replay with --no-follow), 2 when\n"
		 "sovd cannot be reached or refuses the request.\n",
	.opts = watch_opts,
	.flags = SOVCTL_CMD_SOCKET,
	.run = watch_run,
};

/* The request line for the options given: "watch" and the filter (watch.h). */
static int watch_request(int argc, char **argv, char *req, size_t len, const char **out,
			 int *follow)
{
	static const int key_of[] = {
		[OPT_TYPE - OPT_TYPE] = WK_TYPE, [OPT_VERDICT - OPT_TYPE] = WK_VERDICT,
		[OPT_CLASS - OPT_TYPE] = WK_CLASS, [OPT_ZONE - OPT_TYPE] = WK_ZONE,
		[OPT_PID - OPT_TYPE] = WK_PID, [OPT_COMM - OPT_TYPE] = WK_COMM,
		[OPT_DST - OPT_TYPE] = WK_DST, [OPT_PORT - OPT_TYPE] = WK_PORT,
		[OPT_CGROUP - OPT_TYPE] = WK_CGROUP, [OPT_POD - OPT_TYPE] = WK_POD,
		[OPT_SINCE - OPT_TYPE] = WK_SINCE,
	};
	const char *since = NULL;
	struct sovctl_getopt g;
	uint32_t given = 0;
	int c, err = 0;

	snprintf(req, len, "watch");
	*follow = 1;
	sovctl_getopt_init(&g, &sovctl_watch_cmd, argc, argv);
	while ((c = sovctl_getopt_next(&g)) != SOVCTL_OPT_END) {
		char *dup, *save = NULL;
		int k;

		if (c == 'o') {
			*out = g.arg;
			continue;
		}
		if (c == OPT_NO_FOLLOW) {
			*follow = 0;
			continue;
		}
		if (c == OPT_SINCE) {
			since = g.arg;
			continue;
		}
		if (c < OPT_TYPE || c > OPT_POD)
			return sovctl_getopt_exit(&g, c);
		k = key_of[c - OPT_TYPE];
		dup = strdup(g.arg);
		if (!dup)
			return SOVCTL_USAGE;
		if (!*dup || strstr(dup, ",,") || dup[0] == ',' || dup[strlen(dup) - 1] == ',') {
			free(dup);
			return sovctl_usage_error(&sovctl_watch_cmd, "--%s: an empty value in '%s'",
						  watch_key_name(k), g.arg);
		}
		for (char *t = strtok_r(dup, ",", &save); t && !err; t = strtok_r(NULL, ",", &save)) {
			err = watch_request_add(req, len, k, t, !(given & 1u << k));
			given |= 1u << k;
		}
		free(dup);
	}
	if (optind < argc)
		return sovctl_usage_error(&sovctl_watch_cmd, "unexpected argument '%s'",
					  argv[optind]);
	if (!*follow && !since)
		return sovctl_usage_error(&sovctl_watch_cmd, "--no-follow needs --since N");
	if (since && !err)
		err = watch_request_add(req, len, WK_SINCE, since, 1);
	if (!*follow && !err)
		err = watch_request_add(req, len, WK_FOLLOW, "0", 1);
	if (err || strlen(req) + 1 > CONN_IN_MAX)
		return sovctl_usage_error(&sovctl_watch_cmd,
					  "the filter is too long: sovd takes a request of at most %d bytes",
					  CONN_IN_MAX);
	return -1;
}

static int watch_run(int argc, char **argv)
{
	const char *sock = sovctl_socket;
	const char *out = isatty(STDOUT_FILENO) ? "compact" : "ndjson";
	char req[CONN_IN_MAX + 64], why[400], line[65536];
	struct watch_filter f;
	int fd, ret, follow, first = 1;
	FILE *in;

	ret = watch_request(argc, argv, req, sizeof(req), &out, &follow);
	if (ret >= 0)
		return ret;
	if (strcmp(out, "compact") && strcmp(out, "json") && strcmp(out, "ndjson"))
		return sovctl_usage_error(&sovctl_watch_cmd, "-o must be compact, json or ndjson");
	/* sovd's own parser: what it would refuse is refused here, before
	 * connecting */
	if (watch_filter_parse(&f, req + 5, why, sizeof(why)))
		return sovctl_usage_error(&sovctl_watch_cmd, "%s", why);
	watch_filter_free(&f);
	strcat(req, "\n");
	fd = dial(sock, req);
	if (fd < 0)
		return SOVCTL_USAGE;
	in = fdopen(fd, "r");
	if (!in) {
		close(fd);
		return SOVCTL_USAGE;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	while (fgets(line, sizeof(line), in)) {
		json_object *ev;

		/* An event line is a JSON object; "error" is sovd's refusal. */
		if (first && !strcmp(line, "error\n")) {
			size_t n = fread(line, 1, sizeof(line) - 1, in);

			line[n] = '\0';
			line[strcspn(line, "\n")] = '\0';
			fprintf(stderr, "sovctl: sovd refused the watch request: %s%s\n", line,
				strcmp(line, "unknown request") ? "" :
				" (this sovd predates watch filters: watch without them)");
			fclose(in);
			return SOVCTL_USAGE;
		}
		first = 0;
		if (!strcmp(out, "ndjson")) {
			fputs(line, stdout);
			continue;
		}
		ev = json_tokener_parse(line);
		if (!ev)
			continue;
		if (!strcmp(out, "json"))
			printf("%s\n", json_object_to_json_string_ext(ev, JSON_C_TO_STRING_PRETTY |
									  JSON_C_TO_STRING_SPACED |
									  JSON_C_TO_STRING_NOSLASHESCAPE));
		else
			print_compact(ev);
		json_object_put(ev);
	}
	fclose(in);
	if (follow)
		fprintf(stderr, "sovctl: sovd closed the event stream\n");
	return SOVCTL_OK;
}

enum { OPT_DRY_RUN = SOVCTL_LONG_ONLY };

static const struct sovctl_opt apply_opts[] = {
	{ "dry-run", OPT_DRY_RUN, NULL,
	  "apply nothing: show what FILE changes against the\nrunning policy "
	  "(policy diff; exit 0 same, 1 differs)", 0 },
	{ NULL, 0, NULL, NULL, 0 }
};

/*
 * --dry-run: the running policy's file (sovd's status) against FILE, by
 * policy diff. The file must still be what sovd loaded (its SHA-256), or
 * the diff would not be against the policy in force.
 */
static int apply_dry_run(const char *sock, const char *file)
{
	struct json_object *st = NULL, *pol, *v;
	const char *path = NULL, *sha = NULL;
	struct sov_policy_image *img = NULL;
	struct sov_policy_opts po = { .flags = SOV_POLICY_F_OFFLINE };
	struct sov_diags d;
	char *reply;
	int fd, ret;

	fd = dial(sock, "status\n");
	if (fd < 0)
		return SOVCTL_USAGE;
	reply = slurp(fd);
	close(fd);
	st = reply ? json_tokener_parse(reply) : NULL;
	free(reply);
	if (st && json_object_object_get_ex(st, "policy", &pol)) {
		if (json_object_object_get_ex(pol, "path", &v))
			path = json_object_get_string(v);
		if (json_object_object_get_ex(pol, "sha256", &v))
			sha = json_object_get_string(v);
	}
	if (!path || !sha) {
		fprintf(stderr, "sovctl: sovd's status names no running policy\n");
		json_object_put(st);
		return SOVCTL_USAGE;
	}
	sov_diags_init(&d);
	sov_policy_compile_file(path, &po, &img, &d);
	sov_diags_free(&d);
	if (!img || strcmp(img->sha256_hex, sha)) {
		fprintf(stderr, "sovctl: the running policy's file %s %s since sovd loaded it (sha256 %s); cannot compare with it\n",
			path, img ? "changed" : "is gone or no longer compiles", sha);
		sov_policy_free(img);
		json_object_put(st);
		return SOVCTL_USAGE;
	}
	sov_policy_free(img);
	printf("# dry run: nothing applied; running policy %s (sha256 %.16s...)\n", path, sha);
	fflush(stdout);
	ret = sovctl_policy_diff_files(path, file, NULL, 20);
	json_object_put(st);
	return ret;
}

const struct sovctl_cmd sovctl_policy_apply_cmd = {
	.name = "policy apply",
	.operands = "FILE",
	.about = "Make sovd compile and enforce FILE; a policy it refuses leaves the current one\n"
		 "in force (exit 1).",
	.opts = apply_opts,
	.flags = SOVCTL_CMD_SOCKET,
	.run = apply_run,
};

/* dirname(file) resolved, then its last component as it is; errno on failure. */
static int absolute_policy(const char *file, char *out, size_t len)
{
	const char *slash = strrchr(file, '/'), *base = slash ? slash + 1 : file;
	char dir[PATH_MAX], real[PATH_MAX];

	if (!*base || !strcmp(base, ".") || !strcmp(base, "..")) {
		errno = EISDIR;
		return -1;
	}
	if (slash && (size_t)(slash - file) >= sizeof(dir)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (!slash)
		strcpy(dir, ".");
	else if (slash == file)
		strcpy(dir, "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - file), file);
	if (!realpath(dir, real))
		return -1;
	if (snprintf(out, len, "%s%s%s", real, strcmp(real, "/") ? "/" : "", base) >= (int)len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return access(out, R_OK);
}

static int apply_run(int argc, char **argv)
{
	const char *sock = sovctl_socket;
	char path[PATH_MAX], req[PATH_MAX + 16], *reply;
	const char *file;
	struct sovctl_getopt g;
	int c, fd, ret, dry = 0;

	sovctl_getopt_init(&g, &sovctl_policy_apply_cmd, argc, argv);
	while ((c = sovctl_getopt_next(&g)) != SOVCTL_OPT_END) {
		if (c != OPT_DRY_RUN)
			return sovctl_getopt_exit(&g, c);
		dry = 1;
	}
	if (argc - optind != 1)
		return sovctl_usage_error(&sovctl_policy_apply_cmd, "takes one FILE");
	file = argv[optind];
	if (dry)
		return apply_dry_run(sock, file);
	/*
	 * sovd reads the file itself: give it an absolute path. Its directory
	 * is resolved, not the file's own name: a policy that is a symlink
	 * keeps resolving its includes next to the link, as policy check does.
	 */
	if (absolute_policy(file, path, sizeof(path))) {
		fprintf(stderr, "sovctl: cannot read %s: %s\n", file, strerror(errno));
		return SOVCTL_BAD;
	}
	snprintf(req, sizeof(req), "apply %s\n", path);
	fd = dial(sock, req);
	if (fd < 0)
		return SOVCTL_USAGE;
	reply = slurp(fd);
	close(fd);
	if (!reply || !reply[0]) {
		fprintf(stderr, "sovctl: sovd sent no answer\n");
		free(reply);
		return SOVCTL_USAGE;
	}
	if (!strncmp(reply, "ok ", 3)) {
		printf("applied %s: %s", file, reply + 3);
		ret = SOVCTL_OK;
	} else {
		fprintf(stderr, "sovctl: policy %s rejected; the current policy stays in force:\n%s",
			file, strncmp(reply, "error\n", 6) ? reply : reply + 6);
		ret = SOVCTL_BAD;
	}
	free(reply);
	return ret;
}
