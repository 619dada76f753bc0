/*
 * aimonitor's AppImage type-2 runtime.
 *
 * An AppImage is this ELF executable with a SquashFS image of the AppDir
 * appended to it; the image starts where the ELF file ends (the end of its
 * section header table or of its last section, whichever is later). Run
 * normally, the runtime mounts the image read-only with FUSE and executes
 * AppRun from it; when FUSE is not usable it extracts the image into a
 * temporary directory instead and runs it from there. See
 * packaging/README.md for the options and docs/install.md for users.
 *
 * Written against Debian's libsquashfuse (SquashFS reading and the FUSE
 * operations) and libfuse3, both linked statically so the file only needs
 * the kernel's FUSE and, for unprivileged users, fusermount3.
 */
#define _GNU_SOURCE
#include <squashfuse/ll.h>
#include <squashfuse/squashfs_fs.h>

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <ftw.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef RUNTIME_VERSION
#define RUNTIME_VERSION "1.0"
#endif

/*
 * Sections the AppImage specification reserves: update information and a
 * detached signature. Tools such as AppImageUpdate look them up by name; we
 * ship them empty (zero-filled), which the specification allows.
 */
__attribute__((section(".upd_info"), used, aligned(1))) static const char update_info[1024];
__attribute__((section(".sha256_sig"), used, aligned(1))) static const char signature[1024];

static const char *program = "AppImage";

static void warnf(const char *fmt, ...) {
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "%s: ", program);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static _Noreturn void die(const char *fmt, ...) {
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "%s: ", program);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

/* ------------------------------------------------------------------ ELF */

typedef struct {
	off_t offset;
	off_t size;
} span;

static int read_at(int fd, void *buf, size_t size, off_t off) {
	ssize_t n = pread(fd, buf, size, off);
	return n == (ssize_t)size ? 0 : -1;
}

/*
 * elf_inspect reads the ELF headers of path. It returns where the ELF part
 * ends (the payload offset) and, when section is not NULL, the span of the
 * named section (size -1 when there is none). It handles both ELF classes
 * in the host's byte order, which is all a runtime built for this host has.
 */
static off_t elf_inspect(const char *path, const char *section, span *found) {
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) return -1;
	unsigned char ident[EI_NIDENT];
	off_t end = -1;
	if (found) found->size = -1;
	if (read_at(fd, ident, sizeof ident, 0) != 0 || memcmp(ident, ELFMAG, SELFMAG) != 0) goto out;

	uint64_t shoff, phoff;
	uint32_t shnum, shentsize, phnum, phentsize, shstrndx;
	if (ident[EI_CLASS] == ELFCLASS64) {
		Elf64_Ehdr h;
		if (read_at(fd, &h, sizeof h, 0) != 0) goto out;
		shoff = h.e_shoff, shnum = h.e_shnum, shentsize = h.e_shentsize, shstrndx = h.e_shstrndx;
		phoff = h.e_phoff, phnum = h.e_phnum, phentsize = h.e_phentsize;
	} else if (ident[EI_CLASS] == ELFCLASS32) {
		Elf32_Ehdr h;
		if (read_at(fd, &h, sizeof h, 0) != 0) goto out;
		shoff = h.e_shoff, shnum = h.e_shnum, shentsize = h.e_shentsize, shstrndx = h.e_shstrndx;
		phoff = h.e_phoff, phnum = h.e_phnum, phentsize = h.e_phentsize;
	} else {
		goto out;
	}
	if (shnum == 0 || shnum > 4096 || shentsize < (ident[EI_CLASS] == ELFCLASS64 ? sizeof(Elf64_Shdr) : sizeof(Elf32_Shdr)))
		goto out;

	uint64_t last = shoff + (uint64_t)shnum * shentsize;
	uint64_t ph_end = phoff + (uint64_t)phnum * phentsize;
	if (ph_end > last) last = ph_end;

	/* Collect every section's file span; remember the string table's. */
	span *spans = calloc(shnum, sizeof *spans);
	uint32_t *names = calloc(shnum, sizeof *names);
	if (!spans || !names) {
		free(spans), free(names);
		goto out;
	}
	for (uint32_t i = 0; i < shnum; i++) {
		off_t at = (off_t)(shoff + (uint64_t)i * shentsize);
		uint32_t type;
		uint64_t off, size;
		if (ident[EI_CLASS] == ELFCLASS64) {
			Elf64_Shdr s;
			if (read_at(fd, &s, sizeof s, at) != 0) goto bad;
			type = s.sh_type, off = s.sh_offset, size = s.sh_size, names[i] = s.sh_name;
		} else {
			Elf32_Shdr s;
			if (read_at(fd, &s, sizeof s, at) != 0) goto bad;
			type = s.sh_type, off = s.sh_offset, size = s.sh_size, names[i] = s.sh_name;
		}
		spans[i].offset = (off_t)off;
		spans[i].size = type == SHT_NOBITS ? 0 : (off_t)size;
		if (type != SHT_NOBITS && off + size > last) last = off + size;
	}
	end = (off_t)last;

	if (section && found && shstrndx < shnum) {
		size_t want = strlen(section) + 1;
		char name[64];
		for (uint32_t i = 0; i < shnum && want <= sizeof name; i++) {
			off_t at = spans[shstrndx].offset + names[i];
			if ((off_t)names[i] + (off_t)want > spans[shstrndx].size) continue;
			if (read_at(fd, name, want, at) == 0 && memcmp(name, section, want) == 0) {
				*found = spans[i];
				break;
			}
		}
	}
