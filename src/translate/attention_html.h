/* attention_html.h — the html attention dump's page: its head, one
 * sentence's heatmap (with the marks of attention_marks.h and, for several
 * heads, a menu that switches between them), and its end; and the look
 * (CSS, hover script) that nmt-serve's page shares. attention_dump.c
 * writes the page through these. */
#ifndef NMT_ATTENTION_HTML_H
#define NMT_ATTENTION_HTML_H

#include "sys/util.h"
#include "translate/attention_dump.h"

/* The heatmaps' CSS (inside <style>) and the script that shows a hovered
 * cell's weight in the element #readout (inside <script>). */
extern const char ATTDUMP_HTML_STYLE[];
extern const char ATTDUMP_HTML_SCRIPT[];

/* The page up to its first sentence, titled title ("Attention" for NULL). */
void attention_html_begin(Buf *b, const char *title);
/* One sentence's section. with_script: also the head menus' script, once
 * per page, before the first record with heads. */
void attention_html_record(Buf *b, const AttRecord *r, int with_script);
/* The page's end (a note when it has no sentences). */
void attention_html_end(Buf *b, int empty);

#endif
