/* fuzz_model — libFuzzer target for the model and checkpoint file loader:
 * the section container (modelfile_read) and model_load behind it
 * (configuration, embedded vocabulary, parameter sizes).
 *
 * model_load reads a path, so each input is placed in an in-memory file
 * (memfd) and loaded through /proc/self/fd/N. Each input is loaded twice:
 * as it is, and with the CRC-32 of every section rewritten to match its
 * payload, so the fuzzer gets past the checksums to the parsers. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "model/saved.h"
#include "sys/util.h"

static int fd = -1;
static char path[64];

static void load(const uint8_t *data, size_t size) {
    if (ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) != (ssize_t)size) abort();
    char err[1024];
    Model *m = model_load(path, NULL, err, sizeof err);
    if (m) {
        /* a model that loads is usable: its vocabulary sizes match the tables */
        if (vocab_size(m->vocab, VOCAB_SRC) != m->cfg.src_vocab) abort();
        if (vocab_size(m->vocab, VOCAB_TGT) != m->cfg.tgt_vocab) abort();
        model_free(m);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (fd < 0) {
        fd = memfd_create("fuzz_model", 0);
        if (fd < 0) abort();
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    }
    load(data, size);
    /* walk the sections as modelfile_read does and fix each CRC */
    if (size < 16) return 0;
    uint8_t *fixed = malloc(size);
    memcpy(fixed, data, size);
    uint32_t n;
    memcpy(&n, fixed + 12, 4);
    size_t pos = 16;
    for (uint32_t i = 0; i < n && i < 64 && size - pos >= 16; i++) {
        uint64_t slen;
        memcpy(&slen, fixed + pos + 4, 8);
        if (slen > size - pos - 16) break;
        uint32_t crc = crc32_update(0, fixed + pos + 16, (size_t)slen);
        memcpy(fixed + pos + 12, &crc, 4);
        pos += 16 + (size_t)slen;
    }
    load(fixed, size);
    free(fixed);
    return 0;
}
