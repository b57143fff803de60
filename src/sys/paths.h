/* paths.h — checks on the files a tool is given, made before any work.
 *
 * An output that is the same file as an input would destroy the input:
 * even written atomically, the input is replaced by the result. "The same
 * file" is the same device and inode, so a hard link, a symlink or "./x"
 * for "x" is caught; an output that does not exist yet cannot be an
 * input. */
#ifndef NMT_SYS_PATHS_H
#define NMT_SYS_PATHS_H

/* Dies with a message naming both when an output is the same file as an
 * input. NULL entries are skipped; an input "-" is standard input (which
 * may be a file redirected with <), an output "-" is standard output. */
void paths_refuse_overwrite(const char *const *inputs, int n_in, const char *const *outputs, int n_out);

/* a followed by b, malloc'd. */
char *path_cat(const char *a, const char *b);

/* The existing files named PREFIX followed by digits (nmt-train's MODEL.uN
 * snapshots): malloc'd array of malloc'd paths, count returned. */
int paths_numbered(const char *prefix, char ***out);

#endif
