/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sovtest: the actor of the enforcement scenarios (tests/scenarios/run.sh).
 *
 * It performs real system calls, one action per argument, in order, and
 * prints one line per action: the action, its target and the result ("ok"
 * or the errno name), so the script can assert what the kernel answered.
 * A refused system call is a result, not a failure: the exit status is 0
 * unless an action is malformed or hits an internal error (status 2).
 *
 *   sovtest ACTION...
 *   sovtest serve-tcp ADDR PORT OUTFILE [SECONDS]
 *   sovtest serve-udp ADDR PORT OUTFILE [SECONDS]
 *
 * Actions (IPv6 addresses in brackets: [fd00:20::2]:8080):
 *   pid                      print "pid N"
 *   read:PATH                open O_RDONLY, read to EOF, close
 *   read-uring:PATH          open through io_uring (IORING_OP_OPENAT), then
 *                            read to EOF and close
 *   read-ia32:PATH           the same open through the ia32 entry (int $0x80,
 *                            x86-64 only; needs a non-PIE binary such as
 *                            sovtest.static, else ENOTSUP)
 *   ia32-probe               print "ia32 yes" if int $0x80 works in this
 *                            kernel (a child tries getpid through it), else
 *                            "ia32 no" (ia32_emulation=off, or not x86-64)
 *   open-rw:PATH             open O_RDWR, close
 *   write:PATH[:TEXT]        open O_WRONLY|O_CREAT|O_TRUNC, write TEXT, close
 *   stat:PATH                print "stat PATH ino=N"
 *   connect:ADDR:PORT        TCP connect (AF_INET6 socket for IPv6 and
 *                            IPv4-mapped addresses); becomes the current socket
 *   send:TEXT                send TEXT on the current socket
 *   recv                     read the current socket until EOF or 2 s of
 *                            silence; print "recv TEXT" (or "recv -" if none)
 *   listen:ADDR:PORT         a TCP listener (bind + listen)
 *   accept                   accept one connection on the listener; it
 *                            becomes the current socket
 *   close                    close the current socket
 *   udp:ADDR:PORT[:TEXT]     sendto on a fresh unconnected UDP socket
 *   udp-flood:ADDR:PORT:N    N sendto calls on one socket, errors counted
 *   connects:ADDR:PORT:N     N TCP connects, a new socket each, closed at
 *                            once: "connects ADDR ok|ERR ok=N errors=N"
 *   fork                     the remaining actions run in a child; the parent
 *                            waits and exits with the child's status
 *   exec:PROG                exec PROG with the remaining actions as its
 *                            arguments ("self" re-executes sovtest)
 *   sleep:MS                 sleep
 *   wait-file:PATH[:MS]      wait until PATH exists (default 10000 ms)
 *   touch:PATH               create PATH (O_WRONLY|O_CREAT)
 *
 * Channels that cannot be judged by destination (issue 10):
 *   sock:KIND                create a socket of KIND and keep it as the
 *                            current channel: ping4 ping6 (ICMP datagram),
 *                            raw4 raw6 (SOCK_RAW, ICMP), packet (AF_PACKET
 *                            SOCK_DGRAM, IPv4), xdp (AF_XDP), sctp, udplite,
 *                            vsock (AF_VSOCK stream)
 *   echo:ADDR/TEXT           an ICMP(v6) echo request carrying TEXT to ADDR on
 *                            the current ping or raw socket, then wait 1.5 s
 *                            for its reply: "echo ADDR ok" (the reply came),
 *                            ETIMEDOUT (none came) or sendto's errno
 *   frame:IF:SRC:DST:PORT:TEXT  on the current packet socket, an IPv4/UDP
 *                            datagram SRC -> DST:PORT carrying TEXT, in a
 *                            broadcast frame on interface IF
 *   poke                     sendto() of one byte without an address on the
 *                            current channel (an AF_XDP socket's send)
 *
 * Protocol details of the egress hooks (tests/scenarios/parts/30-proto.sh),
 * on one UDP socket, the current datagram socket:
 *   usock:4|6                a new UDP socket (6: dual-stack, IPV6_V6ONLY off)
 *   uconnect:ADDR:PORT       connect it
 *   usendto:ADDR:PORT:TEXT   sendto() with ADDR's own sockaddr (an IPv4 ADDR
 *                            on a 6 socket: an AF_INET name on AF_INET6)
 *   usendto-unspec:ADDR:PORT:TEXT  the same sockaddr with sa_family AF_UNSPEC
 *   umore:ADDR:PORT:TEXT     sendto() with MSG_MORE (corks the datagram)
 *   ucork:0|1                setsockopt UDP_CORK (0 sends the corked datagram)
 *   usend:TEXT               send() without a name
 *   lsrr:HOP                 IP_OPTIONS with a loose source route via HOP
 *                            (and SO_NO_CHECK: the UDP checksum of a source-
 *                            routed datagram covers its first hop)
 *   lsrrmsg:HOP:TEXT         sendmsg() of TEXT with an IP_RETOPTS control
 *                            message: a loose source route via HOP for this
 *                            datagram only (SO_NO_CHECK as above)
 *   rthdr:HOP                IPV6_RTHDR: a segment routing header via HOP
 *   tfo:ADDR:PORT:TEXT       sendto(MSG_FASTOPEN) of TEXT on a new TCP socket,
 *                            which becomes the current socket
 * The sender is judged (issue 10, tests/scenarios/parts/20-sender.sh):
 *   fork-wait ... join       the actions up to "join" (or the end) run in a
 *                            child, which inherits the current socket; the
 *                            parent prints "fork-wait child=N", waits for
 *                            it and continues after "join"
 *   pass-fd:PATH             listen on the AF_UNIX socket PATH, accept one
 *                            peer and pass it the current socket
 *                            (SCM_RIGHTS); the sender keeps its own fd
 *   recv-fd:PATH             connect to PATH (waiting up to 10 s for it) and
 *                            receive a socket there: the current socket
 *   show-fd                  print "fd N" of the current socket
 *   getfd:PID:FD             take fd FD of process PID (pidfd_open +
 *                            pidfd_getfd): the current socket
 *   write-sock:TEXT          write() TEXT on the current socket
 *   sendfile:FILE            open FILE, sendfile() it to the current socket
 *   splice:FILE              open FILE, splice() it into a pipe and from the
 *                            pipe to the current socket
 *   write-sock-ia32:TEXT     write() TEXT on the current socket through the
 *                            ia32 entry (int $0x80; non-PIE binary, as
 *                            read-ia32)
 * Devices (issue 10, tests/scenarios/parts/40-rdma.sh):
 *   dev:PATH                 open PATH O_RDWR and keep it as the current
 *                            device: "dev PATH ok" or open's errno
 *   dev-write                write(2) 8 zero bytes on the current device (a
 *                            verbs/rdma_cm command header the driver rejects)
 *   dev-ioctl                ioctl(2) with command 0 on the current device
 *   dev-mmap                 mmap(2) one shared page of the current device
 *
 * Kinds of file that are no derivative (parts/60-derive-kinds.sh):
 *   hold-rw:PATH[:TEXT]      open O_RDWR|O_NONBLOCK|O_NOCTTY (a FIFO opens
 *                            without a reader), write TEXT, keep it open
 *                            until exit; EAGAIN of the write is ok
 *   read1:PATH               open O_RDONLY|O_NONBLOCK|O_NOCTTY, one read
 *                            (bounded: /dev/zero never ends), close;
 *                            EAGAIN of the read is ok
 *
 * fds of files received (issue 11, tests/scenarios/parts/61-fdpass-taint.sh):
 *   open-keep:FILE           open FILE O_RDONLY and keep it as the current
 *                            socket slot (what pass-fd passes, show-fd
 *                            prints): "open-keep FILE ok" or open's errno
 *   read-fd                  read the current fd (from offset 0) to its end:
 *                            "read-fd N ok" with N the fd, or read's errno
 *   recv-fd-mm:PATH          recv-fd:PATH through recvmmsg() (one message);
 *                            prints "recv-fd PATH ..." as recv-fd does
 *
 * Writable fds (issue 11, tests/scenarios/parts/62-fdwalk.sh):
 *   open-wkeep:FILE          open FILE O_WRONLY|O_CREAT|O_TRUNC and keep it
 *                            as the current socket slot (write-sock writes
 *                            it, pass-fd passes it, show-fd prints it):
 *                            "open-wkeep FILE ok" or open's errno
 *   dup-to:N                 raise RLIMIT_NOFILE above N, move the current
 *                            fd to N (dup2, close the old one): "dup-to N
 *                            ok" or the errno
 *
 * Mappings (issue 11, tests/scenarios/parts/63-mmap.sh and the start-up
 * scan in run.sh):
 *   map-open:PATH            open PATH O_RDWR|O_CREAT and keep it as the
 *                            mapping fd, moved to fd 2000 (above the
 *                            kernel's fd walk): "map-open PATH ok" or errno
 *   map-open-ro:PATH         the same, O_RDONLY (PATH must exist and hold a
 *                            page: MAP_PRIVATE writes need no writable fd)
 *   map-write:shared|private:TEXT  size the mapping fd's file to a page,
 *                            mmap it read-write (MAP_SHARED or MAP_PRIVATE),
 *                            copy TEXT to its start, msync, munmap:
 *                            "map-write MODE ok" or the errno
 *   map-close:PATH           open PATH O_RDONLY, mmap its first page
 *                            MAP_PRIVATE read-only, close the fd, keep the
 *                            mapping until exit: "map-close PATH ok"
 *   map-pre:PATH             open PATH O_RDWR|O_CREAT, size it to a page,
 *                            mmap it MAP_SHARED read-write, close the fd,
 *                            keep the mapping: "map-pre PATH ok" or errno
 * sovd itself (issue 12, tests/scenarios/parts/70-selfprot.sh):
 *   bpf-get:rw|ro:PATH       BPF_OBJ_GET of a pinned object, read-write or
 *                            read-only: "bpf-get MODE ok" or the errno
 *   bpf-detach:PATH          BPF_OBJ_GET of a pinned link, then
 *                            BPF_LINK_DETACH: "bpf-detach PATH ok" or errno
 *   unlink:PATH              unlink(2): "unlink PATH ok" or the errno
 *   append:PATH              open PATH O_WRONLY|O_APPEND: "append PATH ok"
 *                            or the errno
 *   map-put:TEXT             copy TEXT to map-pre's mapping and msync:
 *                            "map-put mapping ok" or the errno
 * Labels of deleted inodes (issue 12, tests/scenarios/parts/69-reclaim.sh):
 *   inode:PATH               lstat: "inode PATH DEV:INO" (DEV as the kernel
 *                            programs see it, MAJOR<<20|MINOR) or the errno
 *   label-of:MAP:DEV:INO     look (DEV, INO) up in the pinned label map MAP
 *                            (read-only): "label DEV:INO classes=0xN" or
 *                            "label DEV:INO none" or the errno
 *   dgram-names:N            one Unix datagram socket sends a byte to N
 *                            abstract names nobody bound (each a label in
 *                            sov_ipc_names): "dgram-names N ok" or the
 *                            first errno other than ECONNREFUSED
 *
 * Process and shared memory (issue 11, tests/scenarios/parts/65-procmem.sh);
 * HOW is vm (process_vm_writev/readv), pmem (/proc/PID/mem, opened O_WRONLY
 * or O_RDONLY), ptrace (PTRACE_ATTACH, POKEDATA/PEEKDATA, DETACH) or regs
 * (PTRACE_ATTACH, GETREGS and for a write SETREGS of the same registers):
 *   mem-hold:TEXT            copy TEXT into a buffer of this process and
 *                            print "mem-addr 0xADDR" (its address)
 *   mem-show                 print "mem TEXT", what the buffer holds now
 *   HOW-write:PID:ADDR:TEXT  write TEXT (and its NUL) at ADDR in process PID:
 *                            "HOW-write PID ok" or the errno
 *   HOW-read:PID:ADDR:LEN    read LEN bytes at ADDR of process PID: "HOW-read
 *                            PID ok" and "got TEXT", or the errno
 *   sysv-new:TEXT            a new SysV segment (IPC_PRIVATE), attached
 *                            writable, TEXT written, detached: "shm-id N"
 *   sysv-read:ID             attach segment ID SHM_RDONLY, print "got TEXT"
 *   sysv-rm:ID               IPC_RMID the segment
 *   sysv-hold:ID             attach segment ID SHM_RDONLY and keep it
 *   sysv-show                print "got TEXT", what the kept segment holds now
 *   sysv-write:ID:TEXT       attach segment ID writable, write TEXT, detach
 *   posix-write:PATH:TEXT    open PATH O_RDWR|O_CREAT (a /dev/shm file: what
 *                            shm_open does), map it shared, copy TEXT in
 *   posix-read:PATH          open PATH O_RDONLY, map it shared read-only,
 *                            print "got TEXT"
 *   memfd-new:TEXT           memfd_create, TEXT written through a shared
 *                            mapping; the memfd is the current fd (pass-fd)
 *   map-fd-read              map the current fd shared read-only, print
 *                            "got TEXT"
 *   map-fd-hold              map the current fd shared read-only and keep it
 *   map-show                 print "got TEXT", what the kept mapping holds now
 *   memfd-put:TEXT           write TEXT into the current fd (a memfd) through
 *                            a new shared read-write mapping
 *
 * Local channels (issue 11, tests/scenarios/parts/64-ipc.sh), on one IPC
 * fd (not the current socket):
 *   ipc-fork:KIND ... join   make a pipe (KIND pipe), a Unix stream
 *                            socketpair (pair) or a datagram one (dpair),
 *                            fork; the child runs the actions up to "join"
 *                            with the read end as its IPC fd, then exits;
 *                            the parent prints "ipc-fork KIND child=N" and
 *                            continues after "join" with the write end
 *   ipc-wait                 wait for that child: "ipc-wait ok"
 *   fifo-r:PATH, fifo-w:PATH mkfifo PATH (if missing), open it for reading
 *                            or writing: the IPC fd
 *   unix-listen:PATH         a Unix stream listener at PATH; accept one
 *                            peer (10 s at most): the IPC fd
 *   unix-connect:PATH        connect a Unix stream socket to PATH (waiting
 *                            up to 10 s for it): the IPC fd
 *   udg-bind:PATH            a Unix datagram socket bound at PATH
 *   udg-connect:PATH         a Unix datagram socket connected to PATH
 *                            (waiting up to 10 s for it)
 *   udg-sendto:PATH:TEXT     sendto() TEXT to PATH on a new, unbound Unix
 *                            datagram socket
 *   ipc-write:TEXT           write() TEXT on the IPC fd
 *   ipc-read                 a blocking read() of the IPC fd (10 s at most):
 *                            "ipc-read TEXT", "ipc-read -" at its end, or
 *                            the errno
 *   ipc-write-ia32:TEXT, ipc-read-ia32  ipc-write and ipc-read through
 *                            the ia32 entry (int $0x80 write and read;
 *                            non-PIE binary, as read-ia32)
 *   ipc-ready:PATH           create PATH (a signal to the script; the
 *                            action after it may block)
 *   copy-to:MODE:SRC:DST     open SRC for reading and DST for writing
 *                            (created, truncated) and copy with MODE cfr
 *                            (copy_file_range), sendfile or splice (through
 *                            a pipe): "copy-to MODE ok" or the errno
 *
 * Labels at creation (issue 11, tests/scenarios/parts/66-labels.sh):
 *   tmpfile-link:DIR:DEST:TEXT  open DIR O_TMPFILE|O_WRONLY, write TEXT,
 *                            linkat() it to DEST (AT_EMPTY_PATH):
 *                            "tmpfile-link DEST ok" or the errno
 *
 * io_uring (issue 11, tests/scenarios/parts/68-iouring.sh); raw syscalls:
 *   uring-fixed-read:PATH    a ring with one sparse fixed-file slot; an
 *                            IORING_OP_OPENAT of PATH straight into the slot
 *                            (no fd ever exists), then IORING_OP_READ of the
 *                            fixed file: "uring-fixed-read PATH ok" or the
 *                            errno of the failing step
 *   uring-fixed-write:PATH[:TEXT]  the same open O_WRONLY|O_CREAT|O_TRUNC,
 *                            then IORING_OP_WRITE of TEXT to the fixed file
 *   uring-reg:PATH           open PATH O_WRONLY|O_CREAT|O_TRUNC with open(2),
 *                            register the fd as fixed file 0 of a ring kept
 *                            for uring-write-reg, close the fd (the file
 *                            stays in the ring only): "uring-reg PATH ok"
 *   uring-write-reg:TEXT     IORING_OP_WRITE of TEXT to that fixed file:
 *                            "uring-write-reg TEXT ok" or the errno
 * The 5.10 build's bounded fd walk (issue 13, parts/62-fdwalk.sh):
 *   fill-fds:N               raise RLIMIT_NOFILE, open /dev/null N times and
 *                            keep the fds: "fill-fds N ok" or the errno
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <stddef.h>
#include <sys/wait.h>
#include <time.h>
#include <linux/bpf.h>
#include <linux/io_uring.h>
#include <linux/ipv6.h>
#include <linux/seg6.h>
#include <linux/udp.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#define CONNECT_TIMEOUT_MS	3000
#define SERVE_DEFAULT_S		600
#define MAX_CLIENTS		64

struct dst {
	struct sockaddr_storage ss;
	socklen_t len;
	char text[80];		/* as printed: a.b.c.d:port or [v6]:port */
};

static int cur_sock = -1;

static const char *errname(int err)
{
	const char *n = strerrorname_np(err);

	return n ? n : "EUNKNOWN";
}

static void result(const char *action, const char *target, int err)
{
	printf("%s %s %s\n", action, target, err ? errname(err) : "ok");
	fflush(stdout);
}

/* fill-fds:N (issue 13): N more open fds, each one step of the fd walk. */
static void do_fill_fds(const char *arg)
{
	long n = strtol(arg, NULL, 10);
	struct rlimit rl;
	int err = 0;

	if (n <= 0 || n > 100000) {
		result("fill-fds", arg, EINVAL);
		return;
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)n + 64) {
		rl.rlim_cur = (rlim_t)n + 64;
		if (rl.rlim_max < rl.rlim_cur)
			rl.rlim_max = rl.rlim_cur;
		if (setrlimit(RLIMIT_NOFILE, &rl))
			err = errno;
	}
	for (long i = 0; !err && i < n; i++)
		if (open("/dev/null", O_RDONLY | O_CLOEXEC) < 0)
			err = errno;
	result("fill-fds", arg, err);
}

