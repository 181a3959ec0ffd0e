#ifndef ZO_UTIL_FILE_H
#define ZO_UTIL_FILE_H

#include <stddef.h>
#include <stdint.h>

/* Read a whole file of at most `max` bytes into a NUL-terminated buffer.
 * Returns 0, -errno, or -EFBIG when the file is larger than `max`. Works on
 * /proc files, whose stat size is 0. */
int zo_read_file(const char *path, size_t max, char **ret, size_t *ret_len);
/* The same from an open file, to its end (never more than max + 1 bytes
 * buffered). */
int zo_read_fd(int fd, size_t max, char **ret, size_t *ret_len);

/* Read the first line of a small file (sysfs attributes), without the
 * newline. */
int zo_read_line(const char *path, char **ret);

/* Sorted, NULL-terminated names in directory `path` that start with
 * `prefix` (hidden names left out); returns the count, or -errno. */
int zo_dir_list(const char *path, const char *prefix, char ***ret);

/* Create every missing directory above `path` (mode 0755). */
int zo_mkdir_parents(const char *path);

/* Replace `path` with `text`: written to a temporary file beside it,
 * fsync'ed and renamed, so readers see the old or the new file, never a
 * part. Mode 0644. */
int zo_write_file_atomic(const char *path, const char *text);
/* The same without the fsyncs: readers see the old or the new file, but a
 * power cut may lose it. For many small files made durable together with
 * one zo_syncfs() (a file fsync costs ~1 ms, a journal commit each). */
int zo_write_file_replace(const char *path, const char *text);
/* Flush the whole filesystem holding `path` (syncfs(2)). */
int zo_syncfs(const char *path);

/* Create the file `name` in the directory `dirfd`: new (O_EXCL, so a
 * symbolic link or anything else already there is an error, never
 * followed or overwritten; O_NOFOLLOW too), write-only, close-on-exec,
 * with `mode` (less the umask). The fd, or -errno. */
int zo_create_new_at(int dirfd, const char *name, unsigned mode);
/* Write `text` to `name` in `dirfd`, created as zo_create_new_at does
 * (mode 0644). 0 or -errno. */
int zo_write_new_at(int dirfd, const char *name, const char *text);

/* Write `len` bytes (NULs allowed) to `path`, created (mode 0666 less the
 * umask) or truncated. */
int zo_write_file(const char *path, const void *buf, size_t len);
/* Copy the file `from` to `to` (created with `mode`, or truncated) and
 * fsync it. */
int zo_copy_file(const char *from, const char *to, unsigned mode);
/* The same, telling `progress` the bytes copied so far after each piece
 * (and the file's size, 0 when it is not a regular file). */
typedef void (*zo_copy_progress_fn)(void *userdata, uint64_t done, uint64_t total);
int zo_copy_file_progress(const char *from, const char *to, unsigned mode,
			  zo_copy_progress_fn progress, void *userdata);

#endif
