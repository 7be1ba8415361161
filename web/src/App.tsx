// The app shell: sign-in gate, navigation, theme, time range, keyboard shortcuts, and the pages.

import { lazy, Suspense, useEffect, useMemo, useState, type ComponentType, type LazyExoticComponent } from 'react';
import { api, onUnauthorized, setCsrfToken, type Features, type Me, type Stats, type Vocabulary } from './api';
import { focusQueryBar } from './components/QueryBar';
import { rangeOf, TimeRangePicker, type RangeChoice } from './components/TimeRangePicker';
import { SECTIONS, type Section, type SectionProps } from './extensions';
import { compact, utc } from './format';
import { AdminPage } from './pages/AdminPage';
import { AuditPage } from './pages/AuditPage';
import { ExplorePage } from './pages/ExplorePage';
import { IpPage } from './pages/IpPage';
import { LoginPage } from './pages/LoginPage';
import { Link, navigate, profilePath, useLocation } from './router';

type Theme = 'dark' | 'light';

function initialTheme(): Theme {
  const saved = localStorage.getItem('vantage-theme');
  if (saved === 'dark' || saved === 'light') return saved;
  return matchMedia('(prefers-color-scheme: light)').matches ? 'light' : 'dark';
}

// One lazy component per section: a new one on every render would remount the page (losing its state).
const ProfilePage = lazy(() => import('./pages/ProfilePage'));
const sectionPages = new Map<string, LazyExoticComponent<ComponentType<SectionProps>>>();
function sectionPage(section: Section): LazyExoticComponent<ComponentType<SectionProps>> {
  let page = sectionPages.get(section.path);
  if (!page) {
    page = lazy(section.load);
    sectionPages.set(section.path, page);
  }
  return page;
}

const SHORTCUTS: [string, string][] = [
  ['/', 'focus the query bar'],
  ['Enter', 'run the query (in the query bar)'],
  ['Ctrl+Space', 'show completions'],
  ['Alt+1 / Alt+2', 'table / chart'],
  ['g e', 'Explore'],
  ['g f', 'Findings'],
  ['g p', 'Pivot graph'],
  ['g n', 'Intelligence'],
  ['g w', 'Watchlists'],
  ['g m', 'Monitors'],
  ['g l', 'Alerts'],
  ['g b', 'Block lists'],
  ['g c', 'Cases (investigation notebook)'],
  ['g s', 'Sharing (STIX, MISP, TAXII, peers)'],
  ['g i', 'go to an IP address, domain or AS'],
  ['g a', 'Audit trail (admins)'],
  ['g u', 'Users and tokens (admins)'],
  ['t', 'switch dark / light theme'],
  ['?', 'this help'],
];