bad:
	free(spans);
	free(names);
out:
	close(fd);
	return end;
}

/* Prints a reserved section's text (up to its first NUL) on stdout. */
static int print_section(const char *self, const char *name) {
	span s;
	if (elf_inspect(self, name, &s) < 0 || s.size < 0) die("this AppImage has no %s section", name);
	char *buf = calloc(1, (size_t)s.size + 1);
	int fd = open(self, O_RDONLY | O_CLOEXEC);
	if (!buf || fd < 0 || read_at(fd, buf, (size_t)s.size, s.offset) != 0) die("cannot read the %s section", name);
	close(fd);
	if (buf[0] != '\0') printf("%s\n", buf);
	free(buf);
	return 0;
}

/* -------------------------------------------------------------- extract */

static int mkdir_parents(char *path, mode_t mode) {
	for (char *p = path + 1; *p; p++) {
		if (*p != '/') continue;
		*p = '\0';
		int r = mkdir(path, mode);
		*p = '/';
		if (r != 0 && errno != EEXIST) return -1;
	}
	return 0;
}

static int write_file(sqfs *fs, sqfs_inode *inode, const char *path, mode_t mode) {
	/* Replace rather than rewrite: the old file may be a running binary or a symlink. */
	if (unlink(path) != 0 && errno != ENOENT) return -1;
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) return -1;
	static char buf[1 << 20];
	uint64_t size = inode->xtra.reg.file_size;
	for (uint64_t done = 0; done < size;) {
		sqfs_off_t n = size - done < sizeof buf ? (sqfs_off_t)(size - done) : (sqfs_off_t)sizeof buf;
		if (sqfs_read_range(fs, inode, (sqfs_off_t)done, &n, buf) != SQFS_OK || n <= 0) {
			errno = EIO;
			goto fail;
		}
		for (sqfs_off_t w = 0; w < n;) {
			ssize_t k = write(fd, buf + w, (size_t)(n - w));
			if (k < 0) {
				if (errno == EINTR) continue;
				goto fail;
			}
			w += k;
		}
		done += (uint64_t)n;
	}
	if (fchmod(fd, mode) != 0) goto fail;
	return close(fd);
fail:;
	int saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

/*
 * extract writes the image's files (all, or those whose path matches
 * pattern) under dest. Names are checked so a crafted image cannot write
 * outside dest. Directories keep owner rwx so the tree can be deleted later.
 */
