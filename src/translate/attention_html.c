/* attention_html.c — see attention_html.h. */
#include "translate/attention_html.h"

#include <math.h>
#include <stdio.h>

#include "sys/escape.h"
#include "translate/attention_marks.h"

/* The heatmaps' look (CSS) and their hover readout (JS), shared with the
 * live page of nmt-serve (serve/page.c), so both look alike. */
const char ATTDUMP_HTML_STYLE[] =
    "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:1.5em 2em;color:#1d2330;background:#fff}\n"
    "h1{font-size:1.4em;margin:0 0 .3em}\n"
    "p.note{color:#555;margin:.2em 0 1em}\n"
    "section.sent{border-top:1px solid #d8dce3;padding:.8em 0 1.2em}\n"
    "section.sent h2{font-size:1em;margin:0 0 .4em;color:#555}\n"
    "p.txt{margin:.15em 0;font-size:.95em}\n"
    "p.txt b{display:inline-block;width:4.5em;color:#777;font-weight:normal}\n"
    ".scroll{overflow-x:auto;margin-top:.6em}\n"
    "table.heatmap{border-collapse:collapse;font-size:12px;font-family:ui-monospace,Menlo,Consolas,monospace}\n"
    "table.heatmap td{width:22px;min-width:22px;height:22px;padding:0;border:1px solid #fff;cursor:crosshair}\n"
    "table.heatmap td:hover{outline:2px solid #e4572e;outline-offset:-2px}\n"
    "table.heatmap th{font-weight:normal;padding:1px 5px;white-space:pre;color:#333}\n"
    "table.heatmap thead th{vertical-align:bottom;height:1px}\n"
    "table.heatmap thead th span{writing-mode:vertical-rl;transform:rotate(180deg);display:inline-block}\n"
    "table.heatmap tbody th{text-align:right}\n"
    "table.heatmap th.hl{background:#ffe08a}\n"
    "#readout{position:fixed;right:1em;top:1em;background:#1d2330;color:#fff;padding:.45em .8em;border-radius:6px;"
    "font:13px ui-monospace,Menlo,Consolas,monospace;display:none;box-shadow:0 2px 8px rgba(0,0,0,.25)}\n"
    "table.heatmap td.m{box-shadow:inset 0 0 0 2px #f28e2b}\n"
    "table.heatmap td.s::after,table.heatmap td.p::after{content:'';display:block;margin:auto;border-radius:50%;"
    "box-sizing:border-box;width:10px;height:10px}\n"
    "table.heatmap td.s::after{background:#d7191c;border:1.5px solid #fff}\n"
    "table.heatmap td.p::after{border:2.5px solid #d7191c;width:9px;height:9px}\n"
    "p.marks{font-size:.85em;color:#555;margin:.4em 0 0}\n"
    "p.marks i{display:inline-block;width:12px;height:12px;vertical-align:-2px;margin:0 .25em 0 .9em}\n"
    "p.marks i.m{box-shadow:inset 0 0 0 2px #f28e2b}\n"
    "p.marks i.s{border-radius:50%;background:#d7191c;transform:scale(.8)}\n"
    "p.marks i.p{border-radius:50%;border:2.5px solid #d7191c;box-sizing:border-box;transform:scale(.8)}\n"
    ".legend{display:inline-block;width:160px;height:10px;vertical-align:middle;border:1px solid #ccc;"
    "background:linear-gradient(to right,#ffffff,#08306b)}\n";

/* The page up to the first sentence: title (twice) and style. */
static const char *HTML_HEAD =
    "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>%s</title>\n<style>\n"
    "%s"
    "</style>\n</head>\n<body>\n<h1>%s</h1>\n"
    "<p class=\"note\">One heatmap per sentence: rows are target tokens (subwords, then &lt;/s&gt;), columns are "
    "source tokens; &#9601; marks a token that starts after a space. Each row sums to 1. "
    "0 <span class=\"legend\"></span> 1 &mdash; hover a cell to see its weight.</p>\n"
    "<div id=\"readout\"></div>\n";

const char ATTDUMP_HTML_SCRIPT[] =
    "(function(){\n"
    "  var out=document.getElementById('readout'), lit=[];\n"
    "  function clear(){lit.forEach(function(e){e.classList.remove('hl');});lit=[];}\n"
    "  document.addEventListener('mouseover',function(ev){\n"
    "    var td=ev.target.closest?ev.target.closest('table.heatmap td'):null;\n"
    "    clear();\n"
    "    if(!td){out.style.display='none';return;}\n"
    "    var tr=td.parentNode, tab=tr.closest('table'), col=td.cellIndex;\n"
    "    var rh=tr.cells[0], ch=tab.tHead.rows[0].cells[col];\n"
    "    rh.classList.add('hl'); ch.classList.add('hl'); lit=[rh,ch];\n"
    "    out.textContent=rh.textContent+'  \\u2190  '+ch.textContent+'   '+td.getAttribute('data-w');\n"
    "    out.style.display='block';\n"
    "  });\n"
    "})();\n";


/* Heads: a menu (select.head, data-id the table's) recolours its heatmap
 * from the table's data-heads, [mean, head 1, .., head N] each [Tt*Ts], in
 * cell_color's colours. Written once per page, before the first menu. */
