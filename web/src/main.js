// Strata's web UI: one page per route, as Thanos's React app has them, for the component that
// serves it (query: Graph, Stores, Status, Flags; compact and `tools bucket web`: Blocks; store:
// Loaded Blocks). The server injects the component and path prefix into index.html.
import 'uplot/dist/uPlot.min.css';
import './style.css';
import { component, link, prefix } from './api.js';
import { h, clear } from './dom.js';
import { graphPage } from './graph.js';
import { storesPage } from './stores.js';
import { statusPage, flagsPage } from './status.js';
import { blocksPage } from './blocks.js';

const PAGES = {
  query: [['/graph', 'Graph', graphPage], ['/stores', 'Stores', storesPage],
    ['/status', 'Status', statusPage], ['/flags', 'Flags', flagsPage]],
  compact: [['/blocks', 'Blocks', (el) => blocksPage(el, { loaded: false })]],
  bucket: [['/blocks', 'Blocks', (el) => blocksPage(el, { loaded: false })]],
  store: [['/loaded', 'Loaded Blocks', (el) => blocksPage(el, { loaded: true })]],
};

const pages = PAGES[component] || PAGES.query;
let route = window.location.pathname;
if (prefix && route.startsWith(prefix)) route = route.slice(prefix.length);
route = route.replace(/\/+$/, '') || '/';
const page = pages.find(([p]) => p === route);
if (!page) {
  // "/" and routes this component does not have go to its first page, as Thanos redirects.
  window.location.replace(link(pages[0][0]) + (route === '/' ? window.location.search : ''));
} else {
  const main = h('main', { class: 'container' });
  const nav = h('nav', { class: 'navbar' },
    h('a', { class: 'brand', href: link(pages[0][0]) }, 'Strata', h('span', { class: 'component' }, component)),
    pages.map(([p, title]) => h('a', { class: `nav-link${p === route ? ' active' : ''}`, href: link(p) }, title)));
  clear(document.getElementById('root'), nav, main);
  document.title = `${page[1]} · Strata ${component}`;
  page[2](main);
}
