// Calls to the component's own HTTP API, under the path prefix the server put in the page.
export const prefix = (window.STRATA && window.STRATA.pathPrefix) || '';
export const component = (window.STRATA && window.STRATA.component) || 'query';
// --query.default-step, seconds: the smallest step the Graph page picks by itself.
export const defaultStep = (window.STRATA && window.STRATA.defaultStep) || 1;

// GET (or POST) a Prometheus-style JSON API; resolves to {data, warnings} or throws an Error
// whose message is the API's own error text.
export async function apiGet(path, params = {}, { signal, method = 'GET' } = {}) {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === '') continue;
    for (const one of Array.isArray(v) ? v : [v]) qs.append(k, String(one));
  }
  const url = `${prefix}${path}`;
  const init = method === 'GET' ? { signal } : {
    method, signal, body: qs, headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
  };
  const res = await fetch(method === 'GET' && [...qs].length ? `${url}?${qs}` : url, init);
  let body;
  try {
    body = await res.json();
  } catch {
    throw new Error(`${res.status} ${res.statusText}: the answer of ${path} is not JSON`);
  }
  if (body.status !== 'success') {
    throw new Error(body.error ? `${body.errorType ? body.errorType + ': ' : ''}${body.error}` : `${res.status} ${res.statusText}`);
  }
  return { data: body.data, warnings: body.warnings || [] };
}

// Builds a link inside the UI, under the prefix.
export const link = (p) => `${prefix}${p}`;
