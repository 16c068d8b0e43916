// Every page, not only the journey's: a browser crawl of the running
// `arengo serve --demo` at BASE_URL, from "/", following same-origin a[href]
// links only (never a form, so never a state change), as an anonymous
// visitor, as the demo administrator and as a demo participant, in Italian
// and in English. Each distinct page is audited with axe-core (WCAG 2.1 A/AA)
// and the test fails listing every violation (rule, impact, URL, target).
// Then a phone (375×812) visits a sample of key pages: no horizontal
// scrolling, and the main navigation and the form buttons offer tap targets
// of at least 24×24 CSS pixels. Screenshots land in test-results/mobile-*.png.
//
//   cd e2e && BASE_URL=http://127.0.0.1:8080 node --test tests/allpages.test.js
//
// Budgets keep the run short (well under three minutes) without losing a
// kind of page: pages that differ only by an ID share a "shape" (e.g.
// /admin/processes/:n/phases/:n/edit) and at most A11Y_SHAPE_BUDGET of each
// are audited; at most A11Y_QUERY_BUDGET query-string variants of one path;
// never ?page= beyond 2.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { launch, Session, BASE_URL, RESULTS } from '../lib/browser.js';

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

const SHAPE_BUDGET = Number(process.env.A11Y_SHAPE_BUDGET || 3);
const QUERY_BUDGET = Number(process.env.A11Y_QUERY_BUDGET || 3);
const MAX_PAGES = Number(process.env.A11Y_MAX_PAGES || 250); // per role and language: a link explosion guard
const PASSWORD = process.env.E2E_DEMO_PASSWORD || 'arengo-demo-2026';
const ORIGIN = new URL(BASE_URL).origin;

const ROLES = [
  // Pages no link leads to but a person reaches (from a mail, after a form,
  // through a search form).
  { name: 'anonymous', seeds: ['/confirm/resend', '/register/sent'] },
  { name: 'admin', email: process.env.E2E_ADMIN_EMAIL || 'admin@demo.arengo.it', seeds: ['/moderation', '/account/spid', '/admin/desk?q=giulia', '/admin/users?q=giulia'] },
  { name: 'participant', email: process.env.E2E_DEMO_EMAIL || 'giulia@demo.arengo.it', seeds: ['/account/spid'] },
];
const LANGS = ['it', 'en'];

// Links never requested: logging out (a link must not do it, but if one
// did, the crawl would silently turn anonymous), the SPID test identity
// provider's flows, and files to download rather than pages.
const SKIP = [
  /\/(logout|log-out|signout|sign-out)(\/|$)/i,
  /^\/spid-test-idp(\/|$)/,
  /^\/spid\//,
  /^\/static\//,
  /^\/(metrics|healthz|readyz)$/,
  /\.(csv|json|zip|xml|pdf|ics|txt|geojson|xlsx|ods)$/i,
];
// Pages audited whose links are not followed: the demo mail viewer's
// messages hold one-time links (confirmation, password reset).
const NO_FOLLOW = [/^\/dev\/mail\/.+/];

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

function shapeOf(u) {
  return u.pathname.split('/').map((seg) => (/^\d+$/.test(seg) ? ':n' : seg)).join('/');
}

function keyOf(u) {
  const q = new URLSearchParams(u.search);
  q.sort();
  const s = q.toString();
  return u.pathname + (s ? '?' + s : '');
}

// admit decides whether a link is worth a visit and books it against the
// budgets; it returns the key to visit, or null.
function makeAdmitter() {
  const seen = new Set();
  const perShape = new Map();  // shape → Set of pathnames
  const perPath = new Map();   // pathname → count of query variants
  return (href, from) => {
    let u;
    try { u = new URL(href, from); } catch { return null; }
    if (u.origin !== ORIGIN || !/^https?:$/.test(u.protocol)) return null;
    u.hash = '';
    if (SKIP.some((re) => re.test(u.pathname))) return null;
    // `next` only says where to go after a form: the same page for an audit.
    u.searchParams.delete('next');
    const page = u.searchParams.get('page');
    if (page && Number(page) > 2) return null;
    const key = keyOf(u);
    if (seen.has(key)) return null;
    const shape = shapeOf(u);
    const paths = perShape.get(shape) || new Set();
    if (!paths.has(u.pathname) && paths.size >= SHAPE_BUDGET) return null;
    if (u.search) {
      const n = perPath.get(u.pathname) || 0;
      if (n >= QUERY_BUDGET) return null;
      perPath.set(u.pathname, n + 1);
    }
    paths.add(u.pathname);
    perShape.set(shape, paths);
    seen.add(key);
    return key;
  };
}