/*
 * An open submitted through io_uring: it never passes the open syscalls'
 * exit, only the LSM file_open hook. Raw syscalls, no liburing.
 */
static void do_read_uring(const char *path)
{
	struct io_uring_params p;
	struct io_uring_sqe *sqes, *sqe;
	struct io_uring_cqe *cqe;
	size_t sq_sz, cq_sz, sqe_sz;
	unsigned tail, idx, head;
	char *sq, *cq, buf[4096];
	int ring, fd, err = 0;

	memset(&p, 0, sizeof(p));
	ring = (int)syscall(__NR_io_uring_setup, 4, &p);
	if (ring < 0) {
		result("read-uring", path, errno);
		return;
	}
	sq_sz = p.sq_off.array + p.sq_entries * sizeof(unsigned);
	cq_sz = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
	if (p.features & IORING_FEAT_SINGLE_MMAP)
		sq_sz = cq_sz = sq_sz > cq_sz ? sq_sz : cq_sz;
	sqe_sz = p.sq_entries * sizeof(struct io_uring_sqe);
	sq = mmap(NULL, sq_sz, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring,
		  IORING_OFF_SQ_RING);
	cq = (p.features & IORING_FEAT_SINGLE_MMAP) ? sq :
	     mmap(NULL, cq_sz, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring,
		  IORING_OFF_CQ_RING);
	sqes = mmap(NULL, sqe_sz, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring,
		    IORING_OFF_SQES);
	if (sq == MAP_FAILED || cq == MAP_FAILED || sqes == MAP_FAILED) {
		result("read-uring", path, errno);
		close(ring);
		return;
	}
	tail = *(unsigned *)(sq + p.sq_off.tail);
	idx = tail & *(unsigned *)(sq + p.sq_off.ring_mask);
	sqe = &sqes[idx];
	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = IORING_OP_OPENAT;
	sqe->fd = AT_FDCWD;
	sqe->addr = (unsigned long)path;
	sqe->open_flags = O_RDONLY;
	((unsigned *)(sq + p.sq_off.array))[idx] = idx;
	__atomic_store_n((unsigned *)(sq + p.sq_off.tail), tail + 1, __ATOMIC_RELEASE);
	if (syscall(__NR_io_uring_enter, ring, 1, 1, IORING_ENTER_GETEVENTS, NULL, 0) < 0) {
		err = errno;
		goto out;
	}
	head = __atomic_load_n((unsigned *)(cq + p.cq_off.head), __ATOMIC_ACQUIRE);
	cqe = &((struct io_uring_cqe *)(cq + p.cq_off.cqes))[head & *(unsigned *)(cq + p.cq_off.ring_mask)];
	fd = cqe->res;
	__atomic_store_n((unsigned *)(cq + p.cq_off.head), head + 1, __ATOMIC_RELEASE);
	if (fd < 0) {
		err = -fd;
		goto out;
	}
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	close(fd);
out:
	munmap(sqes, sqe_sz);
	if (cq != sq)
		munmap(cq, cq_sz);
	munmap(sq, sq_sz);
	close(ring);
	result("read-uring", path, err);
}

/*
 * open(2) through the 32-bit entry: the tracing path must recognise the
 * ia32 syscall table (a 64-bit process may use int $0x80 too). The path
 * must sit below 4 GiB, hence a static buffer in a non-PIE binary.
 */
#if defined(__x86_64__)
static char ia32_path[4096];
#endif

static void do_read_ia32(const char *path)
{
#if defined(__x86_64__)
	char buf[4096];
	long fd;

	snprintf(ia32_path, sizeof(ia32_path), "%s", path);
	if ((unsigned long)ia32_path > 0xffffffffUL) {
		result("read-ia32", path, ENOTSUP);
		return;
	}
	__asm__ volatile("int $0x80" : "=a"(fd) : "a"(5L), "b"(ia32_path), "c"(0L), "d"(0L)
			 : "memory");
	if (fd < 0) {
		result("read-ia32", path, (int)-fd);
		return;
	}
	while (read((int)fd, buf, sizeof(buf)) > 0)
		;
	close((int)fd);
	result("read-ia32", path, 0);
#else
	result("read-ia32", path, ENOTSUP);
#endif
}

/*
 * Kernels can turn the 32-bit entry off (CONFIG_IA32_EMULATION_DEFAULT_
 * DISABLED, ia32_emulation=off): int $0x80 then raises a general
 * protection fault, and the channel the ia32 scenario tests does not exist.
 * A child tries it so that the fault kills only the child.
 */
static void do_ia32_probe(void)
{
#if defined(__x86_64__)
	int status = 0;
	pid_t pid = fork();

	if (pid == 0) {
		long r;

		__asm__ volatile("int $0x80" : "=a"(r) : "a"(20L) : "memory");
		_exit(r == getpid() ? 0 : 1);
	}
	if (pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0) {
		printf("ia32 yes\n");
		return;
	}
#endif
	printf("ia32 no\n");
}

static int die_usage(const char *what)
{
	fprintf(stderr, "sovtest: bad action '%s'\n", what);
	return 2;
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/*
 * Parses "ADDR:PORT[:REST]" where ADDR is IPv4 or a bracketed IPv6 address.
 * Without brackets and without REST, an address with several colons is
 * taken as IPv6 up to the last colon, so "connect:fd00:20::2:8080" works.
 * *rest points after the port's ':' or is NULL.
 */
static int parse_dst(const char *spec, int want_rest, struct dst *d, const char **rest)
{
	char addr[INET6_ADDRSTRLEN + 1];
	const char *p, *port_s, *end;
	unsigned long port;
	char *ep;
	size_t n;

	*rest = NULL;
	if (spec[0] == '[') {
		end = strchr(spec, ']');
		if (!end || end[1] != ':')
			return -EINVAL;
		p = spec + 1;
		n = end - p;
		port_s = end + 2;
	} else {
		end = want_rest ? strchr(spec, ':') : strrchr(spec, ':');
		if (!end)
			return -EINVAL;
		p = spec;
		n = end - p;
		port_s = end + 1;
	}
	if (n == 0 || n >= sizeof(addr))
		return -EINVAL;
	memcpy(addr, p, n);
	addr[n] = '\0';
	errno = 0;
	port = strtoul(port_s, &ep, 10);
	if (errno || ep == port_s || port > 65535 || (*ep && *ep != ':'))
		return -EINVAL;
	if (*ep == ':') {
		if (!want_rest)
			return -EINVAL;
		*rest = ep + 1;
	}

	memset(d, 0, sizeof(*d));
	if (strchr(addr, ':')) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&d->ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		if (inet_pton(AF_INET6, addr, &s6->sin6_addr) != 1)
			return -EINVAL;
		d->len = sizeof(*s6);
		snprintf(d->text, sizeof(d->text), "[%s]:%lu", addr, port);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&d->ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		if (inet_pton(AF_INET, addr, &s4->sin_addr) != 1)
			return -EINVAL;
		d->len = sizeof(*s4);
		snprintf(d->text, sizeof(d->text), "%s:%lu", addr, port);
	}
	return 0;
}

static void do_read(const char *path)
{
	char buf[4096];
	ssize_t n;
	int fd, err = 0;

	fd = open(path, O_RDONLY);
	if (fd < 0) {
		result("read", path, errno);
		return;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		;
	if (n < 0)
		err = errno;
	close(fd);
	result("read", path, err);
}

static void do_open_rw(const char *path)
{
	int fd = open(path, O_RDWR);

	if (fd < 0) {
		result("open-rw", path, errno);
		return;
	}
	close(fd);
	result("open-rw", path, 0);
}

static void do_write(const char *spec, const char *action, int flags)
{
	char path[4096];
	const char *text = "", *colon = strchr(spec, ':');
	size_t n = colon ? (size_t)(colon - spec) : strlen(spec);
	int fd, err = 0;

	if (n >= sizeof(path))
		n = sizeof(path) - 1;
	memcpy(path, spec, n);
	path[n] = '\0';
	if (colon)
		text = colon + 1;
	fd = open(path, flags, 0644);
	if (fd < 0) {
		result(action, path, errno);
		return;
	}
	if (*text && write(fd, text, strlen(text)) < 0)
		err = errno;
	close(fd);
	result(action, path, err);
}

static void do_stat(const char *path)
{
	struct stat st;

	if (stat(path, &st)) {
		result("stat", path, errno);
		return;
	}
	printf("stat %s ino=%llu\n", path, (unsigned long long)st.st_ino);
	fflush(stdout);
}

/* An IPv4-mapped destination must leave through an AF_INET6 socket: that is
 * the case the kernel side has to unwrap. */
static int sock_family(const struct dst *d)
{
	return d->ss.ss_family;
}

/*
 * Non-blocking connect bounded by CONNECT_TIMEOUT_MS: a destination whose
 * packets are dropped must show up as ETIMEDOUT, not hang the scenario.
 */
static int connect_bounded(int fd, const struct dst *d)
{
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	socklen_t len = sizeof(int);
	int fl, soerr = 0, r;

	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return errno;
	if (connect(fd, (const struct sockaddr *)&d->ss, d->len) == 0)
		goto done;
	if (errno != EINPROGRESS)
		return errno;
	r = poll(&pfd, 1, CONNECT_TIMEOUT_MS);
	if (r < 0)
		return errno;
	if (r == 0)
		return ETIMEDOUT;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0)
		return errno;
	if (soerr)
		return soerr;
done:
	if (fcntl(fd, F_SETFL, fl) < 0)
		return errno;
	return 0;
}

