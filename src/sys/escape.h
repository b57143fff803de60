/* escape.h — text made safe for JSON strings and HTML. */
#ifndef NMT_ESCAPE_H
#define NMT_ESCAPE_H

#include "sys/util.h"

/* Append s as a JSON string: quoted, with quotes, backslashes and control
 * characters escaped (UTF-8 passes through). */
void json_escape(Buf *b, const char *s);
/* Append s with & < > " ' as HTML entities. */
void html_escape(Buf *b, const char *s);

#endif
