#!/usr/bin/env python3
# row_shift.py ATT.jsonl GOLD [--pharaoh]: AER of the hard word alignment when target token t's
# link is read from the attention row of step t-1, t or t+1. ATT.jsonl comes from
# nmt-score --attention FILE.jsonl; GOLD is talp (1-based, ipj possible) or, with --pharaoh, 0-based.
# Words and the merge are those of nmt-score --alignment hard (src/translate/alignment.c).
import json
import sys

att_path, gold_path = sys.argv[1], sys.argv[2]
base = 0 if '--pharaoh' in sys.argv else 1
W = '\u2581'
def words(toks):
    ids, w = [], -1
    for i, t in enumerate(toks):
        if t == W or t == '</s>': ids.append(-1); continue
        if t.startswith(W) or w < 0 or (i > 0 and toks[i-1] == W): w += 1
        ids.append(w)
    return ids, w + 1
gold = []
for line in open(gold_path):
    S, P = set(), set()
    for l in line.split():
        if 'p' in l: i, j = l.split('p'); P.add((int(i)-base, int(j)-base))
        else: i, j = l.split('-'); S.add((int(i)-base, int(j)-base)); P.add((int(i)-base, int(j)-base))
    gold.append((S, P))
recs = [json.loads(l) for l in open(att_path)]
for d in (-1, 0, 1):
    A = AS = AP = NS = 0
    for r, (S, P) in zip(recs, gold):
        sw, Ws = words(r['src_tokens']); tw, Wt = words(r['tgt_tokens'])
        M = [[0.0]*Ws for _ in range(Wt)]; cnt = [0]*Wt
        rows = r['attention']; n = len(rows) - 1  # last row is </s>
        for t in range(n):
            if tw[t] < 0: continue
            row = rows[min(max(t + d, 0), len(rows) - 1)]
            cnt[tw[t]] += 1
            for s, a in enumerate(row):
                if sw[s] >= 0: M[tw[t]][sw[s]] += a
        links = set()
        for j in range(Wt):
            if cnt[j]: links.add((max(range(Ws), key=lambda i: (M[j][i], -i)), j))
        A += len(links); AS += len(links & S); AP += len(links & P); NS += len(S)
    print("row shift %+d: AER %.4f precision %.4f recall %.4f" % (d, 1 - (AS + AP) / (A + NS), AP / A, AS / NS))