static int do_connect(const char *spec)
{
	const char *rest;
	struct dst d;
	int fd, err;

	if (parse_dst(spec, 0, &d, &rest))
		return die_usage(spec);
	if (cur_sock >= 0) {
		close(cur_sock);
		cur_sock = -1;
	}
	fd = socket(sock_family(&d), SOCK_STREAM, 0);
	if (fd < 0) {
		result("connect", d.text, errno);
		return 0;
	}
	err = connect_bounded(fd, &d);
	result("connect", d.text, err);
	if (err)
		close(fd);
	else
		cur_sock = fd;
	return 0;
}

static void do_send(const char *text)
{
	ssize_t n;

	if (cur_sock < 0) {
		result("send", text, ENOTCONN);
		return;
	}
	n = send(cur_sock, text, strlen(text), MSG_NOSIGNAL);
	result("send", text, n < 0 ? errno : 0);
}

static int listen_sock = -1;

static int do_listen(const char *spec)
{
	const char *rest;
	struct dst d;
	int fd, one = 1;

	if (parse_dst(spec, 0, &d, &rest))
		return die_usage(spec);
	fd = socket(sock_family(&d), SOCK_STREAM, 0);
	if (fd < 0) {
		result("listen", d.text, errno);
		return 0;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&d.ss, d.len) || listen(fd, 4)) {
		result("listen", d.text, errno);
		close(fd);
		return 0;
	}
	listen_sock = fd;
	result("listen", d.text, 0);
	return 0;
}

static void do_accept(void)
{
	struct pollfd pfd = { .fd = listen_sock, .events = POLLIN };
	int fd;

	if (listen_sock < 0) {
		result("accept", "-", EBADF);
		return;
	}
	if (poll(&pfd, 1, CONNECT_TIMEOUT_MS * 2) != 1) {
		result("accept", "-", ETIMEDOUT);
		return;
	}
	fd = accept(listen_sock, NULL, NULL);
	if (fd < 0) {
		result("accept", "-", errno);
		return;
	}
	if (cur_sock >= 0)
		close(cur_sock);
	cur_sock = fd;
	result("accept", "-", 0);
}

static void do_recv(void)
{
	struct pollfd pfd = { .fd = cur_sock, .events = POLLIN };
	char buf[4096];
	size_t got = 0;
	ssize_t n;

	if (cur_sock < 0) {
		result("recv", "-", ENOTCONN);
		return;
	}
	while (got < sizeof(buf) - 1 && poll(&pfd, 1, 2000) == 1) {
		n = recv(cur_sock, buf + got, sizeof(buf) - 1 - got, 0);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	buf[got] = '\0';
	printf("recv %s\n", got ? buf : "-");
	fflush(stdout);
}

static int do_udp(const char *spec)
{
	const char *text;
	struct dst d;
	ssize_t n;
	int fd;

	if (parse_dst(spec, 1, &d, &text))
		return die_usage(spec);
	if (!text || !*text)
		text = "sovtest";
	fd = socket(sock_family(&d), SOCK_DGRAM, 0);
	if (fd < 0) {
		result("udp", d.text, errno);
		return 0;
	}
	n = sendto(fd, text, strlen(text), 0, (const struct sockaddr *)&d.ss, d.len);
	result("udp", d.text, n < 0 ? errno : 0);
	close(fd);
	return 0;
}

static int do_udp_flood(const char *spec)
{
	const char *count_s;
	unsigned long i, count, errors = 0;
	int fd, first_err = 0;
	struct dst d;
	char *ep;

	if (parse_dst(spec, 1, &d, &count_s) || !count_s)
		return die_usage(spec);
	count = strtoul(count_s, &ep, 10);
	if (*ep || ep == count_s)
		return die_usage(spec);
	fd = socket(sock_family(&d), SOCK_DGRAM, 0);
	if (fd < 0) {
		result("udp-flood", d.text, errno);
		return 0;
	}
	for (i = 0; i < count; i++) {
		if (sendto(fd, "flood", 5, 0, (const struct sockaddr *)&d.ss, d.len) < 0) {
			if (!errors++)
				first_err = errno;
		}
	}
	close(fd);
	printf("udp-flood %s %s sent=%lu errors=%lu\n", d.text,
	       errors ? errname(first_err) : "ok", count, errors);
	fflush(stdout);
	return 0;
}

/* N connects in a row (issue 14: aggregated allowed flows). */
static int do_connects(const char *spec)
{
	unsigned long i, count, ok = 0, errors = 0;
	const char *count_s;
	int fd, err, first_err = 0;
	struct dst d;
	char *ep;

	if (parse_dst(spec, 1, &d, &count_s) || !count_s)
		return die_usage(spec);
	count = strtoul(count_s, &ep, 10);
	if (*ep || ep == count_s)
		return die_usage(spec);
	for (i = 0; i < count; i++) {
		fd = socket(sock_family(&d), SOCK_STREAM, 0);
		err = fd < 0 ? errno : connect_bounded(fd, &d);
		if (fd >= 0)
			close(fd);
		if (!err) {
			ok++;
		} else if (!errors++) {
			first_err = err;
		}
	}
	printf("connects %s %s ok=%lu errors=%lu\n", d.text,
	       errors ? errname(first_err) : "ok", ok, errors);
	fflush(stdout);
	return 0;
}

static void do_wait_file(const char *spec)
{
	char path[4096];
	const char *colon = strrchr(spec, ':');
	long timeout = 10000, deadline;
	size_t n = strlen(spec);

	if (colon && colon[1] >= '0' && colon[1] <= '9') {
		timeout = atol(colon + 1);
		n = colon - spec;
	}
	if (n >= sizeof(path))
		n = sizeof(path) - 1;
	memcpy(path, spec, n);
	path[n] = '\0';
	deadline = now_ms() + timeout;
	while (access(path, F_OK)) {
		if (now_ms() >= deadline) {
			result("wait-file", path, ETIMEDOUT);
			return;
		}
		sleep_ms(20);
	}
	result("wait-file", path, 0);
}

static int do_fork(void)
{
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "sovtest: failed to fork: %s\n", strerror(errno));
		return 2;
	}
	if (pid == 0)
		return -1;	/* the child runs the remaining actions */
	printf("fork child=%d\n", (int)pid);
	fflush(stdout);
	if (cur_sock >= 0)
		close(cur_sock);
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			fprintf(stderr, "sovtest: failed to wait for child: %s\n",
				strerror(errno));
			return 2;
		}
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : 2;
}

static int do_exec(const char *prog, int argc, char **argv)
{
	char **nargv = calloc(argc + 2, sizeof(*nargv));
	const char *path = prog;

	if (!nargv)
		return 2;
	if (!strcmp(prog, "self"))
		path = "/proc/self/exe";
	nargv[0] = (char *)prog;
	memcpy(nargv + 1, argv, argc * sizeof(*argv));
	fflush(stdout);
	execv(path, nargv);
	result("exec", prog, errno);
	free(nargv);
	return 2;
}

/* ------------------------------------------------------------- channels */

#ifndef AF_XDP
#define AF_XDP 44
#endif

static const struct {
	const char *kind;
	int family, type, protocol;
} kinds[] = {
	{ "ping4", AF_INET, SOCK_DGRAM, IPPROTO_ICMP },
	{ "ping6", AF_INET6, SOCK_DGRAM, IPPROTO_ICMPV6 },
	{ "raw4", AF_INET, SOCK_RAW, IPPROTO_ICMP },
	{ "raw6", AF_INET6, SOCK_RAW, IPPROTO_ICMPV6 },
	{ "packet", AF_PACKET, SOCK_DGRAM, ETH_P_IP },	/* socket() takes it in network order */
	{ "xdp", AF_XDP, SOCK_RAW, 0 },
	{ "sctp", AF_INET, SOCK_STREAM, IPPROTO_SCTP },
	{ "udplite", AF_INET, SOCK_DGRAM, IPPROTO_UDPLITE },
	{ "vsock", AF_VSOCK, SOCK_STREAM, 0 },	/* a family other than IP (50-families) */
};

static int chan_sock = -1, chan_kind = -1;

static int do_sock(const char *kind)
{
	int k, fd, proto;

	for (k = 0; k < (int)(sizeof(kinds) / sizeof(kinds[0])); k++)
		if (!strcmp(kinds[k].kind, kind))
			break;
	if (k == (int)(sizeof(kinds) / sizeof(kinds[0])))
		return die_usage(kind);
	proto = kinds[k].family == AF_PACKET ? htons(ETH_P_IP) : kinds[k].protocol;
	fd = socket(kinds[k].family, kinds[k].type, proto);
	result("sock", kind, fd < 0 ? errno : 0);
	if (fd < 0)
		return 0;
	if (chan_sock >= 0)
		close(chan_sock);
	chan_sock = fd;
	chan_kind = k;
	return 0;
}

static uint16_t inet_csum(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

/*
 * An echo request on a ping or raw socket and the wait for its reply. The
 * reply proves the request reached the peer; its absence (with the peer's
 * own counter, which run.sh reads) that it did not.
 */
static int do_echo(const char *spec)
{
	const char *slash = strchr(spec, '/');
	struct sockaddr_storage ss = {};
	uint8_t pkt[256], buf[2048];
	char addr[INET6_ADDRSTRLEN + 1];
	size_t n, tlen;
	socklen_t sl;
	int v6, raw;
	long deadline;

	if (!slash || (size_t)(slash - spec) >= sizeof(addr))
		return die_usage(spec);
	memcpy(addr, spec, slash - spec);
	addr[slash - spec] = '\0';
	tlen = strlen(slash + 1);
	if (tlen > sizeof(pkt) - 8)
		return die_usage(spec);
	if (chan_sock < 0 || chan_kind > 3) {
		result("echo", addr, EBADF);
		return 0;
	}
	v6 = kinds[chan_kind].family == AF_INET6;
	raw = kinds[chan_kind].type == SOCK_RAW;
	if (v6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		if (inet_pton(AF_INET6, addr, &s6->sin6_addr) != 1)
			return die_usage(spec);
		sl = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		if (inet_pton(AF_INET, addr, &s4->sin_addr) != 1)
			return die_usage(spec);
		sl = sizeof(*s4);
	}
	/* type, code, checksum, id, sequence, payload. The kernel fills the
	 * checksum of ping sockets and of ICMPv6; a raw IPv4 socket needs it. */
	memset(pkt, 0, 8);
	pkt[0] = v6 ? 128 : 8;
	pkt[4] = (uint8_t)(getpid() >> 8);
	pkt[5] = (uint8_t)getpid();
	pkt[7] = 1;
	memcpy(pkt + 8, slash + 1, tlen);
	n = 8 + tlen;
	if (raw && !v6) {
		uint16_t c = inet_csum(pkt, n);

		memcpy(pkt + 2, &c, 2);
	}
	if (sendto(chan_sock, pkt, n, 0, (struct sockaddr *)&ss, sl) < 0) {
		result("echo", addr, errno);
		return 0;
	}
	deadline = now_ms() + 1500;
	while (now_ms() < deadline) {
		struct pollfd pfd = { .fd = chan_sock, .events = POLLIN };
		const uint8_t *icmp = buf;
		ssize_t got;

		if (poll(&pfd, 1, (int)(deadline - now_ms())) != 1)
			break;
		got = recv(chan_sock, buf, sizeof(buf), 0);
		if (got <= 0)
			break;
		/* A raw IPv4 socket receives the IP header too. */
		if (raw && !v6) {
			size_t ihl = (size_t)(buf[0] & 0xf) * 4;

			if ((size_t)got < ihl + 8)
				continue;
			icmp = buf + ihl;
			got -= (ssize_t)ihl;
		}
		if ((size_t)got == n && icmp[0] == (v6 ? 129 : 0) &&
		    !memcmp(icmp + 8, slash + 1, tlen)) {
			result("echo", addr, 0);
			return 0;
		}
	}
	result("echo", addr, ETIMEDOUT);
	return 0;
}

/* An IPv4/UDP datagram written as a link-layer frame (AF_PACKET): it never
 * passes the IP stack of the sending host. */
static int do_frame(char *spec)
{
	char *f[5], *save = NULL, target[64];
	struct sockaddr_ll sll = {};
	uint8_t pkt[512];
	struct in_addr src, dst;
	size_t tlen, n;
	uint16_t c;
	int i;

	f[0] = strtok_r(spec, ":", &save);
	for (i = 1; i < 4; i++)
		f[i] = strtok_r(NULL, ":", &save);
	f[4] = save;
	for (i = 0; i < 5; i++)
		if (!f[i] || !*f[i])
			return die_usage("frame");
	if (inet_pton(AF_INET, f[1], &src) != 1 || inet_pton(AF_INET, f[2], &dst) != 1)
		return die_usage("frame");
	snprintf(target, sizeof(target), "%s:%s", f[2], f[3]);
	tlen = strlen(f[4]);
	if (tlen > sizeof(pkt) - 28)
		return die_usage("frame");
	if (chan_sock < 0 || kinds[chan_kind].family != AF_PACKET) {
		result("frame", target, EBADF);
		return 0;
	}
	n = 28 + tlen;
	memset(pkt, 0, 28);
	pkt[0] = 0x45;
	pkt[2] = (uint8_t)(n >> 8);
	pkt[3] = (uint8_t)n;
	pkt[8] = 64;
	pkt[9] = IPPROTO_UDP;
	memcpy(pkt + 12, &src, 4);
	memcpy(pkt + 16, &dst, 4);
	c = inet_csum(pkt, 20);
	memcpy(pkt + 10, &c, 2);
	pkt[20] = 0x9c;		/* source port 40000 */
	pkt[21] = 0x40;
	pkt[22] = (uint8_t)(atoi(f[3]) >> 8);
	pkt[23] = (uint8_t)atoi(f[3]);
	pkt[24] = (uint8_t)((n - 20) >> 8);
	pkt[25] = (uint8_t)(n - 20);
	/* UDP checksum 0: none, allowed over IPv4 */
	memcpy(pkt + 28, f[4], tlen);
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_IP);
	sll.sll_ifindex = (int)if_nametoindex(f[0]);
	sll.sll_halen = 6;
	memset(sll.sll_addr, 0xff, 6);
	if (!sll.sll_ifindex) {
		result("frame", target, errno);
		return 0;
	}
	if (sendto(chan_sock, pkt, n, 0, (struct sockaddr *)&sll, sizeof(sll)) < 0)
		result("frame", target, errno);
	else
		result("frame", target, 0);
	return 0;
}

