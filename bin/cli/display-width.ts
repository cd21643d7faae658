/**
 * How many terminal columns a string takes: what the CLI's tables pad by, so that Japanese
 * names and notes (two columns a character) do not shift the columns after them.
 *
 * Why not the `string-width` package: every maintained version (5 and later, and its
 * `get-east-asian-width` data) is ESM-only. This project is CommonJS (ts-node and ts-jest
 * without ESM): Node 24 and `tsc` (`module: node20`) accept `require` of an ES module, but jest
 * cannot load one untransformed (test/helpers/esm-to-cjs.js converts commander's). 4.2.3, the last
 * CommonJS release, is no longer maintained and approximates: 17 hand-written wide ranges
 * (is-fullwidth-code-point 3), and only U+0300–U+036F as combining marks, so Japanese voiced
 * kana written with U+3099 (か + ゙) count 4 columns, not 2. So the rule is implemented here:
 *
 * - the string is split into grapheme clusters (`Intl.Segmenter`), so that an emoji sequence (a
 *   pictograph with U+FE0F, a ZWJ or a skin tone; a keycap; a flag) counts once, as 2;
 * - any other cluster counts its code points: 0 for a control or invisible one (format characters
 *   such as U+200B, combining marks, the Hangul vowels and finals that join a leading consonant),
 *   2 for East Asian Width W (wide) or F (fullwidth) per Unicode's EastAsianWidth.txt, else 1 —
 *   so the halfwidth voiced mark in ﾌﾞ, which Unicode joins to its letter but a terminal draws in
 *   a cell of its own, counts 1. Ambiguous (A) characters (○, ※, Greek, Cyrillic) count 1, as in
 *   most terminals and in `string-width`'s default.
 */

const segmenter = new Intl.Segmenter('en', { granularity: 'grapheme' });

/** The columns `text` takes in a terminal. */
export function displayWidth(text: string): number {
  let width = 0;
  for (const { segment } of segmenter.segment(text)) width += clusterWidth(segment);
  return width;
}

/** `text` padded with spaces at the end to `width` columns (unchanged when it is that wide already). */
export function padEndToWidth(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - displayWidth(text)));
}

const ZERO_WIDTH = /^[\p{Cc}\p{Cf}\p{Mn}\p{Me}\p{Default_Ignorable_Code_Point}\u1160-\u11FF\uD7B0-\uD7FF]$/u;
const PICTOGRAPH = /^\p{Extended_Pictographic}/u;
const EMOJI_JOINERS = /[\u200D\uFE0F\u{1F3FB}-\u{1F3FF}]/u;
const KEYCAP = '\u20E3';
const FLAG = /^[\u{1F1E6}-\u{1F1FF}]{2}$/u;

function clusterWidth(cluster: string): number {
  if ((PICTOGRAPH.test(cluster) && EMOJI_JOINERS.test(cluster)) || cluster.endsWith(KEYCAP) || FLAG.test(cluster)) return 2;
  let width = 0;
  for (const character of cluster) width += ZERO_WIDTH.test(character) ? 0 : isWide(character.codePointAt(0)!) ? 2 : 1;
  return width;
}

/**
 * The code points whose East Asian Width is W or F, adjacent ranges merged: generated from
 * Unicode 15.0's EastAsianWidth.txt (Debian's `unicode-data`, /usr/share/unicode), sorted for
 * a binary search. Planes 2 and 3 (CJK extensions) are W in full, unassigned code points
 * included, as the file specifies; later Unicode versions add characters inside these blocks.
 */
