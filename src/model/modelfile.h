/* modelfile.h — the on-disk container for models and checkpoints.
 *
 * Layout (little-endian):
 *   "NMTCMODL"  8-byte magic
 *   u32         format version (MODELFILE_VERSION)
 *   u32         number of sections
 *   sections:   char tag[4], u64 length, u32 CRC-32 of the payload, payload
 * A model holds sections CONF (configuration, "key=value" lines), VOCB
 * (the vocabulary file's bytes) and PARM (float32 parameters); a checkpoint
 * adds the optimizer moments and the trainer's state. Files are written
 * atomically; a truncated or corrupted file is refused on reading. */
#ifndef NMT_MODELFILE_H
#define NMT_MODELFILE_H

#include <stddef.h>
#include <stdint.h>

#define MODELFILE_VERSION 1

typedef struct {
    char tag[5]; /* four characters and a NUL */
    const void *data;
    uint64_t len;
} Section;

/* Write sections to path atomically. 0, or -1 with a message in err. */
int modelfile_write(const char *path, const Section *sections, int n, char *err, size_t errsz);

typedef struct {
    char *raw;
    Section *sections;
    int n;
} ModelFile;

/* Read and verify a whole file, which must be a regular file (a FIFO or
 * /dev/zero is refused before reading). 0, or -1 with a message naming the
 * file and the reason ("PATH: cannot open: No such file or directory"). */
int modelfile_read(const char *path, ModelFile *mf, char *err, size_t errsz);
/* The section with this tag, or NULL. */
const Section *modelfile_find(const ModelFile *mf, const char *tag);
void modelfile_free(ModelFile *mf);

#endif
