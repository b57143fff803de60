/* fuzz_vocab — libFuzzer target for the vocabulary file loader
 * (vocab_from_bytes, what vocab_load and the model loader run).
 *
 * Each input is parsed twice: as it is (the header and CRC checks), and
 * with its final "crc32" line rewritten to match, so the fuzzer reaches the
 * table parser behind the checksum. Properties checked on every vocabulary
 * that loads: serializing and loading again gives the same bytes, and
 * every token decodes to text one line can hold. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sys/util.h"
#include "vocab/vocab.h"

#include "check.h"

static void check_loaded(Vocab *v) {
    size_t len, len2;
    char *bytes = vocab_to_bytes(v, &len), err[512];
    Vocab *again = vocab_from_bytes(bytes, len, "reserialized", err, sizeof err);
    if (!again) fprintf(stderr, "%s\n", err);
    CHECK(again != NULL);
    char *bytes2 = vocab_to_bytes(again, &len2);
    CHECK(len == len2 && memcmp(bytes, bytes2, len) == 0);
    for (int s = 0; s < 2; s++)
        for (int id = 0; id < vocab_size(v, (VocabSide)s); id++) {
            char *text = vocab_decode(v, (VocabSide)s, &id, 1);
            CHECK(vocab_unsafe_text(text, strlen(text)) == NULL);
            free(text);
        }
    free(bytes);
    free(bytes2);
    vocab_free(again);
}

static void parse(const uint8_t *data, size_t size) {
    char err[512];
    Vocab *v = vocab_from_bytes(data, size, "fuzz", err, sizeof err);
    if (v) check_loaded(v), vocab_free(v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    parse(data, size);
    /* the same text with a matching checksum line: drop a last line that
     * looks like one, then append the right one */
    size_t body = size;
    if (body && data[body - 1] == '\n') {
        size_t last = body - 1;
        while (last > 0 && data[last - 1] != '\n') last--;
        if (body - last == 15 && memcmp(data + last, "crc32 ", 6) == 0) body = last;
    }
    if (body && data[body - 1] != '\n') return 0; /* the crc line must start a line */
    char *fixed = malloc(body + 16);
    memcpy(fixed, data, body);
    snprintf(fixed + body, 16, "crc32 %08x\n", crc32_update(0, data, body));
    parse((const uint8_t *)fixed, body + 15);
    free(fixed);
    return 0;
}
