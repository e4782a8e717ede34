// The dashboard's shell: session, header, navigation and hash routing.
import { ApiError, get, onUnauthorized, post, setCsrfToken } from './api.js';
import { disposeAll } from './charts.js';
import { DISTRICT_FIGURE_ROLES, ENTITY_ROLES, Role } from './constants.js';
import { $, html, on, setHTML } from './dom.js';
import { lang, onLangChange, setLang, t } from './i18n.js';
import { session } from './state.js';
import { errorMarkup, hashFor, parseHash } from './ui.js';
import * as login from './pages/login.js';
import * as overview from './pages/overview.js';
import * as streets from './pages/streets.js';
import * as entity from './pages/entity.js';
import * as keyUnits from './pages/key-units.js';
import * as targets from './pages/targets.js';
import * as warnings from './pages/warnings.js';
import * as map from './pages/map.js';
import * as buildings from './pages/buildings.js';
import * as quotaCases from './pages/quota-cases.js';
import { audits, commissioning, retrofits } from './pages/building-programmes.js';
import * as street from './pages/street.js';
import * as meter from './pages/meter.js';
import * as dualControl from './pages/dual-control.js';
import { installHeaderSort } from './table.js';
import * as upload from './pages/upload.js';
import * as pv from './pages/pv.js';
import * as supervision from './pages/supervision.js';
import * as vpp from './pages/vpp.js';
import * as projects from './pages/projects.js';

const ROUTES = [
  { pattern: /^\/overview$/, page: overview, nav: 'overview' },
  { pattern: /^\/streets$/, page: streets, nav: 'streets' },
  { pattern: /^\/entities\/([^/]+)$/, page: entity, nav: null, keys: ['id'] },
  { pattern: /^\/key-units$/, page: keyUnits, nav: 'keyUnits' },
  { pattern: /^\/targets$/, page: targets, nav: 'targets' },
  { pattern: /^\/warnings$/, page: warnings, nav: 'warnings' },
  { pattern: /^\/map$/, page: map, nav: 'map' },
  { pattern: /^\/buildings$/, page: buildings, nav: 'buildings' },
  { pattern: /^\/buildings\/cases$/, page: quotaCases, nav: 'buildings' },
  { pattern: /^\/buildings\/retrofits$/, page: retrofits, nav: 'buildings' },
  { pattern: /^\/buildings\/audits$/, page: audits, nav: 'buildings' },
  { pattern: /^\/buildings\/commissioning$/, page: commissioning, nav: 'buildings' },
  { pattern: /^\/streets\/(\d+)$/, page: street, nav: 'streets', keys: ['id'] },
  { pattern: /^\/meters\/([^/]+)$/, page: meter, nav: null, keys: ['id'] },
  { pattern: /^\/dual-control$/, page: dualControl, nav: 'dualControl' },
  { pattern: /^\/upload$/, page: upload, nav: 'upload' },
  { pattern: /^\/pv$/, page: pv, nav: 'pv' },
  { pattern: /^\/supervision$/, page: supervision, nav: 'supervision' },
  { pattern: /^\/vpp$/, page: vpp, nav: 'vpp' },
  { pattern: /^\/projects$/, page: projects, nav: 'projects' },
];

const NAV = [
  ['overview', '#/overview'], ['streets', '#/streets'], ['keyUnits', '#/key-units'],
  ['targets', '#/targets'], ['warnings', '#/warnings'], ['map', '#/map'],
  ['buildings', '#/buildings'],
  ['dualControl', '#/dual-control', DISTRICT_FIGURE_ROLES], // only roles that see district figures
  ['pv', '#/pv'], ['vpp', '#/vpp'], ['projects', '#/projects'],
  ['supervision', '#/supervision'],
  ['upload', '#/upload'],
];

const root = document.getElementById('app');
installHeaderSort(root); // the server-paged tables' headers sort the rows shown
let cleanup = null;
let renderSeq = 0;
let afterLogin = '#/overview';

function scopeText(user) {
  if (!user) return '';
  if (user.role === Role.STREET_OFFICER) {
    return (lang() === 'zh' ? user.street_name_zh : user.street_name_en) || user.street_name_zh
      || user.street_code || '';
  }
  if (ENTITY_ROLES.includes(user.role)) {
    const ids = user.entities || [];
    return ids.length <= 2 ? ids.join('、') : t('scope.entities', { n: ids.length });
  }
  return (lang() === 'zh' ? user.district_name_zh : user.district_name_en)
    || user.district_name_zh || user.district || '';
}

