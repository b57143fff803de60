/* modelfile.c — see modelfile.h. */
#include "model/modelfile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

static const char MAGIC[8] = {'N', 'M', 'T', 'C', 'M', 'O', 'D', 'L'};

int modelfile_write(const char *path, const Section *sections, int n, char *err, size_t errsz) {
    AtomicFile af;
    if (atomic_open(&af, path, err, errsz) != 0) return -1;
    uint32_t head[2] = {MODELFILE_VERSION, (uint32_t)n};
    if (atomic_write(&af, MAGIC, sizeof MAGIC, err, errsz) || atomic_write(&af, head, sizeof head, err, errsz))
        return -1;
    for (int i = 0; i < n; i++) {
        const Section *s = &sections[i];
        uint32_t crc = crc32_update(0, s->data, s->len);
        if (atomic_write(&af, s->tag, 4, err, errsz) || atomic_write(&af, &s->len, 8, err, errsz) ||
            atomic_write(&af, &crc, 4, err, errsz) || atomic_write(&af, s->data, s->len, err, errsz))
            return -1;
    }
    return atomic_commit(&af, err, errsz);
}

int modelfile_read(const char *path, ModelFile *mf, char *err, size_t errsz) {
    memset(mf, 0, sizeof *mf);
    if (!*path) {
        snprintf(err, errsz, "the model file name is empty");
        return -1;
    }
    /* a regular file only, read no further than its size: /dev/zero or a
     * FIFO would otherwise be read until memory runs out, or block */
    size_t len;
    char *raw = read_regular_file(path, &len, err, errsz);
    if (!raw) return -1;
    if (len < 16 || memcmp(raw, MAGIC, sizeof MAGIC) != 0) {
        snprintf(err, errsz, "%s: not an nmtc model file (wrong magic number)", path);
        free(raw);
        return -1;
    }
    uint32_t version, n;
    memcpy(&version, raw + 8, 4);
    memcpy(&n, raw + 12, 4);
    if (version != MODELFILE_VERSION) {
        snprintf(err, errsz, "%s: model file format version %u; this build reads version %d", path, version,
                 MODELFILE_VERSION);
        free(raw);
        return -1;
    }
    if (n > 64) {
        snprintf(err, errsz, "%s: corrupted model file (%u sections)", path, n);
        free(raw);
        return -1;
    }
    mf->sections = xcalloc(n ? n : 1, sizeof(Section));
    size_t pos = 16;
    for (uint32_t i = 0; i < n; i++) {
        Section *s = &mf->sections[i];
        uint64_t slen;
        uint32_t crc;
        if (len - pos < 16) goto truncated;
        memcpy(s->tag, raw + pos, 4);
        s->tag[4] = '\0';
        memcpy(&slen, raw + pos + 4, 8);
        memcpy(&crc, raw + pos + 12, 4);
        pos += 16;
        if (slen > len - pos) goto truncated;
        s->data = raw + pos;
        s->len = slen;
        if (crc32_update(0, s->data, slen) != crc) {
            snprintf(err, errsz, "%s: corrupted model file (checksum mismatch in section %s)", path, s->tag);
            free(mf->sections);
            free(raw);
            return -1;
        }
        pos += slen;
    }
    if (pos != len) {
        snprintf(err, errsz, "%s: corrupted model file (%zu unexpected bytes at the end)", path, len - pos);
        free(mf->sections);
        free(raw);
        return -1;
    }
    mf->raw = raw;
    mf->n = (int)n;
    return 0;
truncated:
    snprintf(err, errsz, "%s: truncated model file (%zu bytes)", path, len);
    free(mf->sections);
    free(raw);
    return -1;
}

const Section *modelfile_find(const ModelFile *mf, const char *tag) {
    for (int i = 0; i < mf->n; i++)
        if (memcmp(mf->sections[i].tag, tag, 4) == 0) return &mf->sections[i];
    return NULL;
}

void modelfile_free(ModelFile *mf) {
    free(mf->raw);
    free(mf->sections);
    memset(mf, 0, sizeof *mf);
}
