// Shared machinery for the browser journeys: Debian's Chromium driven by
// playwright-core (no downloaded browser), an axe-core audit of every page a
// journey visits, and a record of Content-Security-Policy violations and
// script errors.
import { readFileSync, readdirSync, rmSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const here = path.dirname(fileURLToPath(import.meta.url));

export const BASE_URL = (process.env.BASE_URL || 'http://127.0.0.1:8080').replace(/\/+$/, '');
export const RESULTS = path.resolve(here, '..', 'test-results');
mkdirSync(RESULTS, { recursive: true });
for (const f of readdirSync(RESULTS)) if (f.startsWith('failure-')) rmSync(path.join(RESULTS, f));

// The axe source is evaluated through the DevTools protocol rather than added
// as a <script> tag: our CSP forbids inline script, and bypassCSP would switch
// the policy off for the whole context, hiding exactly the breakage (a page
// relying on inline script or style) these tests must catch.
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync',
    ],
  });
}

// Session wraps one browser context: it remembers every page (main-frame
// navigation) the journey reached and whether it was audited, and every CSP
// violation or uncaught script error.
export class Session {
  constructor(context, page) {
    this.context = context;
    this.page = page;
    this.visits = [];      // { url, audited }
    this.problems = [];    // CSP violations and script errors, with the URL
    page.setDefaultTimeout(15_000);
    page.setDefaultNavigationTimeout(20_000);
    page.on('framenavigated', (frame) => {
      if (frame !== page.mainFrame()) return;
      const url = frame.url();
      const last = this.visits[this.visits.length - 1];
      // A same-document jump (the skip link's #main) is not a new page.
      if (last && stripHash(last.url) === stripHash(url) && url.includes('#')) return;
      this.visits.push({ url, audited: false });
    });
    page.on('console', (msg) => {
      const text = msg.text();
      if (msg.type() === 'error' && /Content Security Policy|Refused to/i.test(text)) {
        this.problems.push(`${page.url()}: CSP violation: ${text}`);
      }
    });
    page.on('pageerror', (err) => this.problems.push(`${page.url()}: script error: ${err.message}`));
  }

  static async open(browser, options = {}) {
    const context = await browser.newContext({
      locale: 'it-IT',
      viewport: { width: 1280, height: 900 },
      ...options,
    });
    const page = await context.newPage();
    return new Session(context, page);
  }

  async close() {
    await this.context.close();
  }

  // goto loads a path of the site and fails on an HTTP error status.
  async goto(pathOrURL, { allowStatus = [] } = {}) {
    const url = pathOrURL.startsWith('http') ? pathOrURL : BASE_URL + pathOrURL;
    const res = await this.page.goto(url, { waitUntil: 'load' });
    const status = res ? res.status() : 0;
    if (status >= 400 && !allowStatus.includes(status)) {
      throw new Error(`GET ${url} answered ${status}`);
    }
    return res;
  }

  // submit clicks a submit control and waits for the page it leads to,
  // returning the main-frame response (for its status).
  async submit(button) {
    const [res] = await Promise.all([
      this.page.waitForNavigation({ waitUntil: 'load' }),
      button.click(),
    ]);
    return res;
  }

  // audit runs axe-core on the current page and throws listing every
  // WCAG 2.1 A/AA violation (id, impact, each failing element's target).
  async audit(label) {
    const page = this.page;
    const has = await page.evaluate(() => typeof window.axe !== 'undefined');
    if (!has) await page.evaluate(AXE_SOURCE);
    const result = await page.evaluate(
      (tags) => window.axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] }),
      AXE_TAGS,
    );
    const last = this.visits[this.visits.length - 1];
    if (last) last.audited = true;
    if (result.violations.length === 0) return;
    const lines = [];
    for (const v of result.violations) {
      lines.push(`  ${v.id} (${v.impact}): ${v.help}`);
      for (const n of v.nodes) {
        const why = (n.failureSummary || '').replace(/\s+/g, ' ').replace(/^Fix (any|all) of the following: /, '');
        lines.push(`      ${n.target.join(' ')}${why ? ' — ' + why.slice(0, 160) : ''}`);
      }
    }
    throw new Error(`axe: ${result.violations.length} WCAG 2.1 A/AA violation(s) on ${label} (${page.url()}):\n${lines.join('\n')}`);
  }

  // assertClean fails when a page was reached without an audit, or when a
  // page broke its CSP or threw.
  assertClean() {
    const missed = this.visits.filter((v) => !v.audited).map((v) => '  ' + v.url);
    const errs = [];
    if (missed.length) errs.push(`pages visited without an axe audit:\n${missed.join('\n')}`);
    if (this.problems.length) errs.push(`CSP violations or script errors:\n  ${this.problems.join('\n  ')}`);
    if (errs.length) throw new Error(errs.join('\n'));
  }

  async screenshot(name) {
    const file = path.join(RESULTS, name);
    await this.page.screenshot({ path: file, fullPage: true });
    return file;
  }
}

function stripHash(u) {
  const i = u.indexOf('#');
  return i < 0 ? u : u.slice(0, i);
}

// steps runs named steps in order as subtests; after the first failure the
// rest are skipped, so the report names the step that broke rather than a
// cascade. On failure it saves a screenshot of where the browser was.
export function steps(t, session, prefix) {
  let failed = null;
  return async (name, fn) => {
    await t.test(name, async (st) => {
      if (failed) {
        st.skip(`after failed step "${failed}"`);
        return;
      }
      try {
        await fn(st);
      } catch (err) {
        failed = name;
        try {
          const file = await session.screenshot(`failure-${prefix}-${name.replace(/[^a-z0-9]+/gi, '-')}.png`);
          err.message += `\n  at ${session.page.url()} (screenshot: ${path.relative(process.cwd(), file)})`;
        } catch { /* the page may be gone */ }
        throw err;
      }
    });
  };
}
