// The control API client: every call carries the admin token as a bearer token.

const TOKEN_KEY = 'headwater.adminToken';

/** An API answer other than 2xx; `status` 401 means the token is wrong or missing. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

/** The token kept for this tab (sessionStorage: gone when the tab closes), or null. */
export function storedToken() {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function storeToken(token) {
  sessionStorage.setItem(TOKEN_KEY, token);
}

export function forgetToken() {
  sessionStorage.removeItem(TOKEN_KEY);
}

async function call(method, path, body) {
  const headers = { authorization: `Bearer ${storedToken() ?? ''}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`/api/v1${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: 'no-store',
  });
  if (res.status === 204) return null;
  const data = await res.json().catch(() => null);
  if (!res.ok) {
    const err = data && typeof data === 'object' ? data.error : undefined;
    throw new ApiError(res.status, err?.code ?? `http-${res.status}`, err?.message ?? `${method} ${path}: HTTP ${res.status}`);
  }
  return data;
}

const id = (s) => encodeURIComponent(s);

export const api = {
  sessions: () => call('GET', '/sessions').then((d) => d.sessions),
  channels: () => call('GET', '/channels').then((d) => d.channels),
  createChannel: (name) => call('POST', '/channels', { name }),
  deleteChannel: (channelId) => call('DELETE', `/channels/${id(channelId)}`),
  rotateKey: (channelId) => call('POST', `/channels/${id(channelId)}/key:rotate`),
  revokeKey: (channelId) => call('POST', `/channels/${id(channelId)}/key:revoke`),
  kick: (channelId) => call('POST', `/channels/${id(channelId)}/kick`),
  recordings: (channelId) => call('GET', `/channels/${id(channelId)}/recordings`).then((d) => d.recordings),
  startVod: (key) => call('POST', '/recordings/vod', { key }),
  vodStatus: (sessionId) => call('GET', `/vod/${id(sessionId)}`),
};