async function runAxe(page) {
  if (!(await page.evaluate(() => typeof window.axe !== 'undefined'))) await page.evaluate(AXE_SOURCE);
  const result = await page.evaluate(
    (tags) => window.axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] }),
    AXE_TAGS,
  );
  return result.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    nodes: v.nodes.map((n) => ({
      target: n.target.join(' '),
      why: (n.failureSummary || '').replace(/\s+/g, ' ').replace(/^Fix (any|all) of the following: /, '').slice(0, 200),
    })),
  }));
}

async function logIn(s, email) {
  await s.goto('/login');
  const form = s.page.locator('main form').filter({ has: s.page.locator('[name="password"]') }).first();
  await form.locator('input[name=email]').fill(email);
  await form.locator('input[name=password]').fill(PASSWORD);
  await s.submit(form.locator('button[type=submit]').last());
  assert.ok(await s.page.locator('header form[action="/logout"]').count(), `could not log in as ${email}: ${await s.page.locator('main').innerText()}`);
}

// setLanguage uses the header's language switcher, as a person would; for a
// signed-in participant it also saves the preference, which wins over
// Accept-Language.
async function setLanguage(s, lang) {
  if ((await s.page.locator('html').getAttribute('lang')) === lang) return;
  await s.submit(s.page.locator(`header form[action="/lang"] button[value=${lang}]`));
  assert.equal(await s.page.locator('html').getAttribute('lang'), lang, `the language switcher did not switch to ${lang}`);
}

// crawl visits every admitted page for one role and language and returns
// what it found; it throws only when it cannot run at all.
async function crawl(role, lang) {
  const s = await Session.open(browser, {
    locale: lang === 'it' ? 'it-IT' : 'en-GB',
    extraHTTPHeaders: { 'Accept-Language': lang === 'it' ? 'it-IT,it;q=0.9' : 'en-GB,en;q=0.9' },
  });
  const page = s.page;
  const found = { role: role.name, lang, audited: [], violations: [], problems: [], restore: null };
  try {
    if (role.email) {
      await logIn(s, role.email);
      found.restore = await page.locator('html').getAttribute('lang');
      await setLanguage(s, lang);
    }
    const admit = makeAdmitter();
    const queue = [];
    for (const p of ['/', ...(role.seeds || [])]) {
      const k = admit(p, BASE_URL + '/');
      if (k) queue.push({ key: k, from: '' });
    }
    const audited = new Set();
    while (queue.length) {
      const { key, from } = queue.shift();
      if (found.audited.length >= MAX_PAGES) {
        found.problems.push(`more than ${MAX_PAGES} pages: a link explosion? (next was ${key})`);
        break;
      }
      let res;
      try {
        res = await page.goto(BASE_URL + key, { waitUntil: 'load' });
      } catch (err) {
        found.problems.push(`${key}: could not load (${err.message.split('\n')[0]})${from ? ' — linked from ' + from : ''}`);
        continue;
      }
      const status = res ? res.status() : 0;
      const landed = new URL(page.url());
      const landedKey = keyOf(landed);
      if (status >= 400) {
        found.problems.push(`${key}: HTTP ${status}${from ? ' — linked from ' + from : ''}`);
      }
      const type = (res && res.headers()['content-type']) || '';
      if (!type.includes('text/html') || landed.origin !== ORIGIN || audited.has(landedKey)) continue;
      audited.add(landedKey);
      const htmlLang = await page.locator('html').getAttribute('lang');
      if (htmlLang !== lang) found.problems.push(`${landedKey}: <html lang="${htmlLang}">, want ${lang}`);
      const v = await runAxe(page);
      found.audited.push(landedKey);
      for (const x of v) found.violations.push({ ...x, url: landedKey });
      if (NO_FOLLOW.some((re) => re.test(landed.pathname))) continue;
      const hrefs = await page.locator('a[href]').evaluateAll((as) => as.map((a) => a.href));
      for (const h of hrefs) {
        const k = admit(h, page.url());
        if (k) queue.push({ key: k, from: landedKey });
      }
    }
    // The 404 page is a page too.
    const res = await page.goto(BASE_URL + '/no-such-page-a11y', { waitUntil: 'load' });
    if (res?.status() !== 404) found.problems.push(`/no-such-page-a11y answered ${res?.status()}, want 404`);
    found.audited.push('/no-such-page-a11y (404)');
    for (const x of await runAxe(page)) found.violations.push({ ...x, url: '/no-such-page-a11y (404)' });
    found.problems.push(...s.problems);
  } finally {
    // Leave the demo account as it was: the switcher saved the language.
    if (found.restore && found.restore !== lang) {
      try { await setLanguage(s, found.restore); } catch { /* reported by the crawl already */ }
    }
    await s.close();
  }
  return found;
}

