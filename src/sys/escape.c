/* escape.c — see escape.h. */
#include "sys/escape.h"

#include <string.h>

void json_escape(Buf *b, const char *s) {
    buf_reserve(b, strlen(s) + 2);
    buf_append(b, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"': buf_append(b, "\\\"", 2); break;
        case '\\': buf_append(b, "\\\\", 2); break;
        case '\n': buf_append(b, "\\n", 2); break;
        case '\r': buf_append(b, "\\r", 2); break;
        case '\t': buf_append(b, "\\t", 2); break;
        case '\b': buf_append(b, "\\b", 2); break;
        case '\f': buf_append(b, "\\f", 2); break;
        default:
            if (*p < 0x20 || *p == 0x7f) buf_printf(b, "\\u%04x", *p);
            else buf_append(b, p, 1);
        }
    }
    buf_append(b, "\"", 1);
}

void html_escape(Buf *b, const char *s) {
    for (const char *p = s; *p; p++) {
        switch (*p) {
        case '&': buf_puts(b, "&amp;"); break;
        case '<': buf_puts(b, "&lt;"); break;
        case '>': buf_puts(b, "&gt;"); break;
        case '"': buf_puts(b, "&quot;"); break;
        case '\'': buf_puts(b, "&#39;"); break;
        default: buf_append(b, p, 1);
        }
    }
}