static int extract(const char *image, off_t offset, const char *dest, const char *pattern, int verbose) {
	sqfs fs;
	if (sqfs_open_image(&fs, image, (size_t)offset) != SQFS_OK) {
		warnf("%s does not carry a readable SquashFS image at offset %lld", image, (long long)offset);
		return -1;
	}
	if (mkdir(dest, 0755) != 0 && errno != EEXIST) {
		warnf("cannot create %s: %s", dest, strerror(errno));
		sqfs_destroy(&fs);
		return -1;
	}
	sqfs_traverse trv;
	sqfs_err err = sqfs_traverse_open(&trv, &fs, sqfs_inode_root(&fs));
	int failed = err != SQFS_OK;
	while (!failed && sqfs_traverse_next(&trv, &err)) {
		if (trv.dir_end) continue;
		const char *name = trv.entry.name;
		if (strchr(name, '/') || strcmp(name, ".") == 0 || strcmp(name, "..") == 0 || name[0] == '\0') {
			warnf("refusing the unsafe name \"%s\" in the image", name);
			failed = 1;
			break;
		}
		if (pattern && fnmatch(pattern, trv.path, 0) != 0) continue;

		char *out;
		if (asprintf(&out, "%s/%s", dest, trv.path) < 0) {
			failed = 1;
			break;
		}
		sqfs_inode inode;
		if (sqfs_inode_get(&fs, &inode, trv.entry.inode) != SQFS_OK) {
			warnf("cannot read the entry for %s", trv.path);
			free(out);
			failed = 1;
			break;
		}
		mode_t mode = inode.base.mode & 0777;
		int r = pattern ? mkdir_parents(out, 0755) : 0;
		switch (r == 0 ? inode.base.inode_type : -1) {
		case SQUASHFS_DIR_TYPE:
		case SQUASHFS_LDIR_TYPE:
			r = mkdir(out, mode | 0700);
			if (r != 0 && errno == EEXIST) r = chmod(out, mode | 0700);
			break;
		case SQUASHFS_REG_TYPE:
		case SQUASHFS_LREG_TYPE:
			r = write_file(&fs, &inode, out, mode);
			break;
		case SQUASHFS_SYMLINK_TYPE:
		case SQUASHFS_LSYMLINK_TYPE: {
			size_t size = inode.xtra.symlink_size + 1;
			char *target = calloc(1, size);
			r = target && sqfs_readlink(&fs, &inode, target, &size) == SQFS_OK ? 0 : -1;
			if (r == 0 && unlink(out) != 0 && errno != ENOENT) r = -1;
			if (r == 0) r = symlink(target, out);
			free(target);
			break;
		}
		case -1:
			break;
		default: /* devices, FIFOs and sockets have no place in an AppDir */
			if (verbose) warnf("skipping special file %s", trv.path);
			free(out);
			continue;
		}
		if (r != 0) {
			warnf("cannot extract %s: %s", out, strerror(errno));
			failed = 1;
		} else if (verbose) {
			printf("%s\n", out);
		}
		free(out);
	}
	if (err != SQFS_OK) {
		warnf("the SquashFS image is damaged (error %d)", (int)err);
		failed = 1;
	}
	sqfs_traverse_close(&trv);
	sqfs_destroy(&fs);
	return failed ? -1 : 0;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
	(void)st, (void)flag, (void)ftw;
	return remove(path) != 0 && errno != ENOENT ? -1 : 0;
}

/* ------------------------------------------------------------------ run */

static void set_app_env(const char *self, const char *appdir, const char *argv0) {
	char cwd[PATH_MAX];
	setenv("APPIMAGE", self, 1);
	setenv("APPDIR", appdir, 1);
	setenv("ARGV0", argv0, 1);
	if (getcwd(cwd, sizeof cwd)) setenv("OWD", cwd, 1);
}

