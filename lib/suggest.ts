// "Did you mean …?" for a mistyped field name or value: the closest known name by edit distance
// (Damerau-Levenshtein: a swap of two neighbours counts as one edit), compared without case,
// underscores or dashes, so tau_mem finds tauMem and learnalpha finds learnAlpha.

function normal(s: string): string {
  return s.toLowerCase().replace(/[_\-\s]/g, "");
}

/** Edits (insert, delete, substitute, swap neighbours) from a to b. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  return d[a.length][b.length];
}

/** The known name closest to word, if it is close enough to be a typo of it (else undefined). */
export function closest(word: string, known: Iterable<string>): string | undefined {
  const w = normal(word);
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of known) {
    const d = editDistance(w, normal(k));
    if (d < bestD) [best, bestD] = [k, d];
  }
  // A third of the word's length, at least 1 and at most 3 edits: "tauMen" → tauMem, not "seed" → "dt".
  const limit = Math.min(3, Math.max(1, Math.floor(w.length / 3)));
  return bestD <= limit ? best : undefined;
}

/** "; did you mean tauMem?" or "" — to append to an error message. */
export function didYouMean(word: unknown, known: Iterable<string>): string {
  if (typeof word !== "string") return "";
  const c = closest(word, known);
  return c !== undefined && c !== word ? `; did you mean ${c}?` : "";
}
