/* The path seam: every absolute system path (/proc, /sys, /etc, /var, /dev)
 * goes through zo_path() so that tests can point the whole program at a
 * fixture tree with --root or ZSIM_ROOT. */
#ifndef ZO_UTIL_PATH_H
#define ZO_UTIL_PATH_H

/* Returns a newly allocated root + abs ("" or NULL root: abs itself), or
 * NULL on allocation failure. `abs` must start with '/'. */
char *zo_path(const char *root, const char *abs);

#endif
