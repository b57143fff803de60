# curve.awk — draw the learning curve of an nmt-train --log file as a
# self-contained SVG: training and validation loss (left axis) and
# validation BLEU (right axis) against training time in minutes.
# Usage: awk -f curve.awk -v title="de-en" train-log.jsonl > curve.svg
function field(line, key,    m) {
    if (match(line, "\"" key "\": [-0-9.eE+]+")) {
        m = substr(line, RSTART, RLENGTH)
        sub(/^[^:]*: /, "", m)
        return m + 0
    }
    return ""
}
{
    n++
    t[n] = field($0, "elapsed") / 60
    tl[n] = field($0, "train_loss")
    vl[n] = field($0, "valid_loss")
    b[n] = field($0, "valid_bleu")
}
function px(x) { return L + (W - L - R) * x / (tmax > 0 ? tmax : 1) }
function py(y) { return H - B - (H - T - B) * (y - lmin) / (lmax - lmin) }
function pb(y) { return H - B - (H - T - B) * y / (bmax > 0 ? bmax : 1) }
function path(arr, fn,    i, d, first) {
    d = ""; first = 1
    for (i = 1; i <= n; i++) {
        if (arr[i] == "" || (fn == "l" && arr[i] == 0)) continue
        d = d (first ? "M" : " L") sprintf("%.1f,%.1f", px(t[i]), fn == "b" ? pb(arr[i]) : py(arr[i]))
        first = 0
    }
    return d
}
END {
    W = 720; H = 420; L = 60; R = 60; T = 40; B = 50
    tmax = 0; lmin = 1e9; lmax = -1e9; bmax = 0
    for (i = 1; i <= n; i++) {
        if (t[i] > tmax) tmax = t[i]
        if (tl[i] != "" && tl[i] > 0) { if (tl[i] < lmin) lmin = tl[i]; if (tl[i] > lmax) lmax = tl[i] }
        if (vl[i] != "") { if (vl[i] < lmin) lmin = vl[i]; if (vl[i] > lmax) lmax = vl[i] }
        if (b[i] != "" && b[i] > bmax) bmax = b[i]
    }
    if (lmax <= lmin) { lmax = lmin + 1 }
    lmin = int(lmin); lmax = int(lmax) + 1
    bmax = (int(bmax / 10) + 1) * 10
    printf "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\" font-size=\"12\">\n", W, H
    printf "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"
    printf "<text x=\"%d\" y=\"22\" font-size=\"15\">Learning curve %s</text>\n", L, title
    # axes and grid
    for (k = 0; k <= 5; k++) {
        y = lmin + (lmax - lmin) * k / 5
        printf "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n", L, W - R, py(y), py(y)
        printf "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%.2f</text>\n", L - 6, py(y) + 4, y
        printf "<text x=\"%d\" y=\"%.1f\" fill=\"#b35900\">%.0f</text>\n", W - R + 6, pb(bmax * k / 5) + 4, bmax * k / 5
        x = tmax * k / 5
        printf "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%.1f</text>\n", px(x), H - B + 18, x
    }
    printf "<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" stroke=\"black\"/>\n", L, W - R, H - B, H - B
    printf "<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" stroke=\"black\"/>\n", L, L, T, H - B
    printf "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">training time (minutes)</text>\n", (L + W - R) / 2, H - 12
    printf "<text x=\"14\" y=\"%d\" transform=\"rotate(-90 14 %d)\" text-anchor=\"middle\">loss per token</text>\n", (T + H - B) / 2, (T + H - B) / 2
    printf "<text x=\"%d\" y=\"%d\" transform=\"rotate(90 %d %d)\" text-anchor=\"middle\" fill=\"#b35900\">validation BLEU</text>\n", W - 14, (T + H - B) / 2, W - 14, (T + H - B) / 2
    printf "<path d=\"%s\" fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"2\"/>\n", path(tl, "l")
    printf "<path d=\"%s\" fill=\"none\" stroke=\"#2ca02c\" stroke-width=\"2\"/>\n", path(vl, "l")
    printf "<path d=\"%s\" fill=\"none\" stroke=\"#b35900\" stroke-width=\"2\" stroke-dasharray=\"5,3\"/>\n", path(b, "b")
    printf "<g transform=\"translate(%d,%d)\">", L + 10, T + 8
    printf "<line x1=\"0\" x2=\"20\" y1=\"0\" y2=\"0\" stroke=\"#1f77b4\" stroke-width=\"2\"/><text x=\"26\" y=\"4\">train loss</text>"
    printf "<line x1=\"110\" x2=\"130\" y1=\"0\" y2=\"0\" stroke=\"#2ca02c\" stroke-width=\"2\"/><text x=\"136\" y=\"4\">valid loss</text>"
    printf "<line x1=\"220\" x2=\"240\" y1=\"0\" y2=\"0\" stroke=\"#b35900\" stroke-width=\"2\" stroke-dasharray=\"5,3\"/><text x=\"246\" y=\"4\">valid BLEU (greedy)</text></g>\n"
    printf "</svg>\n"
}