function report(results) {
  const lines = [];
  const byRule = new Map();
  for (const r of results) {
    for (const v of r.violations) {
      const e = byRule.get(v.id) || { impact: v.impact, help: v.help, where: new Map() };
      for (const n of v.nodes) {
        // One line per page and element; roles and languages that share it are merged.
        const k = `${v.url} ${n.target}`;
        const w = e.where.get(k) || { url: v.url, target: n.target, why: n.why, who: new Set() };
        w.who.add(`${r.role}/${r.lang}`);
        e.where.set(k, w);
      }
      byRule.set(v.id, e);
    }
  }
  for (const [id, e] of byRule) {
    lines.push(`${id} (${e.impact}): ${e.help} — ${e.where.size} element(s)`);
    for (const w of e.where.values()) {
      lines.push(`    ${w.url}  ${w.target}  [${[...w.who].join(', ')}]${w.why ? ' — ' + w.why : ''}`);
    }
  }
  return lines;
}

const results = [];

test('every page passes axe-core WCAG 2.1 A/AA, for each role and language', { timeout: Number(process.env.A11Y_TIMEOUT_MS || 240_000) }, async (t) => {
  for (const role of ROLES) {
    for (const lang of LANGS) {
      await t.test(`${role.name} in ${lang}`, async () => {
        const started = Date.now();
        const r = await crawl(role, lang);
        results.push(r);
        t.diagnostic(`${role.name}/${lang}: ${r.audited.length} pages audited in ${((Date.now() - started) / 1000).toFixed(1)}s`);
        assert.ok(r.audited.length > 5, `${role.name}/${lang}: only ${r.audited.length} pages reached: is the demo content loaded?`);
        assert.deepEqual(r.problems, [], `${role.name}/${lang}: pages that failed to load, in the wrong language, or broke the CSP`);
      });
    }
  }
  const lines = report(results);
  const total = results.reduce((n, r) => n + r.audited.length, 0);
  t.diagnostic(`${total} pages audited in all`);
  if (lines.length) {
    assert.fail(`axe: WCAG 2.1 A/AA violations (rule (impact): help — then URL, element, [role/language]):\n${lines.join('\n')}`);
  }
});

// The key pages a person reaches on a phone, about twenty; paths are taken
// from the crawl above (so IDs follow the demo content), which must run first.
const MOBILE = [
  { role: 'anonymous', pick: [/^\/$/, /^\/processes$/, /^\/processes\/[^/]+$/, /^\/processes\/[^/]+\/pact$/, /^\/processes\/[^/]+\/pact\/versions\/\d+$/,
    /^\/processes\/[^/]+\/c\/\d+$/, /^\/processes\/[^/]+\/c\/\d+$/, /^\/processes\/[^/]+\/c\/\d+\/observations$/, /^\/processes\/[^/]+\/c\/\d+\/observations\/\d+$/,
    /^\/login$/, /^\/register$/, /^\/dev\/mail$/] },
  { role: 'participant', pick: [/^\/account$/, /^\/processes\/[^/]+\/c\/\d+\/paragraphs\/\d+\/observe$/, /^\/account\/notifications$/] },
  { role: 'admin', pick: [/^\/admin$/, /^\/admin\/processes$/, /^\/admin\/processes\/\d+\/edit$/, /^\/admin\/processes\/\d+\/phases$/, /^\/admin\/audit$/, /^\/moderation$/] },
];