export function App() {
  const [me, setMe] = useState<Me | null | undefined>(undefined);
  const [features, setFeatures] = useState<Features>();
  const [stats, setStats] = useState<Stats>();
  const [vocabulary, setVocabulary] = useState<Vocabulary>();
  const [theme, setTheme] = useState<Theme>(initialTheme);
  const [choice, setChoice] = useState<RangeChoice>({ preset: 'all' });
  const [help, setHelp] = useState(false);
  const { path, search } = useLocation();
  // Explore links may carry their own window (?q=…&from=…&to=…, e.g. a finding's evidence):
  // while they are in the address, they are the time range.
  const urlFrom = path === '/' ? (search.get('from') ?? '') : '';
  const urlTo = path === '/' ? (search.get('to') ?? '') : '';
  const linked = urlFrom || urlTo ? { preset: 'custom', from: urlFrom, to: urlTo } : undefined;

  useEffect(() => {
    document.documentElement.dataset.theme = theme;
    localStorage.setItem('vantage-theme', theme);
  }, [theme]);

  useEffect(() => {
    onUnauthorized(() => setMe(null));
    api
      .me()
      .then((m) => {
        setCsrfToken(m.csrfToken);
        setMe(m);
      })
      .catch(() => setMe(null));
  }, []);

  useEffect(() => {
    if (!me) return;
    void api.features().then(setFeatures).catch(() => undefined);
    void api.stats().then(setStats).catch(() => undefined);
    void api.language().then(setVocabulary).catch(() => undefined);
  }, [me]);

  // Keep the picker on a linked window after the link's parameters leave the address.
  useEffect(() => {
    if (urlFrom || urlTo) setChoice({ preset: 'custom', from: urlFrom, to: urlTo });
  }, [urlFrom, urlTo]);
  const changeRange = (c: RangeChoice) => {
    setChoice(c);
    if (urlFrom || urlTo) {
      const p = new URLSearchParams(location.search);
      p.delete('from');
      p.delete('to');
      navigate(`${path}${p.size ? `?${p.toString()}` : ''}`, true);
    }
  };
  const effective = linked ?? choice;
  const range = useMemo(() => rangeOf(effective, stats?.lastFlow), [effective.preset, effective.from, effective.to, stats?.lastFlow]);
  const rangeKey = `${range.from ?? ''}|${range.to ?? ''}`;

  // Keyboard: single keys outside inputs, `g` chords for navigation.
  useEffect(() => {
    let chord = false;
    const onKey = (e: KeyboardEvent) => {
      const target = e.target as HTMLElement;
      if (target.closest('input, textarea, select, .cm-editor') || e.ctrlKey || e.metaKey || e.altKey) return;
      if (chord) {
        chord = false;
        const go: Record<string, () => void> = {
          e: () => navigate('/'),
          a: () => navigate('/audit'),
          u: () => navigate('/admin'),
          i: () => {
            const ip = prompt('IP address, domain or AS number');
            if (ip) navigate(profilePath(ip.trim()));
          },
        };
        for (const s of SECTIONS) if (s.key) go[s.key] = () => navigate(s.path);
        go[e.key]?.();
        return;
      }
      if (e.key === 'g') chord = true;
      else if (e.key === '/') {
        e.preventDefault();
        if (path !== '/') navigate('/');
        setTimeout(focusQueryBar, 0);
      } else if (e.key === '?') setHelp((h) => !h);
      else if (e.key === 't') setTheme((t) => (t === 'dark' ? 'light' : 'dark'));
      else if (e.key === 'Escape') setHelp(false);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [path]);

  if (me === undefined) return <div className="splash muted">Loading…</div>;
  if (me === null)
    return (
      <LoginPage
        onSignedIn={(m) => {
          setCsrfToken(m.csrfToken);
          setMe(m);
        }}
      />
    );

  const isAdmin = me.permissions.includes('admin');
  // Analysts (and admins) pin to the notebook's cases once the server has it.
  const canPin = !!features?.features.notebook && (me.role === 'analyst' || me.role === 'admin');
  const canMonitor = !!features?.features.monitors && me.permissions.includes('export');
  // Peers are asked by analysts who see every network (the server refuses scoped accounts).
  const canAskPeers = !!features?.features.sharing && me.permissions.includes('export') && me.scopes.length === 0;
  const sections = SECTIONS.filter((s) => features?.features[s.feature] && (!s.permission || me.permissions.includes(s.permission)));
  let page: React.ReactNode;
  if (path.startsWith('/ip/')) {
    const ip = decodeURIComponent(path.slice(4));
    page = <IpPage key={ip} ip={ip} range={range} rangeKey={rangeKey} canPin={canPin} canAskPeers={canAskPeers} />;
  } else if (path.startsWith('/profile/')) {
    const entity = decodeURIComponent(path.slice(9));
    page = (
      <Suspense fallback={<p className="muted">Loading…</p>}>
        <ProfilePage key={entity} entity={entity} range={range} rangeKey={rangeKey} canPin={canPin} />
      </Suspense>
    );
  } else if (path === '/audit' && isAdmin) page = <AuditPage />;
  else if (path === '/admin' && isAdmin) page = <AdminPage />;
  else {
    const section = sections.find((s) => path === s.path || path.startsWith(`${s.path}/`));
    if (section) {
      const Page = sectionPage(section);
      page = (
        <Suspense fallback={<p className="muted">Loading…</p>}>
          <Page me={me} range={range} subpath={path.slice(section.path.length)} features={features?.features ?? {}} />
        </Suspense>
      );
    } else page = <ExplorePage me={me} vocabulary={vocabulary} range={range} rangeKey={rangeKey} canPin={canPin} canMonitor={canMonitor} />;
  }

  return (
    <div className="app">
      <header className="topbar">
        <Link to="/" className="brand" aria-label="Vantage home">
          <span className="logo">V</span> Vantage
        </Link>
        <nav aria-label="sections">
          <Link to="/" className={path === '/' ? 'on' : ''}>
            Explore
          </Link>
          {sections.map((s) => (
            <Link key={s.path} to={s.path} className={path.startsWith(s.path) ? 'on' : ''}>
              {s.title}
            </Link>
          ))}
          {isAdmin && (
            <Link to="/audit" className={path === '/audit' ? 'on' : ''}>
              Audit
            </Link>
          )}
          {isAdmin && (
            <Link to="/admin" className={path === '/admin' ? 'on' : ''}>
              Admin
            </Link>
          )}
        </nav>
        <form
          className="goto"
          onSubmit={(e) => {
            e.preventDefault();
            const v = String(new FormData(e.currentTarget).get('ip') ?? '').trim();
            if (v) navigate(profilePath(v));
          }}
        >
          <input name="ip" aria-label="go to IP" placeholder="IP, domain, AS…" data-testid="goto-ip" />
        </form>
        <TimeRangePicker value={effective} onChange={changeRange} lastFlow={stats?.lastFlow} />
        <span className="spacer" />
        {stats && (
          <span className="muted small store-facts" title={`${stats.store}${stats.firstFlow ? `: ${utc(stats.firstFlow)} to ${utc(stats.lastFlow)} UTC` : ''}`}>
            {compact(stats.flows)} flows{stats.scoped ? ' in scope' : ''}
          </span>
        )}
        <button className="icon" onClick={() => setTheme(theme === 'dark' ? 'light' : 'dark')} title="Theme (t)" aria-label="switch theme">
          {theme === 'dark' ? '☀' : '☾'}
        </button>
        <button className="icon" onClick={() => setHelp(true)} title="Keyboard shortcuts (?)" aria-label="keyboard shortcuts">
          ?
        </button>
        <span className="user small" title={me.scopes.length ? `limited to ${me.scopes.join(', ')}` : 'all networks'}>
          {me.name} · {me.role}
          {me.scopes.length ? ' · scoped' : ''}
        </span>
        <button
          className="chip"
          onClick={() =>
            void api
              .logout()
              .catch(() => undefined)
              .then(() => setMe(null))
          }
        >
          Sign out
        </button>
      </header>
      {page}
      {help && (
        <div className="overlay" role="dialog" aria-label="keyboard shortcuts" onClick={() => setHelp(false)}>
          <div className="card help" onClick={(e) => e.stopPropagation()}>
            <h2>Keyboard</h2>
            <table className="simple">
              <tbody>
                {SHORTCUTS.map(([k, what]) => (
                  <tr key={k}>
                    <td>
                      <kbd>{k}</kbd>
                    </td>
                    <td>{what}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <p className="muted small">Vantage {features?.version} · {features?.store} · rows per answer ≤ {features?.limits.maxRows.toLocaleString('en-US')}</p>
          </div>
        </div>
      )}
    </div>
  );
}
