import { JSON_MAX_DEPTH, parseJsonSafely } from '../../lambda/adapters/safe-json';

/** Tocsin's JSON reader: JSON.parse's grammar, and a 400 for what DynamoDB could not store faithfully. */

const nested = (levels: number) => `${'{"a":'.repeat(levels - 1)}{}${'}'.repeat(levels - 1)}`;

describe('parseJsonSafely', () => {
  it.each([
    ['an object', '{"a":[1,2.5,-3e2,true,false,null,"x"]}'],
    ['escapes', '"\\u00e9\\n\\t\\"\\\\\\/\\ud83d\\ude00"'],
    ['whitespace', ' \n\t{ "a" : [ ] , "b" : { } }\r\n'],
    ['zero in every form', '[0,-0,0.0,0e10]'],
    ['the largest safe integer', '9007199254740991'],
    ['small numbers DynamoDB stores', '[1e-130,0.000001,-2.5e-100]'],
    ['keys that merely look special', '{"constructor":1,"prototype":2,"toString":3}'],
    [`${JSON_MAX_DEPTH} levels`, nested(JSON_MAX_DEPTH)],
  ])('reads %s as JSON.parse does', (_, text) => {
    expect(parseJsonSafely(text)).toEqual({ ok: true, value: JSON.parse(text) });
  });

  it('keeps integers beyond ±2^53 exactly, as bigint', () => {
    expect(parseJsonSafely('{"ns":1601535853482339012,"neg":-18446744073709551615}')).toEqual({ ok: true, value: { ns: 1601535853482339012n, neg: -18446744073709551615n } });
  });

  describe('refuses what DynamoDB cannot store, naming the field', () => {
    it.each([
      ['nesting of 32 levels', `{"details":${nested(31)}}`, 'details.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a', /nests deeper than 16 levels/],
      ['nesting of 17 levels in an array', `[${'['.repeat(16)}${']'.repeat(16)}]`, '[0]'.repeat(16), /nests deeper than 16 levels/],
      ['1e400', '{"details":{"x":1e400}}', 'details.x', /number 1e400 is out of range/],
      ['-1e400', '{"x":-1e400}', 'x', /number -1e400 is out of range/],
      ['1.5e300', '{"x":1.5e300}', 'x', /out of range/],
      ['a fraction beyond 2^53', '{"x":9007199254740993.5}', 'x', /out of range/],
      ['1e-200', '{"details":{"x":1e-200}}', 'details.x', /number 1e-200 is too small to store/],
      ['1e-400 (which reads as 0)', '{"x":1e-400}', 'x', /number 1e-400 is too small to store/],
      ['an empty key', '{"details":{"":1}}', 'details', /has an empty key/],
      ['a nested __proto__', '{"details":{"a":{"__proto__":{"polluted":true}}}}', 'details.a.__proto__', /"__proto__" is not accepted/],
      ['constructor.prototype', '{"details":{"constructor":{"prototype":{"polluted":true}}}}', 'details.constructor.prototype', /"constructor.prototype" is not accepted/],
      ['a repeated key', '{"status":"firing","status":"resolved"}', 'status', /appears twice/],
      ['an unpaired surrogate', '{"summary":"\\ud800x"}', 'summary', /unpaired UTF-16 surrogate/],
      ['a lone low surrogate', '["\\udc00"]', '[0]', /unpaired UTF-16 surrogate/],
      ['a key that is no identifier', '{"a b":{"c":1e999}}', '["a b"].c', /out of range/],
    ])('%s', (_, text, field, problem) => {
      const result = parseJsonSafely(text);
      expect(result).toEqual({ ok: false, kind: 'limit', field, problem: expect.stringMatching(problem) });
    });
  });

  describe('refuses what is not JSON', () => {
    it.each([
      ['an empty body', ''],
      ['a trailing comma', '{"a":1,}'],
      ['a single-quoted string', "{'a':1}"],
      ['an unterminated string', '{"a":"b'],
      ['a raw newline in a string', '"a\nb"'],
      ['NaN', '[NaN]'],
      ['a leading zero', '[01]'],
      ['trailing garbage', '{} {}'],
      ['a bad escape', '"\\x41"'],
      ['a short unicode escape', '"\\u12"'],
      ['a bare word', 'firing'],
    ])('%s', (_, text) => {
      expect(() => JSON.parse(text)).toThrow();
      expect(parseJsonSafely(text)).toMatchObject({ ok: false, kind: 'syntax', field: '' });
    });
  });

  it('reads 100,000 levels of brackets without exhausting the stack', () => {
    expect(parseJsonSafely('['.repeat(100_000))).toMatchObject({ ok: false, kind: 'limit', problem: expect.stringMatching(/nests deeper/) });
  });
});
