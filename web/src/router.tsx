// A tiny history-API router: the current path as state, navigate(), and <Link> (the few pages of
// the app do not need a routing library).

import { useEffect, useState, type AnchorHTMLAttributes, type MouseEvent } from 'react';

const listeners = new Set<() => void>();

/** Goes to a path inside the app (pushes history). */
export function navigate(to: string, replace = false): void {
  if (replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  for (const l of listeners) l();
  window.scrollTo(0, 0);
}

/** The current location (path and query string), re-rendering on change. */
export function useLocation(): { path: string; search: URLSearchParams } {
  const [, setTick] = useState(0);
  useEffect(() => {
    const update = () => setTick((t) => t + 1);
    listeners.add(update);
    window.addEventListener('popstate', update);
    return () => {
      listeners.delete(update);
      window.removeEventListener('popstate', update);
    };
  }, []);
  return { path: location.pathname, search: new URLSearchParams(location.search) };
}

/** A link that navigates inside the app (middle/ctrl-click still opens a new tab). */
export function Link({ to, ...rest }: { to: string } & AnchorHTMLAttributes<HTMLAnchorElement>) {
  const onClick = (e: MouseEvent<HTMLAnchorElement>) => {
    rest.onClick?.(e);
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(to);
  };
  return <a href={to} {...rest} onClick={onClick} />;
}

/** The app path of an IP entity page. */
export function ipPath(ip: string): string {
  return `/ip/${encodeURIComponent(ip)}`;
}

/** The app path of the explore page with a query (and range) filled in. */
export function explorePath(query: string, range?: { from?: string; to?: string }): string {
  const p = new URLSearchParams({ q: query });
  if (range?.from) p.set('from', range.from);
  if (range?.to) p.set('to', range.to);
  return `/?${p.toString()}`;
}

/** The app path of the pivot graph from an entity (an address or a domain). */
export function pivotPath(entity: string): string {
  return `/pivot?${new URLSearchParams({ entity }).toString()}`;
}

/** The app path of an entity's profile: the IP page for addresses, the profile page otherwise. */
export function profilePath(entity: string): string {
  const v = entity.trim();
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(v) || /^[0-9a-f:.]*:[0-9a-f:.]*$/i.test(v)) return ipPath(v);
  return `/profile/${encodeURIComponent(v)}`;
}
