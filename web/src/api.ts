// Typed client for the hybridrec HTTP API (docs/api.md). Every non-2xx reply is turned into
// an ApiError carrying the server's {"error":{"code","message"}} so the page can show it.

export interface ItemRef { id: string; title: string; genres: string[] }
export interface Item extends ItemRef { tags: string[]; popularity?: number; has_factor?: boolean; source?: string }
export interface Contribution { item: ItemRef; contribution: number }
export interface RecItem {
  rank: number; item: ItemRef; score: number;
  collab: number | null; content: number | null;
  z_collab: number | null; z_content: number | null;
  explanation?: { content?: Contribution[]; collab?: Contribution[] };
}
export interface Recommendations {
  user?: string; known: boolean; path: string; weight: number; popularity_weight?: number;
  history_size: number; model_version?: string; items: RecItem[];
}
export interface HistoryEntry { item: ItemRef; strength: number; timestamp: number; source: string }
export interface User { user: string; known: boolean; history: HistoryEntry[]; events_since_training: number }
export interface SimilarItem { item: ItemRef; score: number; content: number | null; collab: number | null }
export interface Similar { item: ItemRef; mode: string; items: SimilarItem[] }
export interface SearchResult { query: string; items: { item: ItemRef; score: number }[] }
export interface MapPoint { id: string; title: string; genre: string; x: number; y: number }
export interface ModelInfo {
  model_version: string; num_users: number; num_items: number; items_added?: number;
  events_stored?: number; encoder?: { name: string; dim: number }; path?: string;
}
export interface Report {
  evaluation?: {
    dataset?: string; protocol?: string; k?: number[]; users_evaluated?: number;
    models?: Record<string, Record<string, number>>;
  };
  charts?: {
    weight_curve?: { T?: number; w_max?: number; sizes?: number[]; w?: number[]; history_sizes?: number[] };
    als_loss?: number[];
  };
}
export interface PickedItem { id: string; strength: number }
export interface FreshItem {
  item: ItemRef; added_at: number; lists: number; users: number; users_capped: boolean; best_rank: number | null;
}
export interface FreshItems {
  model_version: string; items_added: number; counting_since: number; lists_served: number;
  max_users_per_item: number; items: FreshItem[];
}
export interface Estimate { mean: number; lo: number | null; hi: number | null; users: number }
export interface Difference {
  metric: 'ctr_at_k' | 'conversions_per_user'; arm: string; diff: number;
  lo: number | null; hi: number | null; p_value: number | null;
}
export interface ArmReport {
  name: string; share: number; users: number; exposures: number; impressions: number; clicks: number;
  conversions: number; ctr_at_k: Estimate; conversions_per_user: Estimate;
}
export interface ExperimentReport {
  name: string; salt: string; ctr_k: number; attribution_window_s: number; control: string; start: number; end: number;
  test: string; arms: ArmReport[]; differences: Difference[];
  series: { time: number; arms: { name: string; users: number; exposures: number; ctr_at_k: Estimate;
    conversions_per_user: Estimate }[]; differences: Difference[] }[];
}
export interface ExperimentInfo { name: string; salt: string; ctr_k: number; file: string; arms: { name: string; share: number }[] }

export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
  /** Text shown to the person: HTTP status, error code and the server's message. */
  describe(): string {
    return `${this.status} ${this.code}: ${this.message}`;
  }
}

const TOKEN_KEY = 'hybridrec.token';

/** The access token pasted for a server run with `--auth` (kept in sessionStorage: this tab only). */
function accessToken(): string | null {
  try { return sessionStorage.getItem(TOKEN_KEY); } catch { return null; }
}

/**
 * Asks for a token after a request was refused (401, or 403: a token with too small a role) and
 * keeps it for this tab. Returns whether to retry: a token was given, or another request got a
 * new one since this one was sent (so several refused requests ask only once).
 */
function askForToken(err: ApiError, sent: string | null): boolean {
  if (accessToken() !== sent) return true;
  const pasted = window.prompt(`${err.describe()}\n\nPaste an access token (kept in this tab only; `
    + '`hybridrec token` makes one):', '');
  const token = pasted?.trim();
  if (!token) return false;
  try { sessionStorage.setItem(TOKEN_KEY, token); } catch { return false; }
  return true;
}

async function request<T>(method: string, path: string, body?: unknown, retried = false): Promise<T> {
  let res: Response;
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const token = accessToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    throw new ApiError(0, 'network', `cannot reach the server (${(e as Error).message})`);
  }
  const text = await res.text();
  let data: unknown = undefined;
  try { data = text ? JSON.parse(text) : undefined; } catch { /* handled below */ }
  if (!res.ok) {
    const err = (data as { error?: { code?: string; message?: string } } | undefined)?.error;
    const apiErr = new ApiError(res.status, err?.code ?? 'http_error',
      err?.message ?? (text.slice(0, 200) || res.statusText));
    // A server run with --auth refuses writes (and, with require-read, reads) without a token.
    if ((res.status === 401 || res.status === 403) && !retried && askForToken(apiErr, token)) {
      return request<T>(method, path, body, true);
    }
    throw apiErr;
  }
  if (data === undefined) throw new ApiError(res.status, 'bad_reply', `${method} ${path}: reply is not JSON`);
  return data as T;
}

const enc = encodeURIComponent;

export const api = {
  model: () => request<ModelInfo>('GET', '/v1/model'),
  user: (id: string) => request<User>('GET', `/v1/users/${enc(id)}`),
  userRecs: (id: string, k = 10) =>
    request<Recommendations>('GET', `/v1/users/${enc(id)}/recommendations?k=${k}&explain=true&exclude_seen=true`),
  anonRecs: (items: PickedItem[], k = 10) =>
    request<Recommendations>('POST', '/v1/recommendations', { items, k, explain: true, exclude_seen: true }),
  postEvents: (events: { user: string; item: string; strength: number }[]) =>
    request<{ accepted: number; events_stored: number }>('POST', '/v1/events', { events }),
  item: (id: string) => request<Item>('GET', `/v1/items/${enc(id)}`),
  similar: (id: string, mode: string, k = 10) =>
    request<Similar>('GET', `/v1/items/${enc(id)}/similar?k=${k}&mode=${enc(mode)}`),
  search: (q: string, k = 10) => request<SearchResult>('GET', `/v1/search?q=${enc(q)}&k=${k}`),
  report: () => request<Report>('GET', '/v1/report'),
  embeddingMap: () => request<{ items: MapPoint[] }>('GET', '/v1/embedding-map'),
  freshItems: (k = 20) => request<FreshItems>('GET', `/v1/items/fresh?k=${k}`),
  experiments: () => request<{ experiments: ExperimentInfo[] }>('GET', '/v1/experiments'),
  experiment: (name: string) => request<ExperimentReport>('GET', `/v1/experiments/${enc(name)}?fresh=true`),
};
