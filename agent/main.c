// SPDX-License-Identifier: Apache-2.0
/*
 * sovd: start-up order matters.
 *  1. compile the policy (exit 1 on errors: nothing is touched);
 *  2. probe the kernel and choose a path (exit 2 with the cause and the fix);
 *  3. walk the labelled paths (sizes the label map);
 *  4. load (reusing pinned maps), write policy and labels, attach, pin;
 *  5. taint processes that already hold labelled files;
 *  6. say "start" and serve events until SIGTERM/SIGINT (SIGHUP reloads).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <bpf/libbpf.h>
#include "agent/log.h"
#include "agent/sovd.h"
#include "agent/journal_glue.h"

static void usage(FILE *o)
{
	fprintf(o,
"usage: sovd --policy FILE [--journal DIR|none] [--key FILE] [--socket PATH]\n"
"            [--metrics ADDR:PORT] [--pin-dir DIR] [--mode auto|lsm|tracing]\n"
"            [--events FILE] [--ringbuf-size BYTES] [--max-procs N]\n"
"            [--max-labels N] [--locdb FILE] [--verbose]\n"
"       sovd --probe [--mode auto|lsm|tracing]\n");
}

enum { OPT_RINGBUF = 256, OPT_MAXPROCS, OPT_MAXLABELS, OPT_LOCDB, OPT_PROBE, OPT_METRICS };

static int parse_opts(struct sovd_opts *o, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "policy", required_argument, NULL, 'p' },
		{ "journal", required_argument, NULL, 'j' },
		{ "key", required_argument, NULL, 'k' },
		{ "socket", required_argument, NULL, 's' },
		{ "pin-dir", required_argument, NULL, 'P' },
		{ "mode", required_argument, NULL, 'm' },
		{ "events", required_argument, NULL, 'e' },
		{ "metrics", required_argument, NULL, OPT_METRICS },
		{ "ringbuf-size", required_argument, NULL, OPT_RINGBUF },
		{ "max-procs", required_argument, NULL, OPT_MAXPROCS },
		{ "max-labels", required_argument, NULL, OPT_MAXLABELS },
		{ "locdb", required_argument, NULL, OPT_LOCDB },
		{ "probe", no_argument, NULL, OPT_PROBE },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	int c;

	o->socket = "/run/sovd/sovd.sock";
	o->pin_dir = "/sys/fs/bpf/sovd";
	o->ringbuf_size = 4 << 20;
	o->max_procs = 65536;
	while ((c = getopt_long(argc, argv, "p:j:k:s:P:m:e:vh", lo, NULL)) != -1) {
		switch (c) {
		case 'p': o->policy = optarg; break;
		case 'j': o->journal = optarg; break;
		case 'k': o->key = optarg; break;
		case 's': o->socket = optarg; break;
		case 'P': o->pin_dir = optarg; break;
		case 'e': o->events = optarg; break;
		case OPT_METRICS: o->metrics = optarg; break;
		case OPT_LOCDB: o->locdb = optarg; break;
		case OPT_PROBE: o->probe_only = 1; break;
		case 'v': log_threshold = LOG_DEBUG; break;
		case 'm':
			if (!strcmp(optarg, "auto"))
				o->mode = SOVD_MODE_AUTO;
			else if (!strcmp(optarg, "lsm"))
				o->mode = SOVD_MODE_LSM;
			else if (!strcmp(optarg, "tracing"))
				o->mode = SOVD_MODE_TRACING;
			else {
				fprintf(stderr, "sovd: --mode must be auto, lsm or tracing\n");
				return -EINVAL;
			}
			break;
		case OPT_RINGBUF: {
			unsigned long long v = strtoull(optarg, NULL, 0);

			/* A ring buffer is a power-of-two number of pages. */
			if (v < 4096 || (v & (v - 1))) {
				fprintf(stderr, "sovd: --ringbuf-size must be a power of two >= 4096\n");
				return -EINVAL;
			}
			o->ringbuf_size = v;
			break;
		}
		case OPT_MAXPROCS:
		case OPT_MAXLABELS: {
			unsigned long v = strtoul(optarg, NULL, 0);

			if (!v || v > (1ul << 26)) {
				fprintf(stderr, "sovd: --max-procs and --max-labels take 1..%lu\n", 1ul << 26);
				return -EINVAL;
			}
			if (c == OPT_MAXPROCS)
				o->max_procs = v;
			else
				o->max_labels = v;
			break;
		}
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return -EINVAL;
		}
	}
	if (optind != argc || (!o->policy && !o->probe_only)) {
		usage(stderr);
		return -EINVAL;
	}
	return 0;
}