static void do_poke(void)
{
	const char *kind = chan_kind >= 0 ? kinds[chan_kind].kind : "-";

	if (chan_sock < 0) {
		result("poke", kind, EBADF);
		return;
	}
	result("poke", kind, sendto(chan_sock, "x", 1, MSG_DONTWAIT, NULL, 0) < 0 ? errno : 0);
}

/* ------------------------------------------ protocol details (30-proto) */

static int usock = -1;

static int do_usock(const char *fam)
{
	int v6 = !strcmp(fam, "6"), zero = 0, fd;

	if (!v6 && strcmp(fam, "4"))
		return die_usage(fam);
	fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM, 0);
	if (fd >= 0 && v6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	result("usock", fam, fd < 0 ? errno : 0);
	if (fd < 0)
		return 0;
	if (usock >= 0)
		close(usock);
	usock = fd;
	return 0;
}

static int do_uconnect(const char *spec)
{
	const char *rest;
	struct dst d;

	if (parse_dst(spec, 0, &d, &rest))
		return die_usage(spec);
	result("uconnect", d.text,
	       connect(usock, (struct sockaddr *)&d.ss, d.len) < 0 ? errno : 0);
	return 0;
}

/* sendto() on the current UDP socket; family >= 0 overrides sa_family. */
static int do_usendto(const char *action, const char *spec, int family, int flags)
{
	const char *text;
	struct dst d;
	ssize_t n;

	if (parse_dst(spec, 1, &d, &text) || !text)
		return die_usage(spec);
	if (family >= 0)
		d.ss.ss_family = (sa_family_t)family;
	n = sendto(usock, text, strlen(text), flags, (struct sockaddr *)&d.ss, d.len);
	result(action, d.text, n < 0 ? errno : 0);
	return 0;
}

static void do_usend(const char *text)
{
	ssize_t n = send(usock, text, strlen(text), 0);

	result("usend", text, n < 0 ? errno : 0);
}

static int do_ucork(const char *on)
{
	int v = atoi(on);

	result("ucork", on, setsockopt(usock, IPPROTO_UDP, UDP_CORK, &v, sizeof(v)) < 0 ?
	       errno : 0);
	return 0;
}

static int do_lsrr(const char *hop)
{
	uint8_t o[8] = { IPOPT_NOP, IPOPT_LSRR, 7, 4 };
	int one = 1;

	if (inet_pton(AF_INET, hop, o + 4) != 1)
		return die_usage(hop);
	if (setsockopt(usock, SOL_SOCKET, SO_NO_CHECK, &one, sizeof(one)) < 0) {
		result("lsrr", hop, errno);
		return 0;
	}
	result("lsrr", hop, setsockopt(usock, IPPROTO_IP, IP_OPTIONS, o, sizeof(o)) < 0 ?
	       errno : 0);
	return 0;
}

static int do_lsrrmsg(char *spec)
{
	uint8_t o[8] = { IPOPT_NOP, IPOPT_LSRR, 7, 4 };
	union {
		char buf[CMSG_SPACE(sizeof(o))];
		struct cmsghdr align;
	} u;
	char *text = strchr(spec, ':');
	struct iovec iov;
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
			    .msg_controllen = sizeof(u.buf) };
	struct cmsghdr *c;
	int one = 1;

	if (!text)
		return die_usage(spec);
	*text++ = '\0';
	if (inet_pton(AF_INET, spec, o + 4) != 1)
		return die_usage(spec);
	memset(&u, 0, sizeof(u));
	c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = IPPROTO_IP;
	c->cmsg_type = IP_RETOPTS;
	c->cmsg_len = CMSG_LEN(sizeof(o));
	memcpy(CMSG_DATA(c), o, sizeof(o));
	iov.iov_base = text;
	iov.iov_len = strlen(text);
	setsockopt(usock, SOL_SOCKET, SO_NO_CHECK, &one, sizeof(one));
	result("lsrrmsg", text, sendmsg(usock, &m, 0) < 0 ? errno : 0);
	return 0;
}

/* Two segments: [0] the final destination (the kernel writes the socket's
 * own), [1] the first hop, which the packet's header names. */
static int do_rthdr(const char *hop)
{
	uint8_t buf[sizeof(struct ipv6_sr_hdr) + 2 * sizeof(struct in6_addr)];
	struct ipv6_sr_hdr *srh = (struct ipv6_sr_hdr *)buf;

	memset(buf, 0, sizeof(buf));
	srh->hdrlen = (sizeof(buf) >> 3) - 1;
	srh->type = IPV6_SRCRT_TYPE_4;
	srh->segments_left = 1;
	srh->first_segment = 1;
	if (inet_pton(AF_INET6, hop, &srh->segments[1]) != 1)
		return die_usage(hop);
	result("rthdr", hop, setsockopt(usock, IPPROTO_IPV6, IPV6_RTHDR, buf, sizeof(buf)) < 0 ?
	       errno : 0);
	return 0;
}

static int do_tfo(const char *spec)
{
	struct timeval tv = { .tv_sec = CONNECT_TIMEOUT_MS / 1000 };
	const char *text;
	struct dst d;
	ssize_t n;
	int fd;

	if (parse_dst(spec, 1, &d, &text) || !text)
		return die_usage(spec);
	fd = socket(sock_family(&d), SOCK_STREAM, 0);
	if (fd < 0) {
		result("tfo", d.text, errno);
		return 0;
	}
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	n = sendto(fd, text, strlen(text), MSG_FASTOPEN | MSG_NOSIGNAL,
		   (struct sockaddr *)&d.ss, d.len);
	result("tfo", d.text, n < 0 ? errno : 0);
	if (n < 0) {
		close(fd);
		return 0;
	}
	if (cur_sock >= 0)
		close(cur_sock);
	cur_sock = fd;
	return 0;
}

/* ---- io_uring (issue 11, tests/scenarios/parts/68-iouring.sh) ---- */
struct uring {
	int fd;
	struct io_uring_params p;
	char *sq, *cq;
	struct io_uring_sqe *sqes;
	size_t sq_sz, cq_sz, sqe_sz;
};

static void uring_close(struct uring *r)
{
	if (r->sqes && r->sqes != MAP_FAILED)
		munmap(r->sqes, r->sqe_sz);
	if (r->cq && r->cq != MAP_FAILED && r->cq != r->sq)
		munmap(r->cq, r->cq_sz);
	if (r->sq && r->sq != MAP_FAILED)
		munmap(r->sq, r->sq_sz);
	if (r->fd >= 0)
		close(r->fd);
}

/* 0 or an errno */
static int uring_open(struct uring *r)
{
	memset(r, 0, sizeof(*r));
	r->fd = (int)syscall(__NR_io_uring_setup, 4, &r->p);
	if (r->fd < 0)
		return errno;
	r->sq_sz = r->p.sq_off.array + r->p.sq_entries * sizeof(unsigned);
	r->cq_sz = r->p.cq_off.cqes + r->p.cq_entries * sizeof(struct io_uring_cqe);
	if (r->p.features & IORING_FEAT_SINGLE_MMAP)
		r->sq_sz = r->cq_sz = r->sq_sz > r->cq_sz ? r->sq_sz : r->cq_sz;
	r->sqe_sz = r->p.sq_entries * sizeof(struct io_uring_sqe);
	r->sq = mmap(NULL, r->sq_sz, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
		     r->fd, IORING_OFF_SQ_RING);
	r->cq = (r->p.features & IORING_FEAT_SINGLE_MMAP) ? r->sq :
		mmap(NULL, r->cq_sz, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
		     r->fd, IORING_OFF_CQ_RING);
	r->sqes = mmap(NULL, r->sqe_sz, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
		       r->fd, IORING_OFF_SQES);
	if (r->sq == MAP_FAILED || r->cq == MAP_FAILED || r->sqes == MAP_FAILED)
		return errno;
	return 0;
}

/* Submits *sqe and waits for its completion; returns cqe->res or -errno. */
static int uring_run(struct uring *r, const struct io_uring_sqe *sqe)
{
	unsigned tail, idx, head;
	struct io_uring_cqe *cqe;
	int res;

	tail = *(unsigned *)(r->sq + r->p.sq_off.tail);
	idx = tail & *(unsigned *)(r->sq + r->p.sq_off.ring_mask);
	r->sqes[idx] = *sqe;
	((unsigned *)(r->sq + r->p.sq_off.array))[idx] = idx;
	__atomic_store_n((unsigned *)(r->sq + r->p.sq_off.tail), tail + 1, __ATOMIC_RELEASE);
	if (syscall(__NR_io_uring_enter, r->fd, 1, 1, IORING_ENTER_GETEVENTS, NULL, 0) < 0)
		return -errno;
	head = __atomic_load_n((unsigned *)(r->cq + r->p.cq_off.head), __ATOMIC_ACQUIRE);
	cqe = &((struct io_uring_cqe *)(r->cq + r->p.cq_off.cqes))
		[head & *(unsigned *)(r->cq + r->p.cq_off.ring_mask)];
	res = cqe->res;
	__atomic_store_n((unsigned *)(r->cq + r->p.cq_off.head), head + 1, __ATOMIC_RELEASE);
	return res;
}

/* IORING_OP_READ or IORING_OP_WRITE on fixed file 0; 0 or an errno */
static int uring_rw0(struct uring *r, int write, const char *text, char *buf, size_t n)
{
	struct io_uring_sqe sqe;
	int res;

	memset(&sqe, 0, sizeof(sqe));
	sqe.opcode = write ? IORING_OP_WRITE : IORING_OP_READ;
	sqe.flags = IOSQE_FIXED_FILE;
	sqe.fd = 0;
	sqe.addr = (unsigned long)(write ? text : buf);
	sqe.len = write ? strlen(text) : n;
	res = uring_run(r, &sqe);
	return res < 0 ? -res : 0;
}

/* uring-fixed-read / uring-fixed-write (see the header) */
static void do_uring_fixed(const char *name, const char *spec, int write)
{
	char path[4096], buf[4096];
	const char *text = "uring-data", *colon = write ? strchr(spec, ':') : NULL;
	size_t n = colon ? (size_t)(colon - spec) : strlen(spec);
	struct io_uring_sqe sqe;
	struct uring r;
	int slot = -1, err, res;

	if (n >= sizeof(path))
		n = sizeof(path) - 1;
	memcpy(path, spec, n);
	path[n] = '\0';
	if (colon)
		text = colon + 1;
	err = uring_open(&r);
	if (err)
		goto out;
	/* one sparse fixed-file slot */
	if (syscall(__NR_io_uring_register, r.fd, IORING_REGISTER_FILES, &slot, 1) < 0) {
		err = errno;
		goto out;
	}
	memset(&sqe, 0, sizeof(sqe));
	sqe.opcode = IORING_OP_OPENAT;
	sqe.fd = AT_FDCWD;
	sqe.addr = (unsigned long)path;
	sqe.open_flags = write ? O_WRONLY | O_CREAT | O_TRUNC : O_RDONLY;
	sqe.len = 0644;
	sqe.file_index = 1;	/* slot 0 */
	res = uring_run(&r, &sqe);
	if (res < 0) {
		err = -res;
		goto out;
	}
	err = uring_rw0(&r, write, text, buf, sizeof(buf));
out:
	uring_close(&r);
	result(name, path, err);
}

static struct uring reg_ring = { .fd = -1 };

static void do_uring_reg(const char *path)
{
	int fd, err;

	err = uring_open(&reg_ring);
	if (!err) {
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0)
			err = errno;
		else if (syscall(__NR_io_uring_register, reg_ring.fd, IORING_REGISTER_FILES,
				 &fd, 1) < 0)
			err = errno;
		if (fd >= 0)
			close(fd);
	}
	result("uring-reg", path, err);
}

static void do_uring_write_reg(const char *text)
{
	result("uring-write-reg", text,
	       reg_ring.fd < 0 ? EBADF : uring_rw0(&reg_ring, 1, text, NULL, 0));
}

static int run_actions(int argc, char **argv);

/* ------------------------------------------------ senders (issue 10) */

#include <sys/sendfile.h>
#include <sys/un.h>

#ifndef __NR_pidfd_open
#define __NR_pidfd_open		434
#endif
#ifndef __NR_pidfd_getfd
#define __NR_pidfd_getfd	438
#endif

/* The actions up to the next "join" run in a child; returns the index of
 * that "join" (or argc) in the parent, -1 with *status in the child's exit. */
static int do_fork_wait(int i, int argc, char **argv, int *rc)
{
	int j, status;
	pid_t pid;

	for (j = i + 1; j < argc && strcmp(argv[j], "join"); j++)
		;
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "sovtest: failed to fork: %s\n", strerror(errno));
		*rc = 2;
		return -1;
	}
	if (pid == 0) {
		int r = run_actions(j - i - 1, argv + i + 1);

		fflush(stdout);
		_exit(r);
	}
	printf("fork-wait child=%d\n", (int)pid);
	fflush(stdout);
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			*rc = 2;
			return -1;
		}
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		*rc = WIFEXITED(status) ? WEXITSTATUS(status) : 2;
		return -1;
	}
	return j;
}

