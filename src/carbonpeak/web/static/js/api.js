// The HTTP client of the dashboard: JSON over the session cookie, CSRF header on writes.

import { lang } from './i18n.js';

export const API = '/api/v1';

let csrfToken = null;
let unauthorizedHandler = null;

export function setCsrfToken(token) { csrfToken = token || null; }
export function onUnauthorized(handler) { unauthorizedHandler = handler; }

export class ApiError extends Error {
  constructor(status, detail, body, retryAfter) {
    super(typeof detail === 'string' ? detail : `HTTP ${status}`);
    this.name = 'ApiError';
    this.status = status;
    this.detail = detail;
    this.body = body;
    this.retryAfter = retryAfter;
  }
}

/** `/key-units` + `{year: 2024, q: ''}` -> `/api/v1/key-units?year=2024` (empty values left out). */
export function apiUrl(path, params = {}) {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== null && v !== undefined && v !== '') qs.append(k, String(v));
  }
  const s = qs.toString();
  return `${API}${path}${s ? `?${s}` : ''}`;
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export async function request(method, path, { params, body, signal, quiet401 = false } = {}) {
  // errors come back in the dashboard's language (`detail`; `detail_zh`/`detail_en` both)
  const headers = { Accept: 'application/json', 'Accept-Language': lang() };
  const form = typeof FormData !== 'undefined' && body instanceof FormData; // multipart: the browser sets the type
  if (body !== undefined && !form) headers['Content-Type'] = 'application/json';
  if (UNSAFE.has(method) && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  const res = await fetch(apiUrl(path, params), {
    method,
    headers,
    body: body === undefined ? undefined : form ? body : JSON.stringify(body),
    credentials: 'same-origin',
    cache: 'no-store',
    signal,
  });
  let data = null;
  if ((res.headers.get('content-type') || '').includes('json')) {
    data = await res.json().catch(() => null);
  }
  if (!res.ok) {
    const err = new ApiError(res.status, data && data.detail, data, res.headers.get('Retry-After'));
    if (res.status === 401 && !quiet401 && unauthorizedHandler) unauthorizedHandler(err);
    throw err;
  }
  return data;
}

export const get = (path, params, opts = {}) => request('GET', path, { ...opts, params });
export const post = (path, body, opts = {}) => request('POST', path, { ...opts, body });
export const del = (path, opts = {}) => request('DELETE', path, opts);
