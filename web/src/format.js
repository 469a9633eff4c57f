// Durations and times as Prometheus's UI writes them.
const UNITS = [['y', 365 * 24 * 3600], ['w', 7 * 24 * 3600], ['d', 24 * 3600], ['h', 3600], ['m', 60], ['s', 1], ['ms', 0.001]];

// "1h30m" -> 5400 (seconds); null if it is not a duration.
export function parseDuration(text) {
  const s = String(text).trim();
  if (s === '') return null;
  if (/^\d+(\.\d+)?$/.test(s)) return Number(s);
  const re = /(\d+)(ms|y|w|d|h|m|s)/y;
  let total = 0, m;
  while ((m = re.exec(s)) !== null) {
    total += Number(m[1]) * UNITS.find(([u]) => u === m[2])[1];
    if (re.lastIndex === s.length) return total;
  }
  return null;
}

// 5400 -> "1h30m"
export function formatDuration(seconds) {
  if (seconds === 0) return '0s';
  let rest = Math.round(seconds * 1000) / 1000, out = '';
  for (const [u, n] of UNITS) {
    if (u === 'ms') {
      if (rest > 0) out += `${Math.round(rest * 1000)}ms`;
      break;
    }
    const k = Math.floor(rest / n);
    if (k > 0) {
      out += `${k}${u}`;
      rest -= k * n;
    }
  }
  return out;
}

const pad = (n, w = 2) => String(n).padStart(w, '0');

// ms -> "2026-12-07 21:00:00" (UTC), the format of the g0.end_input URL parameter.
export function formatTime(ms) {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

// "2026-12-07 21:00:00" (UTC) or RFC 3339 -> ms; null if unreadable.
export function parseTime(text) {
  const s = String(text).trim();
  if (s === '') return null;
  const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?$/.exec(s);
  if (m) return Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +(m[6] || 0));
  const t = Date.parse(s);
  return Number.isNaN(t) ? null : t;
}

// "1m 5s ago" style age of a past time.
export function formatAge(ms, now = Date.now()) {
  const secs = Math.max(0, Math.round((now - ms) / 1000));
  return secs < 1 ? 'just now' : `${formatDuration(secs)} ago`;
}

// {__name__: "up", job: "x"} -> 'up{job="x"}'
export function formatMetric(metric) {
  const name = metric.__name__ || '';
  const labels = Object.entries(metric).filter(([k]) => k !== '__name__')
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`);
  return labels.length || !name ? `${name}{${labels.join(', ')}}` : name;
}