static char **app_argv(const char *apprun, int argc, char **argv) {
	char **args = calloc((size_t)argc + 1, sizeof *args);
	if (!args) die("out of memory");
	args[0] = (char *)apprun;
	for (int i = 1; i < argc; i++) args[i] = argv[i];
	return args;
}

static const char *tmp_dir(void) {
	const char *t = getenv("TMPDIR");
	return t && *t ? t : "/tmp";
}

static volatile sig_atomic_t child_pid;

static void forward_signal(int sig) {
	if (child_pid > 0) kill(child_pid, sig);
}

/*
 * extract_and_run unpacks the image into a fresh temporary directory, runs
 * AppRun from there as a child (forwarding the usual termination signals to
 * it), removes the directory afterwards and exits the way the child did.
 */
static _Noreturn void extract_and_run(const char *self, off_t offset, int argc, char **argv) {
	char *dir;
	if (asprintf(&dir, "%s/appimage_extracted_XXXXXX", tmp_dir()) < 0 || !mkdtemp(dir))
		die("cannot create a directory under %s: %s", tmp_dir(), strerror(errno));
	int keep = getenv("NO_CLEANUP") && strcmp(getenv("NO_CLEANUP"), "1") == 0;
	if (extract(self, offset, dir, NULL, 0) != 0) {
		nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
		die("cannot extract the AppImage");
	}
	char *apprun;
	if (asprintf(&apprun, "%s/AppRun", dir) < 0) die("out of memory");
	set_app_env(self, dir, argv[0]);

	struct sigaction sa = {.sa_handler = forward_signal};
	sigemptyset(&sa.sa_mask);
	int forwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
	for (size_t i = 0; i < sizeof forwarded / sizeof *forwarded; i++) sigaction(forwarded[i], &sa, NULL);

	pid_t pid = fork();
	if (pid < 0) die("cannot start AppRun: %s", strerror(errno));
	if (pid == 0) {
		signal(SIGINT, SIG_DFL), signal(SIGTERM, SIG_DFL), signal(SIGHUP, SIG_DFL);
		signal(SIGQUIT, SIG_DFL), signal(SIGUSR1, SIG_DFL), signal(SIGUSR2, SIG_DFL);
		execv(apprun, app_argv(apprun, argc, argv));
		warnf("cannot run %s: %s", apprun, strerror(errno));
		_exit(127);
	}
	child_pid = pid;
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
	if (!keep) nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	if (WIFSIGNALED(status)) {
		signal(WTERMSIG(status), SIG_DFL);
		raise(WTERMSIG(status));
	}
	exit(WIFEXITED(status) ? WEXITSTATUS(status) : 1);
}

/* The FUSE operations libsquashfuse implements for a read-only image. */
static struct fuse_lowlevel_ops squash_ops = {
	.lookup = sqfs_ll_op_lookup,
	.forget = sqfs_ll_op_forget,
	.getattr = sqfs_ll_op_getattr,
	.readlink = sqfs_ll_op_readlink,
	.open = sqfs_ll_op_open,
	.read = sqfs_ll_op_read,
	.release = sqfs_ll_op_release,
	.opendir = sqfs_ll_op_opendir,
	.readdir = sqfs_ll_op_readdir,
	.releasedir = sqfs_ll_op_releasedir,
	.statfs = stfs_ll_op_statfs,
	.getxattr = sqfs_ll_op_getxattr,
	.listxattr = sqfs_ll_op_listxattr,
	.create = sqfs_ll_op_create,
};

/*
 * serve answers FUSE requests until every process holding the keep-alive
 * pipe's write end (the app and whatever it started) has gone, or until the
 * file system is unmounted from outside.
 */
static void serve(struct fuse_session *se, int keepalive) {
	struct fuse_buf buf = {0};
	struct pollfd fds[2] = {{.fd = fuse_session_fd(se), .events = POLLIN}, {.fd = keepalive, .events = POLLIN}};
	for (;;) {
		if (poll(fds, 2, -1) < 0) {
			if (errno == EINTR) continue;
			break;
		}
		if (fds[1].revents) break;
		if (fds[0].revents & (POLLERR | POLLHUP | POLLNVAL)) break;
		if (!(fds[0].revents & POLLIN)) continue;
		int res = fuse_session_receive_buf(se, &buf);
		if (res == -EINTR || res == -EAGAIN) continue;
		if (res <= 0) break;
		fuse_session_process_buf(se, &buf);
	}
	free(buf.mem);
}

