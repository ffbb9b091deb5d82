// One function per endpoint of docs/http-api.md; every failure goes through one place.
//
// A request that reaches the server and fails throws ApiError (status, message from the
// server's {"error": ...}); one that cannot reach it throws NetworkError. Both are also
// reported to the listeners registered with onApiError (the app shows them in its message
// bar), except statuses a caller says it expects (e.g. 409, which the saver handles).

export class ApiError extends Error {
  constructor(status, message, body) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

export class NetworkError extends Error {}

const listeners = new Set();
export function onApiError(listener) {
  listeners.add(listener);
}
function report(error) {
  for (const listener of listeners) listener(error);
}

async function request(method, url, { body, expect = [] } = {}) {
  let response;
  try {
    response = await fetch(url, {
      method,
      headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
    });
  } catch (cause) {
    const error = new NetworkError(`server unreachable (${method} ${url})`);
    report(error);
    throw error;
  }
  if (response.status === 204) return null;
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!response.ok) {
    const error = new ApiError(response.status, data?.error ?? `${response.status} ${response.statusText}`, data);
    if (!expect.includes(response.status)) report(error);
    throw error;
  }
  return data;
}

function query(params) {
  const q = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined && value !== '' && value !== null) q.set(key, value);
  const s = q.toString();
  return s ? `?${s}` : '';
}

export const health = () => request('GET', '/api/health');
export const project = () => request('GET', '/api/project');
// {split, state, sort: 'index'|'incomplete_first', offset, limit} -> {total, offset, frames}
export const frames = (filter) => request('GET', `/api/frames${query(filter)}`);
export const frame = (id) => request('GET', `/api/frames/${id}`);
export const nextUnconfirmed = (after) =>
  request('GET', `/api/frames/next_unconfirmed${query({ after })}`, { expect: [404] }).catch((e) => {
    if (e instanceof ApiError && e.status === 404) return null;
    throw e;
  });
export const frameImageUrl = (id) => `/api/frames/${id}/image`;
export const annotations = (id) => request('GET', `/api/frames/${id}/annotations`);
// -> {version, state}; throws ApiError 409 when `version` is stale.
export const saveAnnotations = (id, version, instances) =>
  request('PUT', `/api/frames/${id}/annotations`, { body: { version, instances }, expect: [409] });
export const acceptPredictions = (id, version, instance) =>
  request('POST', `/api/frames/${id}/accept`, { body: instance === undefined ? { version } : { version, instance }, expect: [409] });
export const videos = () => request('GET', '/api/videos');
export const videoFrameUrl = (videoId, index) => `/api/videos/${videoId}/frames/${index}/image`;
// Tracked instances of frames from..to (inclusive, at most 300): {frames: [{frame, instances}]}.
export const tracks = (videoId, from, to) => request('GET', `/api/videos/${videoId}/tracks${query({ from, to })}`);
export const bouts = (videoId) => request('GET', `/api/videos/${videoId}/bouts`);
export const addBout = (videoId, bout) => request('POST', `/api/videos/${videoId}/bouts`, { body: bout });
export const updateBout = (id, bout, version) =>
  request('PUT', `/api/bouts/${id}`, { body: { ...bout, version }, expect: [409] });
// [{id, version}] -> {bouts: [{id, version}]}, all or none; ApiError 409 (body.bouts: the
// stale ones) when any version is stale.
export const confirmBouts = (list) => request('POST', '/api/bouts/confirm', { body: { bouts: list }, expect: [409] });
export const deleteBout = (id, version) => request('DELETE', `/api/bouts/${id}${query({ version })}`, { expect: [409] });
export const exportUrl = (videoId, kind) => `/api/videos/${videoId}/export/${kind}.csv`;