static int unix_addr(const char *path, struct sockaddr_un *sun)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun->sun_path))
		return -1;
	strcpy(sun->sun_path, path);
	return 0;
}

static void do_pass_fd(const char *path)
{
	struct pollfd pfd;
	struct sockaddr_un sun;
	char cbuf[CMSG_SPACE(sizeof(int))], b = 'f';
	struct iovec iov = { .iov_base = &b, .iov_len = 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *cm;
	int l, c, err = 0;

	if (cur_sock < 0 || unix_addr(path, &sun)) {
		result("pass-fd", path, cur_sock < 0 ? ENOTCONN : ENAMETOOLONG);
		return;
	}
	unlink(path);
	l = socket(AF_UNIX, SOCK_STREAM, 0);
	if (l < 0 || bind(l, (struct sockaddr *)&sun, sizeof(sun)) || listen(l, 1)) {
		result("pass-fd", path, errno);
		if (l >= 0)
			close(l);
		return;
	}
	pfd.fd = l;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, 10000) != 1) {
		err = ETIMEDOUT;
		goto out;
	}
	c = accept(l, NULL, NULL);
	if (c < 0) {
		err = errno;
		goto out;
	}
	memset(cbuf, 0, sizeof(cbuf));
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &cur_sock, sizeof(int));
	if (sendmsg(c, &mh, 0) < 0)
		err = errno;
	close(c);
out:
	close(l);
	unlink(path);
	result("pass-fd", path, err);
}

/* issue 11, parts/61-fdpass-taint.sh: recv-fd-mm receives with recvmmsg() */
static int recv_fd_mm;

static ssize_t recv_fd_msg(int c, struct msghdr *mh)
{
	struct mmsghdr mm = { .msg_hdr = *mh };
	int n;

	if (!recv_fd_mm)
		return recvmsg(c, mh, 0);
	n = recvmmsg(c, &mm, 1, 0, NULL);
	if (n != 1)
		return n < 0 ? -1 : 0;
	*mh = mm.msg_hdr;
	return mm.msg_len;
}

static void do_recv_fd(const char *path)
{
	struct sockaddr_un sun;
	char cbuf[CMSG_SPACE(sizeof(int))], b;
	struct iovec iov = { .iov_base = &b, .iov_len = 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *cm;
	long deadline = now_ms() + 10000;
	int c, fd = -1, err = 0;

	if (unix_addr(path, &sun)) {
		result("recv-fd", path, ENAMETOOLONG);
		return;
	}
	c = socket(AF_UNIX, SOCK_STREAM, 0);
	if (c < 0) {
		result("recv-fd", path, errno);
		return;
	}
	while (connect(c, (struct sockaddr *)&sun, sizeof(sun))) {
		if (now_ms() >= deadline) {
			err = errno;
			goto out;
		}
		sleep_ms(20);
	}
	if (recv_fd_msg(c, &mh) <= 0) {
		err = errno ? errno : EPROTO;
		goto out;
	}
	cm = CMSG_FIRSTHDR(&mh);
	if (!cm || cm->cmsg_type != SCM_RIGHTS) {
		err = EPROTO;
		goto out;
	}
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	if (cur_sock >= 0)
		close(cur_sock);
	cur_sock = fd;
out:
	close(c);
	result("recv-fd", path, err);
}

/* issue 11, parts/61-fdpass-taint.sh: a file's fd in the current slot */
static void do_open_keep(const char *path)
{
	int fd = open(path, O_RDONLY);

	if (fd >= 0) {
		if (cur_sock >= 0)
			close(cur_sock);
		cur_sock = fd;
	}
	result("open-keep", path, fd < 0 ? errno : 0);
}

/* issue 11, parts/62-fdwalk.sh: a file open for writing in the current slot */
static void do_open_wkeep(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd >= 0) {
		if (cur_sock >= 0)
			close(cur_sock);
		cur_sock = fd;
	}
	result("open-wkeep", path, fd < 0 ? errno : 0);
}

static void do_dup_to(const char *arg)
{
	struct rlimit rl;
	long n = atol(arg);
	int err = 0;

	if (cur_sock < 0 || n < 3 || n > (1L << 20)) {
		result("dup-to", arg, cur_sock < 0 ? ENOTCONN : EINVAL);
		return;
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur <= (rlim_t)n) {
		rl.rlim_cur = (rlim_t)n + 1;
		if (rl.rlim_max < rl.rlim_cur)
			rl.rlim_max = rl.rlim_cur;
		if (setrlimit(RLIMIT_NOFILE, &rl))
			err = errno;
	}
	if (!err && cur_sock != n) {
		if (dup2(cur_sock, (int)n) < 0) {
			err = errno;
		} else {
			close(cur_sock);
			cur_sock = (int)n;
		}
	}
	result("dup-to", arg, err);
}

static void do_read_fd(void)
{
	char buf[4096], name[16];
	ssize_t n;
	off_t off = 0;
	int err = 0;

	snprintf(name, sizeof(name), "%d", cur_sock);
	if (cur_sock < 0) {
		result("read-fd", name, EBADF);
		return;
	}
	while ((n = pread(cur_sock, buf, sizeof(buf), off)) > 0)
		off += n;
	if (n < 0)
		err = errno;
	result("read-fd", name, err);
}

static int do_getfd(const char *spec)
{
	char *ep;
	long pid = strtol(spec, &ep, 10), tfd;
	int pidfd, fd;

	if (ep == spec || *ep != ':')
		return die_usage(spec);
	tfd = strtol(ep + 1, &ep, 10);
	if (*ep)
		return die_usage(spec);
	pidfd = (int)syscall(__NR_pidfd_open, (pid_t)pid, 0);
	if (pidfd < 0) {
		result("getfd", spec, errno);
		return 0;
	}
	fd = (int)syscall(__NR_pidfd_getfd, pidfd, (int)tfd, 0);
	result("getfd", spec, fd < 0 ? errno : 0);
	close(pidfd);
	if (fd >= 0) {
		if (cur_sock >= 0)
			close(cur_sock);
		cur_sock = fd;
	}
	return 0;
}

static void do_write_sock(const char *text)
{
	ssize_t n;

	if (cur_sock < 0) {
		result("write-sock", text, ENOTCONN);
		return;
	}
	n = write(cur_sock, text, strlen(text));
	result("write-sock", text, n < 0 ? errno : 0);
}

static void do_write_sock_ia32(const char *text)
{
#if defined(__x86_64__)
	long n;

	if (cur_sock < 0) {
		result("write-sock-ia32", text, ENOTCONN);
		return;
	}
	snprintf(ia32_path, sizeof(ia32_path), "%s", text);
	if ((unsigned long)ia32_path > 0xffffffffUL) {
		result("write-sock-ia32", text, ENOTSUP);
		return;
	}
	__asm__ volatile("int $0x80" : "=a"(n)
			 : "a"(4L), "b"((long)cur_sock), "c"(ia32_path), "d"((long)strlen(ia32_path))
			 : "memory");
	result("write-sock-ia32", text, n < 0 ? (int)-n : 0);
#else
	result("write-sock-ia32", text, ENOTSUP);
#endif
}

/* sendfile() or splice() the whole FILE to the current socket. */
static void do_file_to_sock(const char *path, int use_splice)
{
	const char *what = use_splice ? "splice" : "sendfile";
	struct stat st;
	int fd, p[2], err = 0;
	ssize_t n;

	if (cur_sock < 0) {
		result(what, path, ENOTCONN);
		return;
	}
	fd = open(path, O_RDONLY);
	if (fd < 0 || fstat(fd, &st)) {
		result(what, path, errno);
		if (fd >= 0)
			close(fd);
		return;
	}
	if (!use_splice) {
		n = sendfile(cur_sock, fd, NULL, (size_t)st.st_size);
		if (n < 0)
			err = errno;
	} else if (pipe(p)) {
		err = errno;
	} else {
		n = splice(fd, NULL, p[1], NULL, (size_t)st.st_size, 0);
		if (n < 0)
			err = errno;
		else if (splice(p[0], NULL, cur_sock, NULL, (size_t)n, 0) < 0)
			err = errno;
		close(p[0]);
		close(p[1]);
	}
	close(fd);
	result(what, path, err);
}

/* ---------------------------------------------- devices (parts/40-rdma.sh) */

static int dev_fd = -1;
static char dev_path[256] = "-";

static void do_dev(const char *path)
{
	if (dev_fd >= 0)
		close(dev_fd);
	snprintf(dev_path, sizeof(dev_path), "%s", path);
	dev_fd = open(path, O_RDWR | O_CLOEXEC);
	result("dev", path, dev_fd < 0 ? errno : 0);
}

static void do_dev_write(void)
{
	static const char zero[8];

	if (dev_fd < 0) {
		result("dev-write", dev_path, EBADF);
		return;
	}
	result("dev-write", dev_path, write(dev_fd, zero, sizeof(zero)) < 0 ? errno : 0);
}

static void do_dev_ioctl(void)
{
	if (dev_fd < 0) {
		result("dev-ioctl", dev_path, EBADF);
		return;
	}
	result("dev-ioctl", dev_path, ioctl(dev_fd, 0, 0) < 0 ? errno : 0);
}

static void do_dev_mmap(void)
{
	void *p;

	if (dev_fd < 0) {
		result("dev-mmap", dev_path, EBADF);
		return;
	}
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, dev_fd, 0);
	result("dev-mmap", dev_path, p == MAP_FAILED ? errno : 0);
	if (p != MAP_FAILED)
		munmap(p, 4096);
}

/* parts/60-derive-kinds.sh */
/* mappings: parts/63-mmap.sh */
static int map_fd = -1;

/* The fd is moved to 2000 (the soft fd limit raised to the hard one for
 * it): above the 1024 fds the kernel's walk at taint time looks at, so a
 * derivative comes only from the mapping itself. */
static void do_map_open(const char *path, int rdonly)
{
	struct rlimit rl;
	int fd = rdonly ? open(path, O_RDONLY) : open(path, O_RDWR | O_CREAT, 0644);

	if (fd < 0) {
		result("map-open", path, errno);
		return;
	}
	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < 2100 && rl.rlim_max >= 2100) {
		rl.rlim_cur = 2100;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	map_fd = fcntl(fd, F_DUPFD_CLOEXEC, 2000);
	if (map_fd < 0) {
		result("map-open", path, errno);
		close(fd);
		return;
	}
	close(fd);
	result("map-open", path, 0);
}

static void do_map_write(const char *spec)
{
	int shared = !strncmp(spec, "shared:", 7);
	const char *text = strchr(spec, ':');
	const char *mode = shared ? "shared" : "private";
	size_t n;
	char *p;
	int err = 0;

	if (map_fd < 0 || !text) {
		result("map-write", mode, EBADF);
		return;
	}
	text++;
	n = strlen(text);
	if (n > 4096)
		n = 4096;
	/* a read-only fd (map-open-ro) maps a file that already has a page */
	if ((fcntl(map_fd, F_GETFL) & O_ACCMODE) != O_RDONLY && ftruncate(map_fd, 4096) < 0) {
		result("map-write", mode, errno);
		return;
	}
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, shared ? MAP_SHARED : MAP_PRIVATE,
		 map_fd, 0);
	if (p == MAP_FAILED) {
		result("map-write", mode, errno);
		return;
	}
	memcpy(p, text, n);
	if (msync(p, 4096, MS_SYNC) < 0)
		err = errno;
	munmap(p, 4096);
	result("map-write", mode, err);
}

static void do_map_close(const char *path)
{
	int fd = open(path, O_RDONLY);
	void *p;

	if (fd < 0) {
		result("map-close", path, errno);
		return;
	}
	p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	result("map-close", path, p == MAP_FAILED ? errno : 0);	/* mapped until exit */
}

/* issue 12: attempts on sovd's own objects (parts/70-selfprot.sh) */
static int bpf_obj_get_path(const char *path, int rdonly)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.pathname = (__u64)(unsigned long)path;
	a.file_flags = rdonly ? BPF_F_RDONLY : 0;
	return (int)syscall(__NR_bpf, BPF_OBJ_GET, &a, sizeof(a));
}

static void do_bpf_get(const char *spec)
{
	int ro = !strncmp(spec, "ro:", 3);
	const char *path = strchr(spec, ':');
	int fd = path ? bpf_obj_get_path(path + 1, ro) : -1;

	result("bpf-get", ro ? "ro" : "rw", fd < 0 ? (path ? errno : EINVAL) : 0);
	if (fd >= 0)
		close(fd);
}

static void do_bpf_detach(const char *path)
{
	int fd = bpf_obj_get_path(path, 0), err = 0;
	union bpf_attr a;

	if (fd < 0) {
		result("bpf-detach", path, errno);
		return;
	}
	memset(&a, 0, sizeof(a));
	a.link_detach.link_fd = fd;
	if (syscall(__NR_bpf, BPF_LINK_DETACH, &a, sizeof(a)) < 0)
		err = errno;
	close(fd);
	result("bpf-detach", path, err);
}

static void do_append(const char *path)
{
	int fd = open(path, O_WRONLY | O_APPEND);

	result("append", path, fd < 0 ? errno : 0);
	if (fd >= 0)
		close(fd);
}

/* issue 12: labels of deleted inodes (parts/69-reclaim.sh) */
static void do_inode(const char *path)
{
	struct stat st;

	if (lstat(path, &st)) {
		result("inode", path, errno);
		return;
	}
	printf("inode %s %llu:%llu\n", path,
	       (unsigned long long)(((__u64)major(st.st_dev) << 20) | minor(st.st_dev)),
	       (unsigned long long)st.st_ino);
	fflush(stdout);
}

