// Finds Log4j JNDI lookups in text by evaluating Log4j 2's lookup syntax the way its
// StrSubstitutor does (nested `${...}` resolved inside-out, `:-` defaults, lower/upper, lookups
// the attacker cannot know the value of resolved to their default or ''), so obfuscations are
// undone by evaluation rather than recognised from a list. Pure: no I/O.

/** Protocols a JNDI name can use, as Log4Shell payloads name them. */
export const JNDI_PROTOCOLS = ['ldap', 'ldaps', 'rmi', 'dns', 'iiop', 'http', 'https', 'corba', 'nds', 'nis'] as const;

/** The port a JNDI provider connects to when the name gives none. */
export const JNDI_DEFAULT_PORTS: Readonly<Record<string, number>> = { ldap: 389, ldaps: 636, rmi: 1099, dns: 53, iiop: 900, http: 80, https: 443, corba: 2809 };

/** One JNDI lookup Log4j would perform on the text. */
export interface JndiLookup {
  /** The lookup after evaluation, as Log4j hands it to JNDI: `jndi:ldap://host:port/path`. */
  readonly lookup: string;
  /** Lower-case protocol (`ldap`, `rmi`...); '' when the name has none. */
  readonly protocol: string;
  /** Callback host, lower-case, IPv6 without brackets; '' when the name has no authority. */
  readonly host: string;
  /** Explicit port, else the protocol's default; null when neither is known. */
  readonly port: number | null;
  readonly explicitPort: boolean;
  /** Path after the authority (the payload selector of JNDIExploit, e.g. `/Basic/Command/...`). */
  readonly path: string;
  /** The `${...}` expression as found (after any URL decoding), bounded. */
  readonly expression: string;
  /** The expression used lookup syntax beyond a plain `${jndi:...}` (nested lookups, case changes, defaults). */
  readonly obfuscated: boolean;
  /** How the text was encoded around the expression: '' (plain), 'url' or 'url2' (twice). */
  readonly encoding: '' | 'url' | 'url2';
}

/** Bounds against crafted input: nesting depth, and characters produced per top-level expression. */
const MAX_DEPTH = 24;
const MAX_WORK = 200_000;
const MAX_EXPRESSION = 2048;
/** Longest text examined; longer text is cut (a request field is bounded well below this). */
const MAX_TEXT = 65_536;

interface Evaluation {
  /** Characters left to produce before evaluation gives up (counts nested work too). */
  work: number;
  readonly names: string[];
}

/** Index of the `}` closing a `${` whose body starts at `from`, counting nested `${`; -1 if unclosed. */
function closingBrace(s: string, from: number): number {
  let nested = 0;
  for (let i = from; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 36 /* $ */ && s.charCodeAt(i + 1) === 123 /* { */) {
      nested++;
      i++;
    } else if (c === 125 /* } */) {
      if (nested === 0) return i;
      nested--;
    }
  }
  return -1;
}

/**
 * Substitutes every `${...}` of `s`. `$${` is Log4j's escape: it stands for a literal `${`
 * that is not evaluated. Unclosed expressions stay literal, as Log4j leaves them.
 */
function substitute(s: string, depth: number, ev: Evaluation): string {
  if (s.indexOf('${') < 0) return s;
  let out = '';
  let i = 0;
  while (i < s.length) {
    if (ev.work <= 0) return out;
    const at = s.indexOf('${', i);
    if (at < 0) {
      out += s.slice(i);
      break;
    }
    if (at > i && s.charCodeAt(at - 1) === 36 /* $ */) {
      // `$${`: drop the escape, keep `${` literally and go on after it.
      out += `${s.slice(i, at - 1)}\${`;
      i = at + 2;
      continue;
    }
    out += s.slice(i, at);
    const close = closingBrace(s, at + 2);
    if (close < 0) {
      out += s.slice(at);
      break;
    }
    out += resolve(s.slice(at + 2, close), depth + 1, ev);
    ev.work -= close + 1 - at;
    i = close + 1;
  }
  return out;
}

/**
 * The value of one variable expression (the text between `${` and `}`): nested variables in it
 * are substituted first, then the first `:-` splits off the default, then the lookup runs; a
 * value that itself holds `${` is substituted again, as Log4j does.
 */
function resolve(expression: string, depth: number, ev: Evaluation): string {
  if (depth > MAX_DEPTH) return '';
  const name = substitute(expression, depth, ev);
  const split = name.indexOf(':-');
  const variable = split >= 0 ? name.slice(0, split) : name;
  const fallback = split >= 0 ? name.slice(split + 2) : undefined;
  let value = lookup(variable, ev);
  if (value === null) value = fallback ?? '';
  ev.work -= value.length;
  return value.includes('${') ? substitute(value, depth + 1, ev) : value;
}

/**
 * One lookup: `prefix:key` with the prefix matched case-insensitively (Log4j lower-cases it).
 * `jndi` is recorded and yields nothing (the attacker's server answers, not the text); `lower`
 * and `upper` change case; `date` yields the quoted literals of its pattern (`${date:'j'}` is
 * "j") and '' otherwise; every other lookup (env, sys, java, ctx, main, k8s, an unknown or
 * empty prefix...) has a value the attacker cannot rely on, so it yields null: the default.
 */
