import { displayWidth, isWide, padEndToWidth } from '../../bin/cli/display-width';
import { table } from '../../bin/cli/table';

/**
 * The CLI's tables pad by terminal columns: East Asian Wide and Fullwidth characters take two,
 * combining marks and invisible characters none, an emoji sequence two — so Japanese names and
 * notes keep the columns after them in line.
 */
describe('displayWidth', () => {
  it.each<[string, string, number]>([
    ['ASCII', 'shared-disk', 11],
    ['kanji', '株式', 4],
    ['hiragana and katakana', 'かぶしきカブシキ', 16],
    ['halfwidth katakana (East Asian Width H)', 'ｶﾌﾞｼｷ', 5],
    ['fullwidth forms (F)', 'ＡＢＣ１２３', 12],
    ['ideographic space and punctuation', '　、。「」', 10],
    ['mixed Japanese and ASCII', '田中（運用） ops-1', 18],
    ['a kana with a combining voiced mark (か + U+3099)', 'か\u3099', 2],
    ['a Latin letter with a combining accent', 'e\u0301', 1],
    ['Hangul syllables', '한국어', 6],
    ['a Hangul syllable as conjoining jamo (ᄀ + ᅡ + ᆨ)', '\u1100\u1161\u11A8', 2],
    ['a CJK Extension B character (plane 2)', '\u{20B9F}', 2],
    ['zero-width space and joiner', 'a\u200Bb\u200Dc', 3],
    ['a control character', 'a\u0007b', 2],
    ['ambiguous width (○, ※) counts narrow', '○※', 2],
    ['an emoji', '😀', 2],
    ['an emoji with a skin tone', '👍🏽', 2],
    ['an emoji ZWJ sequence (one family)', '👨‍👩‍👧', 2],
    ['a text-style symbol made emoji by U+FE0F', '❤\uFE0F', 2],
    ['the same symbol in text style', '❤', 1],
    ['a flag (two regional indicators)', '🇯🇵', 2],
    ['a keycap sequence', '1\uFE0F\u20E3', 2],
    ['empty', '', 0],
  ])('%s: %j is %i columns', (_, text, width) => {
    expect(displayWidth(text)).toBe(width);
  });

  it.each<[number, boolean]>([
    [0x1100, true], // first Hangul Jamo leading consonant
    [0x115f, true],
    [0x1160, false], // a Jamo vowel: narrow
    [0x3000, true],
    [0x303f, false], // IDEOGRAPHIC HALF FILL SPACE: narrow, between wide ranges
    [0xff60, true],
    [0xff61, false], // HALFWIDTH IDEOGRAPHIC FULL STOP
    [0x3fffd, true],
    [0x3fffe, false],
    [0x41, false],
  ])('isWide(U+%s) is %s at a range edge', (codePoint, wide) => {
    expect(isWide(codePoint)).toBe(wide);
  });

  it('pads to a width in columns, and never shortens', () => {
    expect(padEndToWidth('株式', 6)).toBe('株式  ');
    expect(padEndToWidth('株式会社', 6)).toBe('株式会社');
  });
});

describe('table', () => {
  /** Where each cell starts, in terminal columns: what a person sees line up. */
  const starts = (line: string, cells: readonly string[]) => {
    const columns: number[] = [];
    let from = 0;
    for (const cell of cells) {
      const index = line.indexOf(cell, from);
      columns.push(displayWidth(line.slice(0, index)));
      from = index + cell.length;
    }
    return columns;
  };

  it('keeps the columns after Japanese text in line', () => {
    // Prepare
    const rows = [
      ['equities', '株式', 'halted', 'shared disk failure'],
      ['derivatives', 'デリバティブ', 'trading', '-'],
      ['bonds', 'bonds', 'halted', '国債の清算遅延'],
    ];

    // Act
    const lines = table(['MARKET', 'NAME', 'STATUS', 'NOTE'], rows);

    // Assess
    expect(lines).toEqual([
      'MARKET       NAME          STATUS   NOTE',
      'equities     株式          halted   shared disk failure',
      'derivatives  デリバティブ  trading  -',
      'bonds        bonds         halted   国債の清算遅延',
    ]);
    const expected = [0, 13, 27, 36];
    for (const [index, row] of rows.entries()) expect(starts(lines[index + 1]!, row)).toEqual(expected);
  });

  it('sizes a column by its widest cell in columns, the heading included, and leaves the last ragged', () => {
    const lines = table(['ID', 'BY', 'NOTE'], [['sil-1', '田中（運用）', 'nightly batch'], ['sil-2', 'ops-suzuki', '保守']]);

    expect(lines).toEqual(['ID     BY            NOTE', 'sil-1  田中（運用）  nightly batch', 'sil-2  ops-suzuki    保守']);
    expect(lines.map((line) => displayWidth(line.slice(0, line.lastIndexOf('  ') + 2)))).toEqual([21, 21, 21]);
  });

  it('pads with emoji and combining marks by what they show, not by their code units', () => {
    const lines = table(['A', 'B'], [['👨‍👩‍👧', 'x'], ['e\u0301te\u0301', 'y'], ['ab', 'z']]);

    expect(lines).toEqual(['A    B', '👨‍👩‍👧   x', 'e\u0301te\u0301  y', 'ab   z']);
  });
});