static void do_label_of(const char *spec)
{
	char map[512];
	const char *c = strrchr(spec, ':');
	unsigned long long dev, ino;
	struct { __u64 dev, ino; } key;
	struct { __u64 classes; __u32 flags, gen; } val;
	union bpf_attr a;
	size_t n;
	int fd;

	if (!c || c == spec)
		goto usage;
	for (c--; c > spec && *c != ':'; c--)
		;
	n = (size_t)(c - spec);
	if (c == spec || n >= sizeof(map) || sscanf(c + 1, "%llu:%llu", &dev, &ino) != 2)
		goto usage;
	memcpy(map, spec, n);
	map[n] = '\0';
	fd = bpf_obj_get_path(map, 1);
	if (fd < 0) {
		result("label-of", map, errno);
		return;
	}
	key.dev = dev;
	key.ino = ino;
	memset(&a, 0, sizeof(a));
	a.map_fd = fd;
	a.key = (__u64)(unsigned long)&key;
	a.value = (__u64)(unsigned long)&val;
	if (syscall(__NR_bpf, BPF_MAP_LOOKUP_ELEM, &a, sizeof(a)) == 0)
		printf("label %llu:%llu classes=0x%llx\n", dev, ino, (unsigned long long)val.classes);
	else if (errno == ENOENT)
		printf("label %llu:%llu none\n", dev, ino);
	else
		result("label-of", map, errno);
	fflush(stdout);
	close(fd);
	return;
usage:
	result("label-of", spec, EINVAL);
}

static void do_dgram_names(const char *arg)
{
	long n = strtol(arg, NULL, 10);
	int s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0), err = 0;

	if (s < 0) {
		result("dgram-names", arg, errno);
		return;
	}
	for (long i = 0; i < n && !err; i++) {
		struct sockaddr_un un = { .sun_family = AF_UNIX };
		int len = snprintf(un.sun_path + 1, sizeof(un.sun_path) - 1,
				   "sovt-flood-%d-%ld", (int)getpid(), i);

		if (sendto(s, "x", 1, 0, (struct sockaddr *)&un,
			   (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + len)) < 0 &&
		    errno != ECONNREFUSED)
			err = errno;
	}
	close(s);
	result("dgram-names", arg, err);
}

/* a mapping whose fd is closed before the taint (agent/mapscan.c) */
static char *map_pre;

static void do_map_pre(const char *path)
{
	int fd = open(path, O_RDWR | O_CREAT, 0644);
	void *p = MAP_FAILED;
	int err;

	if (fd < 0) {
		result("map-pre", path, errno);
		return;
	}
	if (!ftruncate(fd, 4096))
		p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	err = p == MAP_FAILED ? errno : 0;
	close(fd);
	if (!err)
		map_pre = p;
	result("map-pre", path, err);
}

static void do_map_put(const char *text)
{
	size_t n = strlen(text);

	if (!map_pre) {
		result("map-put", "mapping", EBADF);
		return;
	}
	if (n > 4096)
		n = 4096;
	memcpy(map_pre, text, n);
	result("map-put", "mapping", msync(map_pre, 4096, MS_SYNC) ? errno : 0);
}

static void do_hold_rw(const char *spec)
{
	char path[4096];
	const char *text = "", *colon = strchr(spec, ':');
	size_t n = colon ? (size_t)(colon - spec) : strlen(spec);
	int fd, err = 0;

	if (n >= sizeof(path))
		n = sizeof(path) - 1;
	memcpy(path, spec, n);
	path[n] = '\0';
	if (colon)
		text = colon + 1;
	fd = open(path, O_RDWR | O_NONBLOCK | O_NOCTTY);
	if (fd < 0) {
		result("hold-rw", path, errno);
		return;
	}
	if (*text && write(fd, text, strlen(text)) < 0 && errno != EAGAIN)
		err = errno;
	result("hold-rw", path, err);	/* fd stays open until exit */
}

static void do_read1(const char *path)
{
	char buf[512];
	int fd, err = 0;

	fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY);
	if (fd < 0) {
		result("read1", path, errno);
		return;
	}
	if (read(fd, buf, sizeof(buf)) < 0 && errno != EAGAIN)
		err = errno;
	close(fd);
	result("read1", path, err);
}

/* ------------------------- process and shared memory (issue 11, parts/65-procmem.sh) */

#include <sys/ipc.h>
#include <sys/ptrace.h>
#include <sys/shm.h>
#include <sys/uio.h>
#include <sys/user.h>
#if !defined(__x86_64__)
#include <elf.h>	/* NT_PRSTATUS: arm64 has only PTRACE_GETREGSET */
#endif

#ifndef __NR_memfd_create
#define __NR_memfd_create	319
#endif

/* The memory other processes read or write (mem-hold, mem-show). */
static char pm_buf[256];

/* "PID:ADDR:REST": REST is TEXT (writes) or LEN (reads) */
static int pm_spec(const char *spec, pid_t *pid, unsigned long *addr, const char **rest)
{
	char *ep;

	*pid = (pid_t)strtol(spec, &ep, 10);
	if (ep == spec || *ep != ':')
		return -1;
	*addr = strtoul(ep + 1, &ep, 0);
	if (*ep != ':')
		return -1;
	*rest = ep + 1;
	return 0;
}

static void pm_got(const char *buf, size_t n)
{
	printf("got %.*s\n", (int)strnlen(buf, n), buf);
	fflush(stdout);
}

static void do_mem_hold(const char *text)
{
	snprintf(pm_buf, sizeof(pm_buf), "%s", text);
	printf("mem-addr %#lx\n", (unsigned long)pm_buf);
	result("mem-hold", text, 0);
}

static void do_mem_show(void)
{
	printf("mem %.*s\n", (int)strnlen(pm_buf, sizeof(pm_buf)), pm_buf);
	fflush(stdout);
}

/* process_vm_writev/readv (how "vm"), /proc/PID/mem (how "pmem") */
static int do_pm_vm(const char *act, const char *spec, int write, int procmem)
{
	char buf[256] = "", path[64], tgt[32];
	unsigned long addr;
	const char *rest;
	size_t len;
	ssize_t n;
	pid_t pid;
	int fd;

	if (pm_spec(spec, &pid, &addr, &rest))
		return die_usage(spec);
	len = write ? strlen(rest) + 1 : (size_t)atol(rest);
	if (len > sizeof(buf))
		len = sizeof(buf);
	snprintf(tgt, sizeof(tgt), "%d", (int)pid);
	if (procmem) {
		snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
		fd = open(path, write ? O_WRONLY : O_RDONLY);
		if (fd < 0) {
			result(act, tgt, errno);
			return 0;
		}
		n = write ? pwrite(fd, rest, len, (off_t)addr) : pread(fd, buf, len, (off_t)addr);
		close(fd);
	} else {
		struct iovec l = { .iov_base = write ? (void *)rest : buf, .iov_len = len };
		struct iovec r = { .iov_base = (void *)addr, .iov_len = len };

		n = write ? process_vm_writev(pid, &l, 1, &r, 1, 0) :
			    process_vm_readv(pid, &l, 1, &r, 1, 0);
	}
	result(act, tgt, n < 0 ? errno : n == (ssize_t)len ? 0 : EIO);
	if (!write && n > 0)
		pm_got(buf, (size_t)n);
	return 0;
}

/* ptrace: attach, wait for the stop, then POKEDATA/PEEKDATA words of the
 * buffer (how "ptrace") or GETREGS/SETREGS (how "regs"), detach */
static int do_pm_ptrace(const char *act, const char *spec, int write, int regs)
{
	char buf[256 + sizeof(long)] = "", tgt[32];
	struct user_regs_struct ur;
	unsigned long addr;
	const char *rest;
	size_t len, off;
	int st, err = 0;
	long w;
	pid_t pid;

	if (pm_spec(spec, &pid, &addr, &rest))
		return die_usage(spec);
	if (write) {
		len = strlen(rest) + 1;
		if (len > 256)
			len = 256;
		memcpy(buf, rest, len);
	} else {
		len = (size_t)atol(rest);
		if (len > 256)
			len = 256;
	}
	snprintf(tgt, sizeof(tgt), "%d", (int)pid);
	if (ptrace(PTRACE_ATTACH, pid, NULL, NULL)) {
		result(act, tgt, errno);
		return 0;
	}
	if (waitpid(pid, &st, __WALL) < 0) {
		err = errno;
		goto out;
	}
	if (regs) {
#if defined(__x86_64__)
		if (ptrace(PTRACE_GETREGS, pid, NULL, &ur) ||
		    (write && ptrace(PTRACE_SETREGS, pid, NULL, &ur)))
			err = errno;
#else
		struct iovec iov = { .iov_base = &ur, .iov_len = sizeof(ur) };

		if (ptrace(PTRACE_GETREGSET, pid, (void *)NT_PRSTATUS, &iov) ||
		    (write && ptrace(PTRACE_SETREGSET, pid, (void *)NT_PRSTATUS, &iov)))
			err = errno;
#endif
		goto out;
	}
	for (off = 0; off < len; off += sizeof(long)) {
		if (write) {
			memcpy(&w, buf + off, sizeof(w));
			if (ptrace(PTRACE_POKEDATA, pid, (void *)(addr + off), (void *)w)) {
				err = errno;
				break;
			}
		} else {
			errno = 0;
			w = ptrace(PTRACE_PEEKDATA, pid, (void *)(addr + off), NULL);
			if (errno) {
				err = errno;
				break;
			}
			memcpy(buf + off, &w, sizeof(w));
		}
	}
out:
	ptrace(PTRACE_DETACH, pid, NULL, NULL);
	result(act, tgt, err);
	if (!write && !regs && !err)
		pm_got(buf, len);
	return 0;
}

/* SysV shm: a new segment holding TEXT (attached writable, written,
 * detached); prints "shm-id N" */
static void do_sysv_new(const char *text)
{
	int id = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
	char *p;

	if (id < 0) {
		result("sysv-new", text, errno);
		return;
	}
	p = shmat(id, NULL, 0);
	if (p == (void *)-1) {
		result("sysv-new", text, errno);
		shmctl(id, IPC_RMID, NULL);
		return;
	}
	snprintf(p, 4096, "%s", text);
	shmdt(p);
	printf("shm-id %d\n", id);
	result("sysv-new", text, 0);
}

/* attach segment ID read-only, print what it holds */
static void do_sysv_read(const char *arg)
{
	char *p = shmat(atoi(arg), NULL, SHM_RDONLY);

	if (p == (void *)-1) {
		result("sysv-read", arg, errno);
		return;
	}
	result("sysv-read", arg, 0);
	pm_got(p, 256);
	shmdt(p);
}

/* a segment attached read-only and kept (sysv-hold), shown later (sysv-show) */
static char *pm_held;

static void do_sysv_hold(const char *arg)
{
	char *p = shmat(atoi(arg), NULL, SHM_RDONLY);

	if (p != (void *)-1)
		pm_held = p;
	result("sysv-hold", arg, p == (void *)-1 ? errno : 0);
}

static void do_sysv_show(void)
{
	if (pm_held)
		pm_got(pm_held, 256);
	result("sysv-show", "held", pm_held ? 0 : ENOENT);
}

/* attach segment ID writable, write TEXT, detach */
static void do_sysv_write(const char *spec)
{
	char *ep, *p;
	int id = (int)strtol(spec, &ep, 10);

	if (ep == spec || *ep != ':') {
		result("sysv-write", spec, EINVAL);
		return;
	}
	p = shmat(id, NULL, 0);
	if (p == (void *)-1) {
		result("sysv-write", spec, errno);
		return;
	}
	snprintf(p, 4096, "%s", ep + 1);
	shmdt(p);
	result("sysv-write", spec, 0);
}

static void do_sysv_rm(const char *arg)
{
	result("sysv-rm", arg, shmctl(atoi(arg), IPC_RMID, NULL) ? errno : 0);
}

/* a page of fd mapped MAP_SHARED read-write, TEXT copied in */
static int pm_map_put(int fd, const char *text)
{
	char *p;

	if (ftruncate(fd, 4096))
		return errno;
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return errno;
	snprintf(p, 4096, "%s", text);
	munmap(p, 4096);
	return 0;
}

/* a page of fd mapped MAP_SHARED read-only, printed */
static int pm_map_get(int fd)
{
	char *p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);

	if (p == MAP_FAILED)
		return errno;
	pm_got(p, 256);
	munmap(p, 4096);
	return 0;
}

/* POSIX shm is a file under /dev/shm (shm_open is open there) */
static void do_posix_write(const char *spec)
{
	const char *colon = strchr(spec, ':');
	char path[4096];
	int fd, err;

	if (!colon || (size_t)(colon - spec) >= sizeof(path)) {
		result("posix-write", spec, EINVAL);
		return;
	}
	memcpy(path, spec, colon - spec);
	path[colon - spec] = '\0';
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0) {
		result("posix-write", path, errno);
		return;
	}
	err = pm_map_put(fd, colon + 1);
	close(fd);
	result("posix-write", path, err);
}

static void do_posix_read(const char *path)
{
	int fd = open(path, O_RDONLY), err;

	if (fd < 0) {
		result("posix-read", path, errno);
		return;
	}
	err = pm_map_get(fd);
	close(fd);
	result("posix-read", path, err);
}

/* a memfd holding TEXT (written through a shared mapping), in the current
 * fd slot (pass-fd passes it) */
static void do_memfd_new(const char *text)
{
	int fd = (int)syscall(__NR_memfd_create, "sovt", 0), err;

	if (fd < 0) {
		result("memfd-new", text, errno);
		return;
	}
	err = pm_map_put(fd, text);
	if (cur_sock >= 0)
		close(cur_sock);
	cur_sock = fd;
	result("memfd-new", text, err);
}

/* the current fd mapped shared read-only and kept (map-fd-hold), shown
 * later (map-show); memfd-put writes TEXT through a new shared mapping */
static char *pm_map_held;

static void do_map_fd_hold(void)
{
	char name[16];
	char *p = cur_sock < 0 ? MAP_FAILED :
		  mmap(NULL, 4096, PROT_READ, MAP_SHARED, cur_sock, 0);

	snprintf(name, sizeof(name), "%d", cur_sock);
	if (p != MAP_FAILED)
		pm_map_held = p;
	result("map-fd-hold", name, p == MAP_FAILED ? (cur_sock < 0 ? EBADF : errno) : 0);
}