/*
 * mount_image starts the FUSE server in a child process and returns the
 * mount point once it is ready, or NULL when mounting failed. The caller
 * keeps *keepalive_out open for as long as the mount must live.
 */
static char *mount_image(const char *self, off_t offset, int *keepalive_out) {
	const char *base = strrchr(self, '/') ? strrchr(self, '/') + 1 : self;
	char prefix[7] = {0};
	for (int i = 0; i < 6 && base[i]; i++) prefix[i] = (base[i] == '/' || base[i] == ' ') ? '_' : base[i];
	char *mnt;
	if (asprintf(&mnt, "%s/.mount_%sXXXXXX", tmp_dir(), prefix) < 0 || !mkdtemp(mnt)) {
		warnf("cannot create a mount point under %s: %s", tmp_dir(), strerror(errno));
		return NULL;
	}
	int ready[2], keepalive[2];
	if (pipe2(ready, O_CLOEXEC) != 0 || pipe(keepalive) != 0) {
		rmdir(mnt);
		return NULL;
	}
	fcntl(keepalive[0], F_SETFD, FD_CLOEXEC);
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		rmdir(mnt);
		return NULL;
	}
	if (pid == 0) {
		close(ready[0]);
		close(keepalive[1]);
		/* Outlive terminal signals: the mount goes when the app goes, not before. */
		setsid();
		signal(SIGINT, SIG_IGN), signal(SIGTERM, SIG_IGN), signal(SIGHUP, SIG_IGN);
		signal(SIGQUIT, SIG_IGN), signal(SIGPIPE, SIG_IGN);
		char status = 1;
		sqfs_ll *ll = sqfs_ll_open(self, (size_t)offset);
		if (!ll) {
			(void)!write(ready[1], &status, 1);
			rmdir(mnt);
			_exit(1);
		}
		char *fuse_argv[] = {(char *)program, "-o", "ro,nosuid,nodev,subtype=appimage", NULL};
		struct fuse_args args = FUSE_ARGS_INIT(3, fuse_argv);
		sqfs_ll_chan ch;
		if (sqfs_ll_mount(&ch, mnt, &args, &squash_ops, sizeof squash_ops, ll) != SQFS_OK) {
			(void)!write(ready[1], &status, 1);
			rmdir(mnt);
			_exit(1);
		}
		/* Hold nothing the app's caller may wait on (a pipe on stdout, a cwd). */
		if (chdir("/") != 0) {}
		int null = open("/dev/null", O_RDWR);
		if (null >= 0) dup2(null, 0), dup2(null, 1), dup2(null, 2), close(null);
		status = 0;
		(void)!write(ready[1], &status, 1);
		close(ready[1]);
		serve(ch.session, keepalive[0]);
		sqfs_ll_unmount(&ch, mnt);
		rmdir(mnt);
		_exit(0);
	}
	close(ready[1]);
	close(keepalive[0]);
	char status = 1;
	ssize_t n;
	while ((n = read(ready[0], &status, 1)) < 0 && errno == EINTR) {}
	close(ready[0]);
	if (n != 1 || status != 0) {
		close(keepalive[1]);
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {}
		rmdir(mnt);
		free(mnt);
		return NULL;
	}
	*keepalive_out = keepalive[1];
	return mnt;
}