static const char HTML_HEADS_SCRIPT[] =
    "<script>\n"
    "document.addEventListener('change',function(ev){\n"
    "  var s=ev.target;if(!s.classList||!s.classList.contains('head'))return;\n"
    "  var tab=document.querySelector('table.heatmap[data-id=\"'+s.getAttribute('data-id')+'\"]');\n"
    "  var m=JSON.parse(tab.getAttribute('data-heads'))[s.selectedIndex],rows=tab.tBodies[0].rows,i=0;\n"
    "  for(var r=0;r<rows.length;r++)for(var c=1;c<rows[r].cells.length;c++,i++){\n"
    "    var w=m[i],td=rows[r].cells[c],g=Math.pow(Math.min(Math.max(w,0),1),0.8);\n"
    "    td.style.background='rgb('+Math.round(255-247*g)+','+Math.round(255-207*g)+','+Math.round(255-148*g)+')';\n"
    "    td.setAttribute('data-w',w.toFixed(4));td.title=td.title.replace(/: [0-9.e-]+$/,': '+w.toFixed(4));\n"
    "  }\n"
    "});\n"
    "</script>\n";

/* html: the menu of heads and the data it switches between. */
static void html_heads(Buf *b, const AttRecord *r, int with_script) {
    if (with_script) buf_puts(b, HTML_HEADS_SCRIPT);
    buf_printf(b, "<p class=\"txt\"><b>head</b><select class=\"head\" data-id=\"%ld\"><option>mean</option>", r->id);
    for (int k = 1; k <= r->heads; k++) buf_printf(b, "<option>%d</option>", k);
    buf_puts(b, "</select></p>\n");
}

static void cell_color(float w, char out[8]) {
    if (!(w >= 0.0f)) w = 0.0f;
    if (w > 1.0f) w = 1.0f;
    /* white -> dark blue (#08306b), with a slight gamma so small weights show */
    float g = powf(w, 0.8f);
    int r = (int)(255.0f + g * (8.0f - 255.0f) + 0.5f), gr = (int)(255.0f + g * (48.0f - 255.0f) + 0.5f),
        bl = (int)(255.0f + g * (107.0f - 255.0f) + 0.5f);
    snprintf(out, 8, "#%02x%02x%02x", r, gr, bl);
}

void attention_html_record(Buf *b, const AttRecord *r, int with_script) {
    buf_printf(b, "<section class=\"sent\" id=\"s%ld\">\n<h2>sentence %ld</h2>\n", r->id, r->id);
    if (r->src_text) buf_puts(b, "<p class=\"txt\"><b>source</b>"), html_escape(b, r->src_text), buf_puts(b, "</p>\n");
    if (r->tgt_text) buf_puts(b, "<p class=\"txt\"><b>target</b>"), html_escape(b, r->tgt_text), buf_puts(b, "</p>\n");
    if (attrecord_has_heads(r)) html_heads(b, r, with_script);
    buf_printf(b, "<div class=\"scroll\"><table class=\"heatmap\" data-id=\"%ld\"", r->id);
    if (attrecord_has_heads(r)) { /* [mean, head 1, .., head N], each row-major */
        buf_puts(b, " data-heads=\"[");
        for (int k = 0; k <= r->heads; k++) {
            const float *m = k == 0 ? r->att : r->head_att + (size_t)(k - 1) * r->Tt * r->Ts;
            buf_puts(b, k ? ",[" : "[");
            for (size_t i = 0; i < (size_t)r->Tt * r->Ts; i++) buf_printf(b, "%s%.4f", i ? "," : "", (double)m[i]);
            buf_append(b, "]", 1);
        }
        buf_puts(b, "]\"");
    }
    buf_puts(b, ">\n<thead><tr><th></th>");
    for (int s = 0; s < r->Ts; s++) {
        buf_puts(b, "<th><span>");
        html_escape(b, r->src_tokens[s]);
        buf_puts(b, "</span></th>");
    }
    buf_puts(b, "</tr></thead>\n<tbody>\n");
    for (int t = 0; t < r->Tt; t++) {
        buf_puts(b, "<tr><th>");
        html_escape(b, r->tgt_tokens[t]);
        buf_puts(b, "</th>");
        for (int s = 0; s < r->Ts; s++) {
            float w = r->att[(size_t)t * r->Ts + s];
            char col[8];
            cell_color(w, col);
            const unsigned mk = r->marks ? r->marks[(size_t)t * r->Ts + s] : 0;
            buf_puts(b, "<td");
            if (mk) /* model link outlined; gold: a dot for sure, a ring for possible */
                buf_printf(b, " class=\"%s%s\"", mk & MARK_MODEL ? "m " : "",
                           mk & MARK_SURE ? "s" : mk & MARK_POSSIBLE ? "p" : "");
            buf_printf(b, " style=\"background:%s\" data-w=\"%.4f\" title=\"", col, (double)w);
            html_escape(b, r->tgt_tokens[t]);
            buf_puts(b, " \xe2\x86\x90 ");
            html_escape(b, r->src_tokens[s]);
            buf_printf(b, ": %.4f\"></td>", (double)w);
        }
        buf_puts(b, "</tr>\n");
    }
    buf_puts(b, "</tbody></table></div>\n");
    if (r->marks_note) buf_printf(b, "<p class=\"marks\">%s</p>\n", r->marks_note);
    buf_puts(b, "</section>\n");
}

void attention_html_begin(Buf *b, const char *title) {
    Buf t = {0};
    html_escape(&t, title ? title : "Attention");
    buf_printf(b, HTML_HEAD, t.data, ATTDUMP_HTML_STYLE, t.data);
    buf_free(&t);
}

void attention_html_end(Buf *b, int empty) {
    if (empty) buf_puts(b, "<p class=\"note\">(no sentences)</p>\n");
    buf_puts(b, "<script>\n");
    buf_puts(b, ATTDUMP_HTML_SCRIPT);
    buf_puts(b, "</script>\n</body>\n</html>\n");
}