static void do_map_show(void)
{
	if (pm_map_held)
		pm_got(pm_map_held, 256);
	result("map-show", "held", pm_map_held ? 0 : ENOENT);
}

static void do_memfd_put(const char *text)
{
	result("memfd-put", text, cur_sock < 0 ? EBADF : pm_map_put(cur_sock, text));
}

/* map the current fd (a received memfd) read-only and print it */
static void do_map_fd_read(void)
{
	char name[16];

	snprintf(name, sizeof(name), "%d", cur_sock);
	result("map-fd-read", name, cur_sock < 0 ? EBADF : pm_map_get(cur_sock));
}

/* ---- local channels: issue 11, parts/64-ipc.sh */
static int ipc_fd = -1;
static pid_t ipc_child = -1;

static int run_actions(int argc, char **argv);

static int do_ipc_fork(int i, int argc, char **argv, const char *kind, int *rc)
{
	int p[2], j, r;
	pid_t pid;

	for (j = i + 1; j < argc && strcmp(argv[j], "join"); j++)
		;
	if (!strcmp(kind, "pipe"))
		r = pipe(p);
	else if (!strcmp(kind, "pair"))
		r = socketpair(AF_UNIX, SOCK_STREAM, 0, p);
	else if (!strcmp(kind, "dpair"))
		r = socketpair(AF_UNIX, SOCK_DGRAM, 0, p);
	else
		return *rc = die_usage(kind), -1;
	if (r) {
		result("ipc-fork", kind, errno);
		return j;
	}
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		*rc = 2;
		return -1;
	}
	if (pid == 0) {
		close(p[1]);
		ipc_fd = p[0];
		r = run_actions(j - i - 1, argv + i + 1);
		fflush(stdout);
		_exit(r);
	}
	close(p[0]);
	ipc_fd = p[1];
	ipc_child = pid;
	printf("ipc-fork %s child=%d\n", kind, (int)pid);
	fflush(stdout);
	return j;
}

static void do_ipc_wait(void)
{
	int status;

	if (ipc_child < 0) {
		result("ipc-wait", "-", ECHILD);
		return;
	}
	while (waitpid(ipc_child, &status, 0) < 0 && errno == EINTR)
		;
	ipc_child = -1;
	printf("ipc-wait ok\n");
	fflush(stdout);
}

static void do_fifo(const char *path, int wr)
{
	const char *a = wr ? "fifo-w" : "fifo-r";

	if (mkfifo(path, 0600) && errno != EEXIST) {
		result(a, path, errno);
		return;
	}
	ipc_fd = open(path, wr ? O_WRONLY : O_RDONLY);
	result(a, path, ipc_fd < 0 ? errno : 0);
}

/* connect a new Unix socket of 'type' to path, retrying up to 10 s */
static void do_unix_connect(const char *a, const char *path, int type)
{
	struct sockaddr_un sun;
	long deadline = now_ms() + 10000;
	int c, err = 0;

	if (unix_addr(path, &sun)) {
		result(a, path, ENAMETOOLONG);
		return;
	}
	c = socket(AF_UNIX, type, 0);
	if (c < 0) {
		result(a, path, errno);
		return;
	}
	while (connect(c, (struct sockaddr *)&sun, sizeof(sun))) {
		if ((errno != ENOENT && errno != ECONNREFUSED) || now_ms() > deadline) {
			err = errno;
			break;
		}
		sleep_ms(50);
	}
	if (err)
		close(c);
	else
		ipc_fd = c;
	result(a, path, err);
}

static void do_unix_bind(const char *a, const char *path, int type)
{
	struct sockaddr_un sun;
	struct pollfd pfd;
	int l, c, err = 0;

	if (unix_addr(path, &sun)) {
		result(a, path, ENAMETOOLONG);
		return;
	}
	unlink(path);
	l = socket(AF_UNIX, type, 0);
	if (l < 0 || bind(l, (struct sockaddr *)&sun, sizeof(sun)) ||
	    (type == SOCK_STREAM && listen(l, 1))) {
		result(a, path, errno);
		if (l >= 0)
			close(l);
		return;
	}
	if (type != SOCK_STREAM) {
		ipc_fd = l;
		result(a, path, 0);
		return;
	}
	pfd.fd = l;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, 10000) != 1) {
		err = ETIMEDOUT;
	} else {
		c = accept(l, NULL, NULL);
		if (c < 0)
			err = errno;
		else
			ipc_fd = c;
	}
	close(l);
	unlink(path);
	result(a, path, err);
}

static void do_udg_sendto(char *spec)
{
	struct sockaddr_un sun;
	char *text = strrchr(spec, ':');
	int c, err = 0;

	if (!text)
		exit(die_usage(spec));
	*text++ = '\0';
	if (unix_addr(spec, &sun)) {
		result("udg-sendto", spec, ENAMETOOLONG);
		return;
	}
	c = socket(AF_UNIX, SOCK_DGRAM, 0);
	if (c < 0 || sendto(c, text, strlen(text), 0, (struct sockaddr *)&sun, sizeof(sun)) < 0)
		err = errno;
	if (c >= 0)
		close(c);
	result("udg-sendto", spec, err);
}

static void do_ipc_write(const char *text)
{
	if (ipc_fd < 0) {
		result("ipc-write", text, EBADF);
		return;
	}
	result("ipc-write", text, write(ipc_fd, text, strlen(text)) < 0 ? errno : 0);
}

static void ipc_alarm(int sig)
{
	(void)sig;
}

/* A blocking read(), so the reader may sit in it before the writer's
 * taint; SIGALRM (no SA_RESTART) ends it after 10 s with EINTR. */
static void do_ipc_read(void)
{
	struct sigaction sa = { .sa_handler = ipc_alarm };
	char buf[4096];
	ssize_t n;

	if (ipc_fd < 0) {
		result("ipc-read", "-", EBADF);
		return;
	}
	sigaction(SIGALRM, &sa, NULL);
	alarm(10);
	n = read(ipc_fd, buf, sizeof(buf) - 1);
	alarm(0);
	if (n < 0) {
		result("ipc-read", "-", errno);
		return;
	}
	buf[n] = '\0';
	printf("ipc-read %s\n", n ? buf : "-");
	fflush(stdout);
}

/* ipc-write/ipc-read through int $0x80 (ia32 write 4, read 3), with the
 * static buffer below 4 GiB of a non-PIE build; ENOTSUP elsewhere */
static void do_ipc_ia32(const char *text)
{
#if defined(__x86_64__)
	struct sigaction sa = { .sa_handler = ipc_alarm };
	const char *a = text ? "ipc-write-ia32" : "ipc-read-ia32";
	long n;

	if (ipc_fd < 0 || (unsigned long)ia32_path > 0xffffffffUL) {
		result(a, text ? text : "-", ipc_fd < 0 ? EBADF : ENOTSUP);
		return;
	}
	if (text) {
		snprintf(ia32_path, sizeof(ia32_path), "%s", text);
		__asm__ volatile("int $0x80" : "=a"(n)
				 : "a"(4L), "b"((long)ipc_fd), "c"(ia32_path),
				   "d"((long)strlen(ia32_path))
				 : "memory");
		result(a, text, n < 0 ? (int)-n : 0);
		return;
	}
	sigaction(SIGALRM, &sa, NULL);
	alarm(10);
	__asm__ volatile("int $0x80" : "=a"(n)
			 : "a"(3L), "b"((long)ipc_fd), "c"(ia32_path),
			   "d"((long)sizeof(ia32_path) - 1)
			 : "memory");
	alarm(0);
	if (n < 0) {
		result(a, "-", (int)-n);
		return;
	}
	ia32_path[n] = '\0';
	printf("%s %s\n", a, n ? ia32_path : "-");
	fflush(stdout);
#else
	result(text ? "ipc-write-ia32" : "ipc-read-ia32", text ? text : "-", ENOTSUP);
#endif
}

static void do_copy_to(char *spec)
{
	char *src = strchr(spec, ':'), *dst;
	int in, out, p[2], err = 0;
	ssize_t n;

	dst = src ? strchr(src + 1, ':') : NULL;
	if (!dst)
		exit(die_usage(spec));
	*src++ = '\0';
	*dst++ = '\0';
	in = open(src, O_RDONLY);
	out = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (in < 0 || out < 0) {
		err = errno;
	} else if (!strcmp(spec, "cfr")) {
		while ((n = copy_file_range(in, NULL, out, NULL, 65536, 0)) > 0)
			;
		if (n < 0)
			err = errno;
	} else if (!strcmp(spec, "sendfile")) {
		while ((n = sendfile(out, in, NULL, 65536)) > 0)
			;
		if (n < 0)
			err = errno;
	} else if (!strcmp(spec, "splice")) {
		if (pipe(p)) {
			err = errno;
		} else {
			while ((n = splice(in, NULL, p[1], NULL, 65536, 0)) > 0)
				if (splice(p[0], NULL, out, NULL, (size_t)n, 0) < 0)
					break;
			if (n < 0)
				err = errno;
			close(p[0]);
			close(p[1]);
		}
	} else {
		exit(die_usage(spec));
	}
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	result("copy-to", spec, err);
}

/* parts/66-labels.sh: an unnamed file made in DIR, then named DEST. */
static void do_tmpfile_link(char *arg)
{
	char *dest = strchr(arg, ':'), *text;
	int fd, err = 0;

	if (!dest || !(text = strchr(dest + 1, ':'))) {
		result("tmpfile-link", arg, EINVAL);
		return;
	}
	*dest++ = '\0';
	*text++ = '\0';
	fd = open(arg, O_TMPFILE | O_WRONLY, 0644);
	if (fd < 0) {
		result("tmpfile-link", dest, errno);
		return;
	}
	if (write(fd, text, strlen(text)) < 0 ||
	    linkat(fd, "", AT_FDCWD, dest, AT_EMPTY_PATH))
		err = errno;
	close(fd);
	result("tmpfile-link", dest, err);
}