/* Chooses the path; on failure prints one sentence with cause and fix. */
static int choose_mode(struct sovd *d)
{
	struct sovd_features *f = &d->feat;

	if (!f->btf) {
		pr_err("the kernel exposes no BTF (/sys/kernel/btf/vmlinux): boot a kernel built with CONFIG_DEBUG_INFO_BTF=y");
		return -ENOTSUP;
	}
	if (!f->cgroup2[0]) {
		pr_err("no cgroup2 filesystem is mounted: mount one (mount -t cgroup2 none /sys/fs/cgroup) and start sovd again");
		return -ENOTSUP;
	}
	if (!f->ringbuf) {
		pr_err("cannot create BPF maps: run sovd as root (CAP_BPF, CAP_PERFMON, CAP_SYS_ADMIN, CAP_NET_ADMIN) on a kernel with BPF ring buffers (5.8 or later)");
		return -EPERM;
	}
	switch (d->o.mode) {
	case SOVD_MODE_LSM:
		if (!f->bpf_lsm) {
			pr_err("--mode lsm: BPF LSM programs do not run on this kernel; boot with 'bpf' in lsm= (CONFIG_BPF_LSM=y) or use --mode tracing");
			return -ENOTSUP;
		}
		d->mode = SOVD_MODE_LSM;
		return 0;
	case SOVD_MODE_TRACING:
		break;
	case SOVD_MODE_AUTO:
		if (f->bpf_lsm) {
			d->mode = SOVD_MODE_LSM;
			return 0;
		}
		break;
	}
	if (!f->tp_btf) {
		pr_err("neither BPF LSM nor BTF tracepoint programs run on this kernel: sovd needs Linux 5.11 or later with BPF enabled");
		return -ENOTSUP;
	}
	d->mode = SOVD_MODE_TRACING;
	return 0;
}

static volatile sig_atomic_t stop;

static int setup_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGPIPE);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		return -errno;
	sigdelset(&set, SIGPIPE);
	return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int event_loop(struct sovd *d, int sfd)
{
	struct epoll_event ev, evs[16];
	int ep, rb_fd, err = 0;
	int64_t last_tick = 0, last_gc = 0;

	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0)
		return -errno;
	rb_fd = ring_buffer__epoll_fd(d->rb);
	ev.events = EPOLLIN;
	ev.data.fd = rb_fd;
	epoll_ctl(ep, EPOLL_CTL_ADD, rb_fd, &ev);
	ev.data.fd = sfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev);
	ev.data.fd = d->api_fd;
	epoll_ctl(ep, EPOLL_CTL_ADD, d->api_fd, &ev);
	if (d->metrics_fd >= 0) {
		ev.data.fd = d->metrics_fd;
		epoll_ctl(ep, EPOLL_CTL_ADD, d->metrics_fd, &ev);
	}

	while (!stop) {
		int n = epoll_wait(ep, evs, 16, 200);

		if (n < 0 && errno != EINTR) {
			err = -errno;
			break;
		}
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;

			if (fd == rb_fd) {
				ring_buffer__consume(d->rb);
				if (d->events_out)
					fflush(d->events_out);
			} else if (fd == sfd) {
				struct signalfd_siginfo si;

				while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
					if (si.ssi_signo == SIGHUP) {
						char msg[8192];

						if (apply_policy_file(d, d->o.policy, msg, sizeof(msg)))
							fprintf(stderr, "%s", msg);
					} else {
						stop = 1;
					}
				}
			} else if (fd == d->api_fd) {
				api_accept(d);
			} else if (fd == d->metrics_fd) {
				metrics_serve(d);
			}
		}
		if (d->journal_failed) {
			err = -EIO;
			break;
		}
		if (mono_ms() - last_tick >= 100) {
			last_tick = mono_ms();
			events_check_loss(d);
			journal_glue_tick(d);
		}
		if (mono_ms() - last_gc >= 10000) {
			last_gc = mono_ms();
			sync_gc_taint(d);
		}
	}
	ring_buffer__consume(d->rb);
	close(ep);
	return err;
}

