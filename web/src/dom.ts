// Tiny DOM builder: text always goes through textContent, so titles from the catalogue can
// never inject markup.
import { ApiError } from './api';

type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | EventListener | undefined>;

export function h(tag: string, attrs: Attrs = {}, ...children: (Child | Child[])[]): HTMLElement {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'testid') el.setAttribute('data-testid', String(v));
    else if (k === 'class') el.className = String(v);
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export function clear(el: Element, ...children: (Child | Child[])[]): void {
  el.replaceChildren();
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** A number with 3 decimals, or a dash for absent signals (null in the API). */
export function fmt(v: number | null | undefined, digits = 3): string {
  return v === null || v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(digits);
}

/** Visible error box with the API's message. */
export function errorBox(e: unknown, what: string): HTMLElement {
  const msg = e instanceof ApiError ? e.describe() : (e as Error)?.message ?? String(e);
  return h('div', { class: 'error', role: 'alert', testid: 'error' }, h('strong', {}, `${what} failed: `), msg);
}

export function loading(text = 'Loading…'): HTMLElement {
  return h('div', { class: 'loading', testid: 'loading' }, text);
}

export function genreTags(genres: string[]): HTMLElement {
  return h('span', { class: 'genres', testid: 'genres' }, genres.map((g) => h('span', { class: 'tag' }, g)));
}

/** Item title linking to the item view. */
export function itemLink(item: { id: string; title: string }): HTMLElement {
  return h('a', { href: `#item=${encodeURIComponent(item.id)}`, class: 'item-link', testid: 'item-link',
    'data-item-id': item.id }, item.title || item.id);
}