static void usage(void) {
	printf("AppImage runtime options (everything else goes to the application):\n"
	       "  --appimage-extract [PATTERN]  extract the files (or those matching the glob PATTERN) to ./squashfs-root\n"
	       "  --appimage-extract-and-run    extract to a temporary directory, run, then delete it\n"
	       "                                (the same as APPIMAGE_EXTRACT_AND_RUN=1; NO_CLEANUP=1 keeps the directory)\n"
	       "  --appimage-mount              mount the image, print the mount point and wait until interrupted\n"
	       "  --appimage-offset             print where the SquashFS image starts in this file\n"
	       "  --appimage-updateinformation  print the embedded update information (empty here)\n"
	       "  --appimage-signature          print the embedded signature (empty here)\n"
	       "  --appimage-version            print the runtime's version\n"
	       "  --appimage-help               print this help\n"
	       "Without FUSE (no /dev/fuse or fusermount3) the runtime extracts to a temporary directory instead.\n");
}

static volatile sig_atomic_t stop_requested;
static void request_stop(int sig) { (void)sig, stop_requested = 1; }

int main(int argc, char **argv) {
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n <= 0) die("cannot find this file through /proc/self/exe");
	self[n] = '\0';
	program = strrchr(self, '/') ? strrchr(self, '/') + 1 : self;

	off_t offset = elf_inspect(self, NULL, NULL);
	if (offset <= 0) die("cannot read the ELF headers of %s", self);

	const char *opt = argc > 1 && strncmp(argv[1], "--appimage-", 11) == 0 ? argv[1] + 11 : NULL;
	if (opt) {
		if (strcmp(opt, "offset") == 0) {
			printf("%lld\n", (long long)offset);
			return 0;
		}
		if (strcmp(opt, "help") == 0) {
			usage();
			return 0;
		}
		if (strcmp(opt, "version") == 0) {
			printf("aimonitor AppImage runtime %s (type 2)\n", RUNTIME_VERSION);
			return 0;
		}
		if (strcmp(opt, "updateinformation") == 0 || strcmp(opt, "updateinfo") == 0)
			return print_section(self, ".upd_info");
		if (strcmp(opt, "signature") == 0) return print_section(self, ".sha256_sig");
		if (strcmp(opt, "extract") == 0) {
			const char *pattern = argc > 2 ? argv[2] : NULL;
			return extract(self, offset, "squashfs-root", pattern, 1) == 0 ? 0 : 1;
		}
		if (strcmp(opt, "extract-and-run") == 0) {
			argv[1] = argv[0]; /* drop the option, keep argv[0] */
			extract_and_run(self, offset, argc - 1, argv + 1);
		}
		if (strcmp(opt, "mount") == 0) {
			int keepalive;
			char *mnt = mount_image(self, offset, &keepalive);
			if (!mnt) die("cannot mount the image with FUSE");
			printf("%s\n", mnt);
			fflush(stdout);
			struct sigaction sa = {.sa_handler = request_stop};
			sigemptyset(&sa.sa_mask);
			sigaction(SIGINT, &sa, NULL), sigaction(SIGTERM, &sa, NULL), sigaction(SIGHUP, &sa, NULL);
			while (!stop_requested) pause();
			return 0; /* closing keepalive unmounts */
		}
		die("unknown option --appimage-%s (try --appimage-help)", opt);
	}

	const char *ear = getenv("APPIMAGE_EXTRACT_AND_RUN");
	if (ear && strcmp(ear, "1") == 0) extract_and_run(self, offset, argc, argv);

	int keepalive;
	char *mnt = mount_image(self, offset, &keepalive);
	if (!mnt) {
		warnf("cannot mount the image with FUSE; extracting it to a temporary directory instead "
		      "(install fuse3 to avoid this, or set APPIMAGE_EXTRACT_AND_RUN=1 to skip the attempt)");
		extract_and_run(self, offset, argc, argv);
	}
	char *apprun;
	if (asprintf(&apprun, "%s/AppRun", mnt) < 0) die("out of memory");
	set_app_env(self, mnt, argv[0]);
	/* The app inherits keepalive: the mount lasts as long as it and its children. */
	execv(apprun, app_argv(apprun, argc, argv));
	die("cannot run %s: %s", apprun, strerror(errno));
}
