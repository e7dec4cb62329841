// The GraphQL client: the session (tokens in sessionStorage), requests with
// the access token, its refresh shortly before it expires, and the
// graphql-transport-ws subscription client.

import {LOGIN, REFRESH, LOGOUT} from './queries.js';

const KEY = 'suyuan.dashboard.session';
const ENDPOINT = '/graphql';
// Refresh this long before the access token expires (it lasts 15 minutes).
const REFRESH_AHEAD_MS = 90 * 1000;
// Refresh before a request whose token expires within this.
const MIN_VALIDITY_MS = 15 * 1000;
const EXPIRED = '登录已过期，请重新登录 · Your session has expired; please log in again';

/** A failed GraphQL request: the first error's message and code. */
export class ApiError extends Error {
  constructor(message, code, errors) {
    super(message);
    this.name = 'ApiError';
    this.code = code || '';
    this.errors = errors || [];
  }
  get unauthenticated() { return this.code === 'UNAUTHENTICATED'; }
}

let session = load();
let refreshing = null; // the refresh in flight: a refresh token is spent once
let refreshTimer = 0;
const listeners = {expired: [], changed: []};

export function on(event, fn) { listeners[event].push(fn); }
function emit(event, arg) { for (const fn of listeners[event]) fn(arg); }

function load() {
  try {
    const s = JSON.parse(sessionStorage.getItem(KEY) || 'null');
    if (s && s.accessToken && s.refreshToken) return s;
  } catch { /* unreadable: start over */ }
  return null;
}

function save(s) {
  session = s;
  try {
    if (s) sessionStorage.setItem(KEY, JSON.stringify(s));
    else sessionStorage.removeItem(KEY);
  } catch { /* storage full or denied: the session lives in memory */ }
  emit('changed', s);
}

export function currentSession() { return session; }
export function accessToken() { return session ? session.accessToken : ''; }

function msUntil(t) { return new Date(t).getTime() - Date.now(); }

/** Whether the stored session can still be used (its refresh token is valid). */
export function sessionUsable() {
  return !!session && msUntil(session.refreshTokenExpiresAt) > MIN_VALIDITY_MS;
}

async function post(query, variables, token) {
  const headers = {'Content-Type': 'application/json', Accept: 'application/json'};
  if (token) headers.Authorization = `Bearer ${token}`;
  let res;
  try {
    res = await fetch(ENDPOINT, {
      method: 'POST', headers, credentials: 'same-origin', cache: 'no-store',
      body: JSON.stringify({query, variables: variables || {}}),
    });
  } catch (e) {
    throw new ApiError('无法连接服务器 · Cannot reach the server', 'NETWORK');
  }
  let body = null;
  try { body = await res.json(); } catch { /* not JSON */ }
  if (body && Array.isArray(body.errors) && body.errors.length) {
    const e = body.errors[0];
    const code = (e.extensions && e.extensions.code) || '';
    const err = new ApiError(e.message || 'Error', code, body.errors);
    err.data = body.data;
    throw err;
  }
  if (!res.ok || !body) {
    const code = res.status === 401 ? 'UNAUTHENTICATED' : res.status === 403 ? 'FORBIDDEN' : `HTTP_${res.status}`;
    throw new ApiError(`服务器错误 · Server error (HTTP ${res.status})`, code);
  }
  return body.data;
}

function adopt(payload, keepUser) {
  const user = Object.assign({}, keepUser || {}, payload.user || {});
  // refreshToken returns the user without the organisation: keep the login's.
  if (keepUser && keepUser.organization && !(payload.user && payload.user.organization)) {
    user.organization = keepUser.organization;
  }
  save({
    accessToken: payload.accessToken,
    accessTokenExpiresAt: payload.accessTokenExpiresAt,
    refreshToken: payload.refreshToken,
    refreshTokenExpiresAt: payload.refreshTokenExpiresAt,
    user,
  });
  schedule();
}

function schedule() {
  clearTimeout(refreshTimer);
  if (!session) return;
  const wait = Math.max(5000, msUntil(session.accessTokenExpiresAt) - REFRESH_AHEAD_MS);
  // Timers are late after the machine sleeps; requests check validity too.
  refreshTimer = setTimeout(() => {
    refresh().catch((e) => {
      if (!(e instanceof ApiError) || !e.unauthenticated) schedule(); // try again later
    });
  }, Math.min(wait, 2 ** 31 - 1));
}

/** Spend the refresh token for a new pair; one at a time. */
export function refresh() {
  if (!session) return Promise.reject(new ApiError('未登录 · Not logged in', 'UNAUTHENTICATED'));
  if (!refreshing) {
    const s = session;
    refreshing = post(REFRESH, {refreshToken: s.refreshToken})
      .then((data) => {
        if (session !== s) { // logged out meanwhile: do not bring the session back
          const e = new ApiError('未登录 · Not logged in', 'UNAUTHENTICATED');
          e.expired = true;
          throw e;
        }
        adopt(data.refreshToken, s.user);
        return session;
      })
      .catch((e) => {
        if (e.expired) throw e;
        if (session !== s) { e.expired = true; throw e; } // logged out meanwhile
        if (e instanceof ApiError && (e.unauthenticated || e.code === 'BAD_USER_INPUT' || e.code === 'FORBIDDEN')) {
          expire(EXPIRED);
          const err = new ApiError(e.message, 'UNAUTHENTICATED');
          err.expired = true; // the login form says so
          throw err;
        }
        throw e;
      })
      .finally(() => { refreshing = null; });
  }
  return refreshing;
}