static int run_actions(int argc, char **argv)
{
	int i, r;

	for (i = 0; i < argc; i++) {
		char *a = argv[i], *arg = strchr(a, ':');

		if (arg)
			arg++;
		if (!strcmp(a, "pid")) {
			printf("pid %d\n", (int)getpid());
			fflush(stdout);
		} else if (!strncmp(a, "read:", 5)) {
			do_read(arg);
		} else if (!strcmp(a, "recv")) {
			do_recv();
		} else if (!strcmp(a, "accept")) {
			do_accept();
		} else if (!strncmp(a, "listen:", 7)) {
			do_listen(arg);
		} else if (!strncmp(a, "read-uring:", 11)) {
			do_read_uring(arg);
		} else if (!strcmp(a, "ia32-probe")) {
			do_ia32_probe();
		} else if (!strncmp(a, "read-ia32:", 10)) {
			do_read_ia32(arg);
		} else if (!strncmp(a, "open-rw:", 8)) {
			do_open_rw(arg);
		} else if (!strncmp(a, "write:", 6)) {
			do_write(arg, "write", O_WRONLY | O_CREAT | O_TRUNC);
		} else if (!strncmp(a, "touch:", 6)) {
			do_write(arg, "touch", O_WRONLY | O_CREAT);
		} else if (!strncmp(a, "stat:", 5)) {
			do_stat(arg);
		} else if (!strncmp(a, "connect:", 8)) {
			if ((r = do_connect(arg)))
				return r;
		} else if (!strncmp(a, "send:", 5)) {
			do_send(arg);
		} else if (!strcmp(a, "close")) {
			if (cur_sock >= 0)
				close(cur_sock);
			cur_sock = -1;
			result("close", "socket", 0);
		} else if (!strncmp(a, "udp:", 4)) {
			if ((r = do_udp(arg)))
				return r;
		} else if (!strncmp(a, "udp-flood:", 10)) {
			if ((r = do_udp_flood(arg)))
				return r;
		} else if (!strncmp(a, "connects:", 9)) {
			if ((r = do_connects(arg)))
				return r;
		} else if (!strncmp(a, "sock:", 5)) {
			if ((r = do_sock(arg)))
				return r;
		} else if (!strncmp(a, "echo:", 5)) {
			if ((r = do_echo(arg)))
				return r;
		} else if (!strncmp(a, "frame:", 6)) {
			if ((r = do_frame(arg)))
				return r;
		} else if (!strcmp(a, "poke")) {
			do_poke();
		/* protocol details: tests/scenarios/parts/30-proto.sh */
		} else if (!strncmp(a, "usock:", 6)) {
			if ((r = do_usock(arg)))
				return r;
		} else if (!strncmp(a, "uconnect:", 9)) {
			if ((r = do_uconnect(arg)))
				return r;
		} else if (!strncmp(a, "usendto:", 8)) {
			if ((r = do_usendto("usendto", arg, -1, 0)))
				return r;
		} else if (!strncmp(a, "usendto-unspec:", 15)) {
			if ((r = do_usendto("usendto-unspec", arg, AF_UNSPEC, 0)))
				return r;
		} else if (!strncmp(a, "umore:", 6)) {
			if ((r = do_usendto("umore", arg, -1, MSG_MORE)))
				return r;
		} else if (!strncmp(a, "ucork:", 6)) {
			do_ucork(arg);
		} else if (!strncmp(a, "usend:", 6)) {
			do_usend(arg);
		} else if (!strncmp(a, "lsrr:", 5)) {
			if ((r = do_lsrr(arg)))
				return r;
		} else if (!strncmp(a, "lsrrmsg:", 8)) {
			if ((r = do_lsrrmsg(arg)))
				return r;
		} else if (!strncmp(a, "rthdr:", 6)) {
			if ((r = do_rthdr(arg)))
				return r;
		} else if (!strncmp(a, "tfo:", 4)) {
			if ((r = do_tfo(arg)))
				return r;
		} else if (!strcmp(a, "fork")) {
			r = do_fork();
			if (r >= 0)
				return r;
		} else if (!strncmp(a, "exec:", 5)) {
			return do_exec(arg, argc - i - 1, argv + i + 1);
		} else if (!strncmp(a, "sleep:", 6)) {
			sleep_ms(atol(arg));
		} else if (!strncmp(a, "wait-file:", 10)) {
			do_wait_file(arg);
		/* issue 10, parts/20-sender.sh: the sender is judged */
		} else if (!strcmp(a, "fork-wait")) {
			r = 0;
			i = do_fork_wait(i, argc, argv, &r);
			if (i < 0)
				return r;
		} else if (!strcmp(a, "join")) {
			/* the end of a fork-wait's child actions */
		} else if (!strncmp(a, "pass-fd:", 8)) {
			do_pass_fd(arg);
		} else if (!strncmp(a, "recv-fd:", 8)) {
			do_recv_fd(arg);
		} else if (!strcmp(a, "show-fd")) {
			printf("fd %d\n", cur_sock);
			fflush(stdout);
		} else if (!strncmp(a, "getfd:", 6)) {
			if ((r = do_getfd(arg)))
				return r;
		} else if (!strncmp(a, "write-sock:", 11)) {
			do_write_sock(arg);
		} else if (!strncmp(a, "write-sock-ia32:", 16)) {
			do_write_sock_ia32(arg);
		} else if (!strncmp(a, "sendfile:", 9)) {
			do_file_to_sock(arg, 0);
		} else if (!strncmp(a, "splice:", 7)) {
			do_file_to_sock(arg, 1);
		/* devices: parts/40-rdma.sh */
		} else if (!strncmp(a, "dev:", 4)) {
			do_dev(arg);
		} else if (!strcmp(a, "dev-write")) {
			do_dev_write();
		} else if (!strcmp(a, "dev-ioctl")) {
			do_dev_ioctl();
		} else if (!strcmp(a, "dev-mmap")) {
			do_dev_mmap();
		/* kinds of file that are no derivative: parts/60-derive-kinds.sh */
		} else if (!strncmp(a, "hold-rw:", 8)) {
			do_hold_rw(arg);
		} else if (!strncmp(a, "read1:", 6)) {
			do_read1(arg);
		/* fds of files received: parts/61-fdpass-taint.sh */
		} else if (!strncmp(a, "open-keep:", 10)) {
			do_open_keep(arg);
		} else if (!strcmp(a, "read-fd")) {
			do_read_fd();
		} else if (!strncmp(a, "recv-fd-mm:", 11)) {
			recv_fd_mm = 1;
			do_recv_fd(arg);
			recv_fd_mm = 0;
		/* writable fds: parts/62-fdwalk.sh */
		} else if (!strncmp(a, "open-wkeep:", 11)) {
			do_open_wkeep(arg);
		} else if (!strncmp(a, "dup-to:", 7)) {
			do_dup_to(arg);
		/* mappings: parts/63-mmap.sh */
		} else if (!strncmp(a, "map-open:", 9)) {
			do_map_open(arg, 0);
		} else if (!strncmp(a, "map-open-ro:", 12)) {
			do_map_open(arg, 1);
		} else if (!strncmp(a, "map-write:", 10)) {
			do_map_write(arg);
		} else if (!strncmp(a, "map-close:", 10)) {
			do_map_close(arg);
		} else if (!strncmp(a, "map-pre:", 8)) {
			do_map_pre(arg);
		} else if (!strncmp(a, "map-put:", 8)) {
			do_map_put(arg);
		/* process and shared memory: parts/65-procmem.sh */
		} else if (!strncmp(a, "mem-hold:", 9)) {
			do_mem_hold(arg);
		} else if (!strcmp(a, "mem-show")) {
			do_mem_show();
		} else if (!strncmp(a, "vm-write:", 9)) {
			if ((r = do_pm_vm("vm-write", arg, 1, 0)))
				return r;
		} else if (!strncmp(a, "vm-read:", 8)) {
			if ((r = do_pm_vm("vm-read", arg, 0, 0)))
				return r;
		} else if (!strncmp(a, "pmem-write:", 11)) {
			if ((r = do_pm_vm("pmem-write", arg, 1, 1)))
				return r;
		} else if (!strncmp(a, "pmem-read:", 10)) {
			if ((r = do_pm_vm("pmem-read", arg, 0, 1)))
				return r;
		} else if (!strncmp(a, "ptrace-write:", 13)) {
			if ((r = do_pm_ptrace("ptrace-write", arg, 1, 0)))
				return r;
		} else if (!strncmp(a, "ptrace-read:", 12)) {
			if ((r = do_pm_ptrace("ptrace-read", arg, 0, 0)))
				return r;
		} else if (!strncmp(a, "regs-write:", 11)) {
			if ((r = do_pm_ptrace("regs-write", arg, 1, 1)))
				return r;
		} else if (!strncmp(a, "regs-read:", 10)) {
			if ((r = do_pm_ptrace("regs-read", arg, 0, 1)))
				return r;
		} else if (!strncmp(a, "sysv-new:", 9)) {
			do_sysv_new(arg);
		} else if (!strncmp(a, "sysv-read:", 10)) {
			do_sysv_read(arg);
		} else if (!strncmp(a, "sysv-rm:", 8)) {
			do_sysv_rm(arg);
		} else if (!strncmp(a, "sysv-hold:", 10)) {
			do_sysv_hold(arg);
		} else if (!strcmp(a, "sysv-show")) {
			do_sysv_show();
		} else if (!strncmp(a, "sysv-write:", 11)) {
			do_sysv_write(arg);
		} else if (!strncmp(a, "posix-write:", 12)) {
			do_posix_write(arg);
		} else if (!strncmp(a, "posix-read:", 11)) {
			do_posix_read(arg);
		} else if (!strncmp(a, "memfd-new:", 10)) {
			do_memfd_new(arg);
		} else if (!strcmp(a, "map-fd-read")) {
			do_map_fd_read();
		} else if (!strcmp(a, "map-fd-hold")) {
			do_map_fd_hold();
		} else if (!strcmp(a, "map-show")) {
			do_map_show();
		} else if (!strncmp(a, "memfd-put:", 10)) {
			do_memfd_put(arg);
		/* local channels: parts/64-ipc.sh */
		} else if (!strncmp(a, "ipc-fork:", 9)) {
			r = 0;
			i = do_ipc_fork(i, argc, argv, arg, &r);
			if (i < 0)
				return r;
		} else if (!strcmp(a, "ipc-wait")) {
			do_ipc_wait();
		} else if (!strncmp(a, "fifo-r:", 7)) {
			do_fifo(arg, 0);
		} else if (!strncmp(a, "fifo-w:", 7)) {
			do_fifo(arg, 1);
		} else if (!strncmp(a, "unix-listen:", 12)) {
			do_unix_bind("unix-listen", arg, SOCK_STREAM);
		} else if (!strncmp(a, "unix-connect:", 13)) {
			do_unix_connect("unix-connect", arg, SOCK_STREAM);
		} else if (!strncmp(a, "udg-bind:", 9)) {
			do_unix_bind("udg-bind", arg, SOCK_DGRAM);
		} else if (!strncmp(a, "udg-connect:", 12)) {
			do_unix_connect("udg-connect", arg, SOCK_DGRAM);
		} else if (!strncmp(a, "udg-sendto:", 11)) {
			do_udg_sendto(arg);
		} else if (!strncmp(a, "ipc-write:", 10)) {
			do_ipc_write(arg);
		} else if (!strcmp(a, "ipc-read")) {
			do_ipc_read();
		} else if (!strncmp(a, "ipc-write-ia32:", 15)) {
			do_ipc_ia32(arg);
		} else if (!strcmp(a, "ipc-read-ia32")) {
			do_ipc_ia32(NULL);
		} else if (!strncmp(a, "ipc-ready:", 10)) {
			do_write(arg, "ipc-ready", O_WRONLY | O_CREAT);
		} else if (!strncmp(a, "copy-to:", 8)) {
			do_copy_to(arg);
		/* labels at creation: parts/66-labels.sh */
		} else if (!strncmp(a, "tmpfile-link:", 13)) {
			do_tmpfile_link(arg);
		/* io_uring (issue 11, parts/68-iouring.sh) */
		} else if (!strncmp(a, "uring-fixed-read:", 17)) {
			do_uring_fixed("uring-fixed-read", arg, 0);
		} else if (!strncmp(a, "uring-fixed-write:", 18)) {
			do_uring_fixed("uring-fixed-write", arg, 1);
		} else if (!strncmp(a, "uring-reg:", 10)) {
			do_uring_reg(arg);
		} else if (!strncmp(a, "uring-write-reg:", 16)) {
			do_uring_write_reg(arg);
		/* sovd itself: parts/70-selfprot.sh */
		} else if (!strncmp(a, "bpf-get:", 8)) {
			do_bpf_get(arg);
		} else if (!strncmp(a, "bpf-detach:", 11)) {
			do_bpf_detach(arg);
		} else if (!strncmp(a, "unlink:", 7)) {
			result("unlink", arg, unlink(arg) ? errno : 0);
		} else if (!strncmp(a, "append:", 7)) {
			do_append(arg);
		} else if (!strncmp(a, "inode:", 6)) {		/* 69-reclaim */
			do_inode(arg);
		} else if (!strncmp(a, "label-of:", 9)) {	/* 69-reclaim */
			do_label_of(arg);
		} else if (!strncmp(a, "dgram-names:", 12)) {	/* tests/agent/flood.t */
			do_dgram_names(arg);
		} else if (!strncmp(a, "fill-fds:", 9)) {	/* 62-fdwalk (issue 13) */
			do_fill_fds(arg);
		} else {
			return die_usage(a);
		}
	}
	return 0;
}

static int append_chunk(const char *out, const char *buf, ssize_t n)
{
	int fd = open(out, O_WRONLY | O_CREAT | O_APPEND, 0644);

	if (fd < 0) {
		fprintf(stderr, "sovtest: failed to open %s: %s\n", out, strerror(errno));
		return -errno;
	}
	/* Newline-terminated so that chunks stay greppable one per line. */
	if (write(fd, buf, n) < 0 || write(fd, "\n", 1) < 0) {
		fprintf(stderr, "sovtest: failed to write %s: %s\n", out, strerror(errno));
		close(fd);
		return -EIO;
	}
	close(fd);
	return 0;
}

static int listen_on(const char *addr, const char *port, int type)
{
	char spec[INET6_ADDRSTRLEN + 16];
	const char *rest;
	struct dst d;
	int fd, one = 1, zero = 0;

	snprintf(spec, sizeof(spec), strchr(addr, ':') ? "[%s]:%s" : "%s:%s", addr, port);
	if (parse_dst(spec, 0, &d, &rest)) {
		fprintf(stderr, "sovtest: bad listen address %s\n", spec);
		return -EINVAL;
	}
	fd = socket(d.ss.ss_family, type, 0);
	if (fd < 0)
		goto fail;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* "::" serves IPv4 and IPv6 peers with one socket. */
	if (d.ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (bind(fd, (struct sockaddr *)&d.ss, d.len) < 0)
		goto fail;
	if (type == SOCK_STREAM && listen(fd, 128) < 0)
		goto fail;
	return fd;
fail:
	one = errno;
	fprintf(stderr, "sovtest: failed to listen on %s: %s\n", spec, strerror(one));
	if (fd >= 0)
		close(fd);
	return -one;
}

static int serve(int argc, char **argv, int type)
{
	struct pollfd pfd[MAX_CLIENTS + 1];
	long seconds = SERVE_DEFAULT_S, deadline;
	int lfd, nfd = 1, i, r;
	char buf[65536];
	ssize_t n;

	if (argc < 4) {
		fprintf(stderr, "usage: sovtest %s ADDR PORT OUTFILE [SECONDS]\n", argv[0]);
		return 2;
	}
	if (argc > 4)
		seconds = atol(argv[4]);
	lfd = listen_on(argv[1], argv[2], type);
	if (lfd < 0)
		return 2;
	printf("%s %s %s ready pid=%d\n", argv[0], argv[1], argv[2], (int)getpid());
	fflush(stdout);
	pfd[0].fd = lfd;
	pfd[0].events = POLLIN;
	deadline = now_ms() + seconds * 1000;
	while (now_ms() < deadline) {
		r = poll(pfd, nfd, 500);
		if (r < 0 && errno != EINTR)
			break;
		if (r <= 0)
			continue;
		if (pfd[0].revents & POLLIN) {
			if (type == SOCK_DGRAM) {
				n = recv(lfd, buf, sizeof(buf), 0);
				if (n > 0 && append_chunk(argv[3], buf, n))
					return 2;
			} else {
				int c = accept(lfd, NULL, NULL);

				if (c >= 0 && nfd <= MAX_CLIENTS) {
					pfd[nfd].fd = c;
					pfd[nfd].events = POLLIN;
					pfd[nfd].revents = 0;
					nfd++;
				} else if (c >= 0) {
					close(c);
				}
			}
		}
		for (i = 1; i < nfd; i++) {
			if (!pfd[i].revents)
				continue;
			n = recv(pfd[i].fd, buf, sizeof(buf), 0);
			if (n > 0) {
				if (append_chunk(argv[3], buf, n))
					return 2;
				continue;
			}
			close(pfd[i].fd);
			pfd[i] = pfd[--nfd];
			i--;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr,
			"usage: sovtest ACTION...   (see tests/scenarios/sovtest.c)\n"
			"       sovtest serve-tcp|serve-udp ADDR PORT OUTFILE [SECONDS]\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	if (!strcmp(argv[1], "serve-tcp"))
		return serve(argc - 1, argv + 1, SOCK_STREAM);
	if (!strcmp(argv[1], "serve-udp"))
		return serve(argc - 1, argv + 1, SOCK_DGRAM);
	return run_actions(argc - 1, argv + 1);
}