const WIDE: ReadonlyArray<readonly [number, number]> = [
  [0x1100, 0x115f], [0x231a, 0x231b], [0x2329, 0x232a], [0x23e9, 0x23ec], [0x23f0, 0x23f0], [0x23f3, 0x23f3],
  [0x25fd, 0x25fe], [0x2614, 0x2615], [0x2648, 0x2653], [0x267f, 0x267f], [0x2693, 0x2693], [0x26a1, 0x26a1],
  [0x26aa, 0x26ab], [0x26bd, 0x26be], [0x26c4, 0x26c5], [0x26ce, 0x26ce], [0x26d4, 0x26d4], [0x26ea, 0x26ea],
  [0x26f2, 0x26f3], [0x26f5, 0x26f5], [0x26fa, 0x26fa], [0x26fd, 0x26fd], [0x2705, 0x2705], [0x270a, 0x270b],
  [0x2728, 0x2728], [0x274c, 0x274c], [0x274e, 0x274e], [0x2753, 0x2755], [0x2757, 0x2757], [0x2795, 0x2797],
  [0x27b0, 0x27b0], [0x27bf, 0x27bf], [0x2b1b, 0x2b1c], [0x2b50, 0x2b50], [0x2b55, 0x2b55], [0x2e80, 0x2e99],
  [0x2e9b, 0x2ef3], [0x2f00, 0x2fd5], [0x2ff0, 0x2ffb], [0x3000, 0x303e], [0x3041, 0x3096], [0x3099, 0x30ff],
  [0x3105, 0x312f], [0x3131, 0x318e], [0x3190, 0x31e3], [0x31f0, 0x321e], [0x3220, 0x3247], [0x3250, 0x4dbf],
  [0x4e00, 0xa48c], [0xa490, 0xa4c6], [0xa960, 0xa97c], [0xac00, 0xd7a3], [0xf900, 0xfaff], [0xfe10, 0xfe19],
  [0xfe30, 0xfe52], [0xfe54, 0xfe66], [0xfe68, 0xfe6b], [0xff01, 0xff60], [0xffe0, 0xffe6], [0x16fe0, 0x16fe4],
  [0x16ff0, 0x16ff1], [0x17000, 0x187f7], [0x18800, 0x18cd5], [0x18d00, 0x18d08], [0x1aff0, 0x1aff3], [0x1aff5, 0x1affb],
  [0x1affd, 0x1affe], [0x1b000, 0x1b122], [0x1b132, 0x1b132], [0x1b150, 0x1b152], [0x1b155, 0x1b155], [0x1b164, 0x1b167],
  [0x1b170, 0x1b2fb], [0x1f004, 0x1f004], [0x1f0cf, 0x1f0cf], [0x1f18e, 0x1f18e], [0x1f191, 0x1f19a], [0x1f200, 0x1f202],
  [0x1f210, 0x1f23b], [0x1f240, 0x1f248], [0x1f250, 0x1f251], [0x1f260, 0x1f265], [0x1f300, 0x1f320], [0x1f32d, 0x1f335],
  [0x1f337, 0x1f37c], [0x1f37e, 0x1f393], [0x1f3a0, 0x1f3ca], [0x1f3cf, 0x1f3d3], [0x1f3e0, 0x1f3f0], [0x1f3f4, 0x1f3f4],
  [0x1f3f8, 0x1f43e], [0x1f440, 0x1f440], [0x1f442, 0x1f4fc], [0x1f4ff, 0x1f53d], [0x1f54b, 0x1f54e], [0x1f550, 0x1f567],
  [0x1f57a, 0x1f57a], [0x1f595, 0x1f596], [0x1f5a4, 0x1f5a4], [0x1f5fb, 0x1f64f], [0x1f680, 0x1f6c5], [0x1f6cc, 0x1f6cc],
  [0x1f6d0, 0x1f6d2], [0x1f6d5, 0x1f6d7], [0x1f6dc, 0x1f6df], [0x1f6eb, 0x1f6ec], [0x1f6f4, 0x1f6fc], [0x1f7e0, 0x1f7eb],
  [0x1f7f0, 0x1f7f0], [0x1f90c, 0x1f93a], [0x1f93c, 0x1f945], [0x1f947, 0x1f9ff], [0x1fa70, 0x1fa7c], [0x1fa80, 0x1fa88],
  [0x1fa90, 0x1fabd], [0x1fabf, 0x1fac5], [0x1face, 0x1fadb], [0x1fae0, 0x1fae8], [0x1faf0, 0x1faf8], [0x20000, 0x2fffd],
  [0x30000, 0x3fffd],
];

/** Whether a code point's East Asian Width is W or F. */
export function isWide(codePoint: number): boolean {
  let low = 0;
  let high = WIDE.length - 1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    const [from, to] = WIDE[middle]!;
    if (codePoint < from) high = middle - 1;
    else if (codePoint > to) low = middle + 1;
    else return true;
  }
  return false;
}