function shell(active) {
  const user = session.user;
  return html`
    <header class="topbar">
      <a class="brand" href="#/overview">
        <img src="/static/favicon.svg" alt="" width="28" height="28">
        <span class="brand-title">${t('app.title')}</span>
        <span class="brand-sub">${scopeText(user)}</span>
      </a>
      <nav class="mainnav" aria-label="main">
        ${NAV.filter(([, , roles]) => !roles || (session.user && roles.includes(session.user.role))).map(([key, href]) => html`<a href="${href}${session.year ? `?year=${session.year}` : ''}"
          class="${key === active ? 'active' : ''}" data-nav="${key}">${t(`nav.${key}`)}</a>`)}
      </nav>
      <div class="userbox">
        <span class="user-name" data-testid="user-name">${user.display_name || user.username}</span>
        <span class="role-badge" data-testid="user-role" data-role="${user.role}">${t(`role.${user.role}`)}</span>
        <span class="user-scope" data-testid="user-scope">${scopeText(user)}</span>
        <button type="button" class="btn-link" data-testid="lang-toggle" data-action="lang"
          title="${t('lang.toggleTitle')}">${t('lang.toggle')}</button>
        <button type="button" class="btn-ghost" data-testid="logout" data-action="logout">${t('logout')}</button>
      </div>
    </header>
    <main id="view" class="view"></main>`;
}

function loginShell() {
  return html`
    <div class="login-wrap">
      <div class="login-lang">
        <button type="button" class="btn-link" data-testid="lang-toggle" data-action="lang"
          title="${t('lang.toggleTitle')}">${t('lang.toggle')}</button>
      </div>
      <main id="view" class="view view-login"></main>
    </div>`;
}

function teardown() {
  if (typeof cleanup === 'function') {
    try { cleanup(); } catch (err) { console.warn('cleanup failed', err); }
  }
  cleanup = null;
  disposeAll();
}

async function route() {
  const seq = ++renderSeq;
  teardown();
  const { path, query } = parseHash();
  if (!session.user) {
    if (path !== '/login') afterLogin = location.hash && location.hash !== '#/login' ? location.hash : afterLogin;
    setHTML(root, loginShell());
    document.title = `${t('login.title')} · ${t('app.title')}`;
    cleanup = await login.render($('#view', root), { onSignedIn: signedIn });
    return;
  }
  if (path === '/login') { location.hash = '#/overview'; return; }
  const match = ROUTES.map((r) => ({ r, m: path.match(r.pattern) })).find((x) => x.m);
  if (!match) { location.hash = '#/overview'; return; }
  // the year chosen stays when moving between pages
  if (query.year) session.year = query.year; else if (session.year) query.year = session.year;
  const params = {};
  (match.r.keys || []).forEach((k, i) => { params[k] = decodeURIComponent(match.m[i + 1]); });
  setHTML(root, shell(match.r.nav));
  const view = $('#view', root);
  document.title = `${t(match.r.nav ? `nav.${match.r.nav}` : 'en.title')} · ${t('app.title')}`;
  try {
    const result = await match.r.page.render(view, {
      params, query, path, isCurrent: () => seq === renderSeq,
      go: (p, q) => { location.hash = hashFor(p, q); },
      setQuery: (q) => { location.hash = hashFor(path, { ...query, ...q }); },
    });
    if (seq === renderSeq) cleanup = result; else if (typeof result === 'function') result();
  } catch (err) {
    if (seq !== renderSeq) return;
    showError(view, err);
  }
}

function showError(view, err) {
  if (err instanceof ApiError && err.status === 401) return; // the sign-in page takes over
  setHTML(view, errorMarkup(err));
}

function signedIn(data) {
  session.user = data.user;
  setCsrfToken(data.csrf_token);
  const target = afterLogin && afterLogin !== '#/login' ? afterLogin : '#/overview';
  afterLogin = '#/overview';
  if (location.hash === target) route(); else location.hash = target;
}

async function logout() {
  try {
    await post('/auth/logout', {}, { quiet401: true });
  } catch (err) {
    if (!(err instanceof ApiError)) console.warn('sign-out failed', err);
  }
  session.user = null;
  session.year = null;
  session.streets = null;
  setCsrfToken(null);
  afterLogin = '#/overview';
  if (location.hash === '#/login') route(); else location.hash = '#/login'; // hashchange routes
}

onUnauthorized(() => {
  if (!session.user) return;
  session.user = null;
  session.expired = true;
  setCsrfToken(null);
  route();
});

on(root, 'click', '[data-action]', (ev, el) => {
  const action = el.dataset.action;
  if (action === 'lang') setLang(lang() === 'zh' ? 'en' : 'zh');
  else if (action === 'logout') logout();
  else if (action === 'retry') route();
  else return;
  ev.preventDefault();
});

onLangChange(() => route());
window.addEventListener('hashchange', () => route());

async function boot() {
  try {
    const me = await get('/auth/me', undefined, { quiet401: true });
    session.user = me.user;
    setCsrfToken(me.csrf_token);
  } catch (err) {
    if (!(err instanceof ApiError) || err.status !== 401) console.warn('session check failed', err);
    session.user = null;
  }
  route();
}

boot();