function expire(message) {
  clearTimeout(refreshTimer);
  save(null);
  emit('expired', message);
}

export async function login(phone, password) {
  const data = await post(LOGIN, {phone, password});
  adopt(data.login);
  return session;
}

export async function logout() {
  clearTimeout(refreshTimer);
  const s = session;
  save(null);
  if (s) {
    try { await post(LOGOUT, {refreshToken: s.refreshToken}); } catch { /* the session ends here anyway */ }
  }
}

/** Resume a stored session: refresh now if its access token is (nearly) spent. */
export async function resume() {
  if (!sessionUsable()) { save(null); return null; }
  if (msUntil(session.accessTokenExpiresAt) < REFRESH_AHEAD_MS) await refresh();
  else schedule();
  return session;
}

/** A request with the access token; refreshes it first if needed, and once on UNAUTHENTICATED. */
export async function gql(query, variables) {
  if (!session) {
    const e = new ApiError('未登录 · Not logged in', 'UNAUTHENTICATED');
    e.expired = true; // logged out meanwhile: nothing to show
    throw e;
  }
  if (msUntil(session.accessTokenExpiresAt) < MIN_VALIDITY_MS) await refresh();
  try {
    return await post(query, variables, session.accessToken);
  } catch (e) {
    if (!(e instanceof ApiError) || !e.unauthenticated) throw e;
    if (!session) { e.expired = true; throw e; } // logged out meanwhile
    await refresh(); // expires the session and throws if it cannot
    try {
      return await post(query, variables, session.accessToken);
    } catch (e2) {
      if (e2 instanceof ApiError && e2.unauthenticated) { expire(EXPIRED); e2.expired = true; }
      throw e2;
    }
  }
}

/**
 * Subscribe over graphql-transport-ws at ws(s)://host/graphql. The client
 * reconnects by itself, each time with the current access token; onState
 * gets 'live' once the server acknowledged the connection and 'offline'
 * when it closed. Returns a function that ends the subscription.
 */
export function subscribe(query, {next, error, onState}) {
  const lib = window.graphqlWs;
  if (!lib || !lib.createClient) {
    onState('offline');
    error(new ApiError('实时连接组件未加载 · The live client did not load', 'CLIENT'));
    return () => {};
  }
  const url = `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}${ENDPOINT}`;
  let stopped = false;
  let client = null;
  let unsubscribe = null;
  let restartTimer = 0;
  let liveTimer = 0;
  let failures = 0;

  const start = () => {
    if (stopped) return;
    client = lib.createClient({
      url,
      lazy: false,
      onNonLazyError: () => {},
      keepAlive: 20000,
      retryAttempts: Infinity,
      shouldRetry: () => !stopped,
      retryWait: async (n) => new Promise((r) => setTimeout(r, Math.min(30000, 1000 * 2 ** Math.min(n, 5)) + Math.random() * 1000)),
      connectionParams: async () => {
        if (session && msUntil(session.accessTokenExpiresAt) < MIN_VALIDITY_MS) {
          try { await refresh(); } catch { /* the server will refuse; gql() shows the login */ }
        }
        return {authorization: `Bearer ${accessToken()}`};
      },
      on: {
        // The subscribe message goes out right after the acknowledgement;
        // report 'live' a moment later, once the server has it.
        connected: () => {
          clearTimeout(liveTimer);
          liveTimer = setTimeout(() => onState('live'), 250);
        },
        closed: () => { clearTimeout(liveTimer); onState('offline'); },
      },
    });
    unsubscribe = client.subscribe({query}, {
      next: (msg) => {
        failures = 0;
        if (msg.errors && msg.errors.length) {
          const e = msg.errors[0];
          error(new ApiError(e.message, e.extensions && e.extensions.code, msg.errors));
        }
        if (msg.data) next(msg.data);
      },
      // A fatal close or an error for the operation: start over later.
      error: (e) => { restart(e); },
      complete: () => { restart(null); },
    });
  };

  const restart = (e) => {
    clearTimeout(liveTimer);
    onState('offline');
    const old = client;
    client = null;
    if (old) old.dispose();
    if (stopped) return;
    failures++;
    // GraphQL errors come as an array; close events and socket errors have
    // no message for the user.
    if (Array.isArray(e) && e.length) {
      const code = e[0].extensions && e[0].extensions.code;
      if (code === 'UNAUTHENTICATED') {
        refresh().catch(() => {}); // ends the session if it cannot
      } else if (failures <= 1) {
        error(new ApiError(e[0].message || 'Error', code, e));
      }
    }
    clearTimeout(restartTimer);
    restartTimer = setTimeout(start, Math.min(60000, 2500 * 2 ** Math.min(failures, 5)));
  };

  start();
  return () => {
    stopped = true;
    clearTimeout(restartTimer);
    clearTimeout(liveTimer);
    if (unsubscribe) unsubscribe();
    if (client) client.dispose();
    onState('offline');
  };
}