function lookup(variable: string, ev: Evaluation): string | null {
  const colon = variable.indexOf(':');
  if (colon < 0) return null;
  const prefix = variable.slice(0, colon).toLowerCase();
  const key = variable.slice(colon + 1);
  switch (prefix) {
    case 'jndi':
      if (ev.names.length < 64) ev.names.push(key);
      return null;
    case 'lower':
      return key.toLowerCase();
    case 'upper':
      return key.toUpperCase();
    case 'date':
      return /^('[^']*')+$/.test(key) ? key.slice(1, -1).replace(/''/g, "'") : '';
    default:
      return null;
  }
}

/** Decodes valid `%XX` escapes (bytes as UTF-8 where they form it, else Latin-1); invalid ones stay. */
export function percentDecode(text: string): string {
  if (text.indexOf('%') < 0) return text;
  return text.replace(/(?:%[0-9a-fA-F]{2})+/g, (run) => {
    const bytes = Uint8Array.from(run.match(/%[0-9a-fA-F]{2}/g)!.map((h) => parseInt(h.slice(1), 16)));
    const utf8 = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
    return utf8.includes('\ufffd') ? String.fromCharCode(...bytes) : utf8;
  });
}

/** Splits a JNDI name (`ldap://host:port/path`) into protocol, host, port and path. */
export function parseJndiName(name: string): Pick<JndiLookup, 'protocol' | 'host' | 'port' | 'explicitPort' | 'path'> {
  const m = /^\s*([A-Za-z][A-Za-z0-9+.-]*):([\s\S]*)$/.exec(name);
  if (!m) return { protocol: '', host: '', port: null, explicitPort: false, path: name };
  const protocol = m[1]!.toLowerCase();
  const rest = m[2]!;
  const fallback = JNDI_DEFAULT_PORTS[protocol] ?? null;
  if (!rest.startsWith('//')) return { protocol, host: '', port: fallback, explicitPort: false, path: rest };
  const afterSlashes = rest.slice(2);
  const end = afterSlashes.search(/[/?#]/);
  let authority = end < 0 ? afterSlashes : afterSlashes.slice(0, end);
  const path = end < 0 ? '' : afterSlashes.slice(end);
  const userinfo = authority.lastIndexOf('@');
  if (userinfo >= 0) authority = authority.slice(userinfo + 1);
  let host = authority;
  let portText = '';
  if (authority.startsWith('[')) {
    const close = authority.indexOf(']');
    host = close < 0 ? authority.slice(1) : authority.slice(1, close);
    if (close >= 0 && authority.charAt(close + 1) === ':') portText = authority.slice(close + 2);
  } else {
    const colon = authority.lastIndexOf(':');
    if (colon >= 0) {
      host = authority.slice(0, colon);
      portText = authority.slice(colon + 1);
    }
  }
  // Lookups the attacker put in the host for exfiltration (`${env:USER}.x.example`) evaluate
  // to '' here, leaving a leading dot: the callback domain is what remains.
  host = host.trim().toLowerCase().replace(/^\.+|\.+$/g, '');
  const explicit = /^\d{1,5}$/.test(portText) && Number(portText) <= 65535;
  return { protocol, host, port: explicit ? Number(portText) : fallback, explicitPort: explicit, path };
}

/** Top-level `${...}` expressions of a text, with their evaluated JNDI names. */
function evaluate(text: string): { expression: string; names: string[] }[] {
  const out: { expression: string; names: string[] }[] = [];
  let i = 0;
  while (i < text.length) {
    const at = text.indexOf('${', i);
    if (at < 0) break;
    if (at > 0 && text.charCodeAt(at - 1) === 36 /* $ */) {
      i = at + 2;
      continue;
    }
    const close = closingBrace(text, at + 2);
    if (close < 0) break;
    const ev: Evaluation = { work: MAX_WORK, names: [] };
    resolve(text.slice(at + 2, close), 1, ev);
    if (ev.names.length > 0) out.push({ expression: text.slice(at, close + 1), names: ev.names });
    i = close + 1;
  }
  return out;
}

/**
 * The JNDI lookups Log4j 2 (before 2.15) would perform if it logged `text`: every top-level
 * `${...}` is evaluated, and each `jndi:` lookup it reaches is returned de-obfuscated with its
 * callback. URL-encoded text (`%24%7B...`, also encoded twice) is decoded first. Text without
 * `${` after decoding has no lookup: `jndi:ldap://...` alone is not evaluated by Log4j.
 */
export function findJndiLookups(text: string): JndiLookup[] {
  if (text.length > MAX_TEXT) text = text.slice(0, MAX_TEXT);
  const variants: { text: string; encoding: JndiLookup['encoding'] }[] = [{ text, encoding: '' }];
  let decoded = text;
  for (const encoding of ['url', 'url2'] as const) {
    if (!/%[0-9a-fA-F]{2}/.test(decoded)) break;
    const next = percentDecode(decoded);
    if (next === decoded) break;
    variants.push({ text: next, encoding });
    decoded = next;
  }
  const found: JndiLookup[] = [];
  const seen = new Set<string>();
  for (const v of variants) {
    if (v.text.indexOf('${') < 0) continue;
    for (const { expression, names } of evaluate(v.text)) {
      for (const name of names) {
        const lookupText = `jndi:${name}`;
        if (seen.has(lookupText)) continue;
        seen.add(lookupText);
        found.push({
          lookup: lookupText,
          ...parseJndiName(name),
          expression: expression.length > MAX_EXPRESSION ? `${expression.slice(0, MAX_EXPRESSION - 3)}...` : expression,
          obfuscated: !/^\$\{jndi:[^$]*\}$/.test(expression),
          encoding: v.encoding,
        });
      }
    }
  }
  return found;
}