function pickPaths(role, patterns) {
  const r = results.find((x) => x.role === role && x.lang === 'it');
  const all = r ? r.audited : [];
  const out = [];
  // A pattern listed twice picks two different pages (two components).
  for (const re of patterns) {
    const hit = all.find((p) => re.test(p) && !out.includes(p));
    if (hit) out.push(hit);
  }
  return out;
}

test('key pages on a 375×812 phone: no horizontal scroll, tap targets ≥ 24×24', { timeout: 120_000 }, async (t) => {
  assert.ok(results.length, 'the crawl test must run first: it finds the pages this one checks');
  const problems = [];
  let checked = 0;
  for (const group of MOBILE) {
    const role = ROLES.find((r) => r.name === group.role);
    const paths = pickPaths(group.role, group.pick);
    if (paths.length < group.pick.length) problems.push(`${group.role}: only ${paths.length} of ${group.pick.length} key pages were found by the crawl`);
    const s = await Session.open(browser, {
      viewport: { width: 375, height: 812 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true,
      locale: 'it-IT', extraHTTPHeaders: { 'Accept-Language': 'it-IT,it;q=0.9' },
    });
    try {
      if (role.email) await logIn(s, role.email);
      for (const p of paths) {
        await s.goto(p);
        checked++;
        const m = await s.page.evaluate(() => {
          const vw = Math.min(window.innerWidth, document.documentElement.clientWidth);
          const scrollWidth = document.scrollingElement.scrollWidth;
          // The deepest elements sticking out on the right, to say what to fix.
          const wide = [];
          if (scrollWidth > vw + 1) {
            for (const el of document.body.querySelectorAll('*')) {
              const r = el.getBoundingClientRect();
              if (r.width && r.right > vw + 1 && ![...el.children].some((c) => c.getBoundingClientRect().right > vw + 1)) {
                wide.push(`${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}${el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\s+/).join('.') : ''} (right ${Math.round(r.right)})`);
              }
              if (wide.length >= 5) break;
            }
          }
          const small = [];
          const sel = 'nav.main-nav a, header .slim-tools a, header .slim-tools button, main button, main input[type=submit], main input[type=button], main input[type=reset]';
          for (const el of document.querySelectorAll(sel)) {
            const r = el.getBoundingClientRect();
            const cs = getComputedStyle(el);
            if (!r.width || !r.height || cs.visibility === 'hidden' || cs.display === 'none') continue;
            if (r.width < 24 || r.height < 24) {
              const text = (el.innerText || el.value || el.getAttribute('aria-label') || '').trim().replace(/\s+/g, ' ').slice(0, 40);
              small.push(`${el.tagName.toLowerCase()} "${text}" ${Math.round(r.width)}×${Math.round(r.height)}`);
            }
          }
          return { vw, innerWidth: window.innerWidth, scrollWidth, wide, small };
        });
        const name = `mobile-${group.role}-${p.replace(/^\//, '').replace(/[^a-z0-9]+/gi, '-') || 'home'}.png`;
        await s.page.screenshot({ path: path.join(RESULTS, name), fullPage: true });
        if (m.scrollWidth > m.innerWidth + 1 || m.scrollWidth > m.vw + 1) {
          problems.push(`${p} (${group.role}): scrolls sideways, scrollWidth ${m.scrollWidth} > viewport ${m.vw}; sticking out: ${m.wide.join(', ')} (see ${name})`);
        }
        for (const x of m.small) problems.push(`${p} (${group.role}): tap target under 24×24: ${x}`);
        // Narrow screens bring their own failures (a wide table's scrolling
        // region that a keyboard cannot reach), so audit here too.
        for (const v of await runAxe(s.page)) {
          for (const n of v.nodes) problems.push(`${p} (${group.role}, 375px): axe ${v.id} (${v.impact}) ${n.target} — ${n.why}`);
        }
      }
      problems.push(...s.problems);
    } finally {
      await s.close();
    }
  }
  t.diagnostic(`${checked} pages checked on a phone`);
  assert.ok(checked >= 12, `only ${checked} key pages checked on a phone`);
  assert.deepEqual(problems, [], 'phone layout problems');
});
