import { bearerToken, monitorOfToken, tokenSha256 } from '../../lambda/adapters/monitor-auth';
import { parseConfig } from '../../lambda/core/config';

/** Bearer tokens against `monitors[].tokenSha256`. */

const TOKEN_A = 'tcs_4f1d0c6a9e8b7d2c1f0e9a8b7c6d5e4f';
const TOKEN_B = 'tcs_0a1b2c3d4e5f60718293a4b5c6d7e8f9';
const { monitors } = parseConfig({ monitors: [{ id: 'prometheus', tokenSha256: tokenSha256(TOKEN_A) }, { id: 'grafana', tokenSha256: tokenSha256(TOKEN_B).toUpperCase() }] });

describe('bearerToken', () => {
  it.each([
    ['Bearer abc.DEF-123_~+/=', 'abc.DEF-123_~+/='],
    ['bearer abc', 'abc'],
    ['BEARER  abc ', 'abc'],
  ])('reads %j', (header, token) => {
    expect(bearerToken(header)).toBe(token);
  });

  it.each([
    ['no header', undefined],
    ['an empty header', ''],
    ['another scheme', 'Basic YWxhZGRpbjpvcGVuc2VzYW1l'],
    ['no token', 'Bearer '],
    ['two tokens', 'Bearer a b'],
    ['characters outside b64token', 'Bearer a"b'],
    ['a token over 512 characters', `Bearer ${'a'.repeat(513)}`],
  ])('finds no token in %s', (_, header) => {
    expect(bearerToken(header)).toBeUndefined();
  });
});

describe('monitorOfToken', () => {
  it('finds the monitor whose digest is the token’s, whatever the case of its hex', () => {
    expect(monitorOfToken(TOKEN_A, monitors)?.id).toBe('prometheus');
    expect(monitorOfToken(TOKEN_B, monitors)?.id).toBe('grafana');
  });

  it.each([
    ['a wrong token', 'tcs_wrong'],
    ['the digest itself, sent as the token', tokenSha256(TOKEN_A)],
    ['no token', undefined],
  ])('finds none for %s', (_, token) => {
    expect(monitorOfToken(token, monitors)).toBeUndefined();
  });

  it('finds none when no monitor is configured', () => {
    expect(monitorOfToken(TOKEN_A, [])).toBeUndefined();
  });
});
