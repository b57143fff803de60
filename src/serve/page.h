/* page.h — nmt-serve's page (GET /): one self-contained HTML document,
 * nothing fetched but the server's own /model and /translate.
 *
 * Type or paste text (one sentence per line), choose the model, beam and
 * n-best size, and each line is shown as the html attention dumps show a
 * sentence (their CSS and hover readout, translate/attention_dump.h): the
 * source, the translation, a heatmap of target x source tokens whose
 * cells of the word links (--alignment hard) are outlined, the weight of
 * the hovered cell; and the n-best list, where a click shows that
 * hypothesis' own translation, links and attention. Every text of a
 * request or an answer enters the document as text (textContent), never as
 * markup. /?text=...&beam=N&nbest=N fills the form and submits it when the
 * page loads (what the browser test drives); body[data-state] is "done"
 * once the answer is shown, "error" after a failed request. */
#ifndef NMT_SERVE_PAGE_H
#define NMT_SERVE_PAGE_H

#include "sys/util.h"

/* Append the page to out. */
void page_html(Buf *out);

#endif