int main(int argc, char **argv)
{
	struct sovd d = { .api_fd = -1, .metrics_fd = -1 };
	struct sov_policy_opts po = {};
	struct sov_diags diags;
	struct sov_counters cnt;
	char body[512];
	int err, sfd = -1, ret = 2;

	sov_diags_init(&diags);
	if (parse_opts(&d.o, argc, argv))
		return 2;
	log_setup_libbpf();

	if (!d.o.probe_only) {
		po.locdb_path = d.o.locdb;
		err = sov_policy_compile_file(d.o.policy, &po, &d.img, &diags);
		sov_diags_print(&diags, stderr);
		if (err) {
			pr_err("policy %s is invalid; nothing was attached", d.o.policy);
			ret = 1;
			goto cleanup;
		}
	}

	probe_features(&d.feat);
	err = choose_mode(&d);
	if (d.o.probe_only) {
		probe_print(&d.feat, err ? SOVD_MODE_AUTO : d.mode, stdout);
		ret = err ? 2 : 0;
		goto cleanup;
	}
	if (err)
		goto cleanup;
	pr_info("kernel: bpf_lsm=%s tp_btf=%s trampolines=%s cgroup2=%s; using the %s path",
		d.feat.bpf_lsm ? "yes" : "no", d.feat.tp_btf ? "yes" : "no",
		d.feat.trampolines ? "yes" : "no", d.feat.cgroup2, mode_name(d.mode));

	err = sync_collect_labels(&d, d.img);
	if (err)
		goto cleanup;
	if (!d.o.max_labels) {
		d.o.max_labels = d.n_ulabels * 4;
		if (d.o.max_labels < 131072)
			d.o.max_labels = 131072;
	}

	sfd = setup_signals();
	if (sfd < 0) {
		pr_err("failed to set up signals: %s", strerror(-sfd));
		goto cleanup;
	}
	err = events_init(&d);
	if (err)
		goto cleanup;
	err = journal_glue_open(&d);
	if (err)
		goto cleanup;
	err = loader_open_load(&d);
	if (err && d.o.mode == SOVD_MODE_AUTO && d.mode == SOVD_MODE_LSM) {
		/* The probe ran a tiny LSM program, but the real ones can still
		 * be refused (verifier differences between kernels): the
		 * tracing path enforces the same policy. */
		pr_warn("the LSM programs did not load (%s); falling back to the tracing path",
			strerror(-err));
		loader_destroy(&d);
		d.mode = SOVD_MODE_TRACING;
		err = loader_open_load(&d);
	}
	if (err) {
		if (err == -EPERM)
			pr_err("the kernel refused the BPF programs: run sovd as root with CAP_BPF, CAP_PERFMON, CAP_SYS_ADMIN and CAP_NET_ADMIN");
		goto cleanup;
	}
	d.generation = 1;
	err = sync_remap_classes(&d, d.img);
	if (err) {
		pr_err("failed to record class names: %s", strerror(-err));
		goto cleanup;
	}
	err = sync_policy_stage(&d, d.img);
	if (err)
		goto cleanup;
	err = sync_write_labels(&d);
	if (err)
		goto cleanup;
	err = sync_policy_commit(&d, d.img, d.generation);
	if (err)
		goto cleanup;
	/* Losses counted before this run were reported by the run that saw them. */
	if (!loader_read_counters(&d, &cnt))
		d.lost_reported = cnt.c[SOV_CNT_LOST];

	d.rb = ring_buffer__new(bpf_map__fd(bpf_object__find_map_by_name(d.obj, "sov_events")),
				events_handle, &d, NULL);
	if (!d.rb) {
		err = -errno;
		pr_err("failed to open the event ring buffer: %s", strerror(-err));
		goto cleanup;
	}
	/* Everything that can fail for usage reasons before attach: a failed
	 * start must not leave programs pinned with nobody reading events. */
	err = api_listen(&d);
	if (err)
		goto cleanup;
	err = metrics_listen(&d);
	if (err)
		goto cleanup;
	err = loader_attach(&d);
	if (err)
		goto cleanup;
	err = sync_scan_proc(&d);
	if (err)
		pr_warn("failed to scan /proc for open labelled files: %s", strerror(-err));

	events_emit_policy(&d);
	events_emit_agent_start(&d);
	pr_info("enforcing %s (sha256 %s) on the %s path", d.o.policy, d.img->sha256_hex,
		mode_name(d.mode));

	err = event_loop(&d, sfd);
	events_check_loss(&d);
	snprintf(body, sizeof(body), "\"action\":\"stop\",\"mode\":\"%s\"", mode_name(d.mode));
	events_emit_user(&d, "agent", body);
	/* A clean stop detaches: without pins, closing the links does. A
	 * failed journal is no clean stop: enforcement stays pinned. */
	if (!d.journal_failed)
		loader_unpin_all(&d);
	ret = err ? 2 : 0;
cleanup:
	if (ret == 2 && err && !d.o.probe_only)
		pr_err("sovd stopped: %s", strerror(-err));
	api_close(&d);
	if (d.metrics_fd >= 0)
		close(d.metrics_fd);
	if (d.rb)
		ring_buffer__free(d.rb);
	loader_destroy(&d);
	journal_glue_close(&d);
	events_close(&d);
	if (sfd >= 0)
		close(sfd);
	free(d.ulabels);
	sov_policy_free(d.img);
	sov_diags_free(&diags);
	return ret;
}
