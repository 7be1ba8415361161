// Network scoping: a scoped account sees only flows whose source or destination lies in its
// prefixes. The restriction is a filter AST AND-ed around the caller's query and compiled by the
// same compiler (values bound as parameters), so no query text can step outside it.

import { parseCidr, parseIp, type IpRange } from '../../core/ip.js';
import type { Filter, Query } from '../../query/language/ast.js';
import { ApiError } from '../api-error.js';

/** Most prefixes one account may carry (each becomes two range tests in every query). */
export const MAX_SCOPES = 256;

/** Parses scope prefixes (CIDR, or a single address); throws REQUEST_INVALID naming the bad one. */
export function parseScopes(scopes: readonly string[], field = 'scopes'): IpRange[] {
  if (scopes.length > MAX_SCOPES) throw new ApiError('REQUEST_INVALID', `at most ${MAX_SCOPES} scope prefixes`, { field });
  return scopes.map((text, i) => {
    const t = text.trim();
    const range = t.includes('/') ? parseCidr(t) : singleAddress(t);
    if (!range) throw new ApiError('REQUEST_INVALID', `'${text}' is not a network: use CIDR such as 10.0.0.0/8 or 2001:db8::/32`, { field: `${field}.${i}` });
    return range;
  });
}

function singleAddress(text: string): IpRange | undefined {
  const ip = parseIp(text);
  if (ip === undefined) return undefined;
  return typeof ip === 'number' ? { family: 4, first: ip, last: ip } : { family: 6, first: ip, last: ip };
}

/** The scope as a filter: src or dst in any of the ranges. */
export function scopeFilter(ranges: readonly IpRange[]): Filter {
  return { type: 'ip', field: 'addr', dir: 'any', ranges, column: 1 };
}

/** The query restricted to the scope (unchanged when the scope is empty: unrestricted). */
export function applyScope(query: Query, ranges: readonly IpRange[]): Query {
  if (ranges.length === 0) return query;
  return { ...query, filter: { type: 'and', left: scopeFilter(ranges), right: query.filter, column: 1 } };
}
