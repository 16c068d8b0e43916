// The main citizen journey of issue 2, in a real browser against a running
// `arengo serve --demo` at BASE_URL: register, read the confirmation mail in
// /dev/mail, confirm, log in, open a process, read its Pact, switch to
// English, log out. Every page reached is audited with axe-core (WCAG 2.1
// A/AA) and any violation fails the step that reached it.
//
//   cd e2e && npm ci && BASE_URL=http://127.0.0.1:8080 npm test
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { launch, Session, steps, BASE_URL } from '../lib/browser.js';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const unique = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
const person = {
  email: `e2e-${unique}@example.org`,
  nickname: `e2e_${unique}`.slice(0, 20),
  password: `Verde-Arengo-${unique}-2026!`,
};

// The demo participant, for the no-JavaScript login (see internal/app/demo.go).
const demo = {
  email: process.env.E2E_DEMO_EMAIL || 'giulia@demo.arengo.it',
  password: process.env.E2E_DEMO_PASSWORD || 'arengo-demo-2026',
};

// The form in <main> that has the named field: the header also holds forms
// (language, logout) that must never be confused with the page's own.
function mainForm(page, field) {
  return page.locator('main form').filter({ has: page.locator(`[name="${field}"]`) }).first();
}

function submitButton(form) {
  return form.locator('button[type=submit], button:not([type]), input[type=submit]').last();
}

async function loggedIn(page) {
  return (await page.locator('header form[action="/logout"]').count()) > 0;
}

async function fillLogin(page, email, password) {
  const form = mainForm(page, 'password');
  await form.locator('input[name=email]').fill(email);
  await form.locator('input[name=password]').fill(password);
  return form;
}

test('citizen journey: register, confirm, log in, process, pact, English, log out', { timeout: 240_000 }, async (t) => {
  const s = await Session.open(browser);
  const page = s.page;
  const step = steps(t, s, 'journey');
  try {
    await step('home page: skip link first, audited, screenshot', async () => {
      await s.goto('/');
      assert.equal(await page.locator('html').getAttribute('lang'), 'it', 'home page not in Italian for an Italian browser');
      await s.audit('home');
      await s.screenshot('home.png');
      // The first Tab from the top of the page must land on the skip link…
      await page.keyboard.press('Tab');
      const first = await page.evaluate(() => {
        const a = document.activeElement;
        return { tag: a.tagName, href: a.getAttribute('href'), text: a.textContent.trim() };
      });
      assert.equal(first.tag, 'A', `first focusable is ${first.tag}, want the skip link`);
      assert.match(first.href || '', /^#/, `first focusable element ${JSON.stringify(first)} is not an in-page skip link`);
      assert.ok(first.text.length > 0, 'skip link has no text');
      // …which is visible when focused and moves focus to its target.
      assert.ok(await page.locator(`a[href="${first.href}"]`).first().isVisible(), 'skip link stays invisible when focused');
      await page.keyboard.press('Enter');
      const target = first.href.slice(1);
      const landed = await page.evaluate((id) => {
        const t = document.getElementById(id);
        return { exists: !!t, tag: t?.tagName, focused: !!t && (document.activeElement === t || t.contains(document.activeElement)) };
      }, target);
      assert.ok(landed.exists, `skip link points to #${target}, which does not exist`);
      assert.equal(landed.tag, 'MAIN', `skip link target #${target} is a ${landed.tag}, want <main>`);
      assert.ok(landed.focused, 'focus did not move to the main content after following the skip link');
    });

    await step('register: an invalid submission shows an error summary and field errors', async () => {
      await s.goto('/register');
      await s.audit('register');
      const form = mainForm(page, 'email');
      // The server is what must catch bad input: switch off the browser's own
      // validation so the request reaches it.
      await form.evaluate((f) => { f.noValidate = true; });
      await form.locator('input[name=email]').fill('not-an-email');
      const res = await s.submit(submitButton(form));
      assert.equal(res?.status(), 422, 'an invalid registration must answer 422');
      const summary = page.locator('main [role=alert], main .error-summary').first();
      assert.ok(await summary.isVisible(), 'no visible error summary');
      const items = await summary.locator('li').count();
      assert.ok(items >= 1, 'the error summary lists no error');
      const email = page.locator('main input[name=email]');
      assert.equal(await email.inputValue(), 'not-an-email', 'what was typed was not kept');
      assert.equal(await email.getAttribute('aria-invalid'), 'true', 'the email field is not marked invalid');
      const describedBy = (await email.getAttribute('aria-describedby')) || '';
      const messages = [];
      for (const id of describedBy.split(/\s+/).filter(Boolean)) {
        messages.push((await page.locator(`[id="${id}"]`).textContent())?.trim());
      }
      assert.ok(messages.some((m) => m), `the email field has no error message tied to it (aria-describedby="${describedBy}")`);
      // The summary links to the wrong fields.
      const href = await summary.locator('a[href^="#"]').first().getAttribute('href');
      assert.ok(href && (await page.locator(href).count()) === 1, `error summary link ${href} leads nowhere`);
      await s.audit('register with errors');
    });

    await step('register a new participant', async () => {
      await s.goto('/register');
      await s.audit('register again');
      const form = mainForm(page, 'email');
      await form.locator('input[name=email]').fill(person.email);
      await form.locator('input[name=nickname]').fill(person.nickname);
      for (const pw of await form.locator('input[type=password]').all()) await pw.fill(person.password);
      // Consent boxes (privacy, terms) must be ticked by the person.
      for (const box of await form.locator('input[type=checkbox]').all()) {
        if ((await box.getAttribute('required')) !== null || /privacy|terms|consent|accept/i.test((await box.getAttribute('name')) || '')) {
          // A person clicks the label (Bootstrap Italia draws the box over it).
          const id = await box.getAttribute('id');
          const label = form.locator(`label[for="${id}"]`);
          assert.ok(id && (await label.count()), `checkbox ${await box.getAttribute('name')} has no label`);
          await label.click();
          assert.ok(await box.isChecked(), `clicking the label did not tick ${id}`);
        }
      }
      const res = await s.submit(submitButton(form));
      assert.ok(res && res.status() < 400, `registration answered ${res?.status()}: ${await page.locator('main').innerText()}`);
      assert.equal(await page.locator('main .error-summary, main [aria-invalid=true]').count(), 0,
        `registration was refused: ${await page.locator('main').innerText()}`);
      await s.audit('after registration');
    });

    let confirmURL;
    await step('read the confirmation mail in /dev/mail', async () => {
      await s.goto('/dev/mail');
      await s.audit('mail viewer');
      const row = page.locator('main tr').filter({ hasText: person.email }).first();
      assert.ok(await row.count(), `no mail to ${person.email} in /dev/mail`);
      await Promise.all([page.waitForNavigation(), row.locator('a').first().click()]);
      await s.audit('confirmation mail');
      const links = await page.locator('main a[href]').evaluateAll((as) => as.map((a) => a.href));
      confirmURL = links.find((h) => /confirm/i.test(h) && !h.endsWith('/dev/mail'));
      assert.ok(confirmURL, `no confirmation link in the mail; links: ${links.join(', ')}`);
      assert.ok(confirmURL.startsWith(BASE_URL), `confirmation link ${confirmURL} does not point to this site (${BASE_URL}): is ARENGO_BASE_URL set?`);
    });

    await step('follow the confirmation link', async () => {
      await s.goto(confirmURL);
      await s.audit('confirmation');
      // A confirmation page may ask for one click (so mail scanners that
      // prefetch links do not confirm): press it when it is there.
      const form = page.locator('main form[method=post i]').filter({ has: page.locator('input[name=token]') }).first();
      if (await form.count()) {
        const res = await s.submit(submitButton(form));
        assert.ok(res && res.status() < 400, `confirmation answered ${res?.status()}`);
        await s.audit('confirmed');
      }
      assert.equal(await page.locator('main .alert-danger, main .error-summary').count(), 0,
        `confirmation failed: ${await page.locator('main').innerText()}`);
    });

    await step('log in', async () => {
      if (await loggedIn(page)) {
        // Confirming may log the person in; log out to test the login itself.
        await s.submit(page.locator('header form[action="/logout"] button'));
        await s.audit('logged out before login');
      }
      await s.goto('/login');
      await s.audit('login');
      const form = await fillLogin(page, person.email, person.password);
      const res = await s.submit(submitButton(form));
      assert.ok(res && res.status() < 400, `login answered ${res?.status()}: ${await page.locator('main').innerText()}`);
      assert.ok(await loggedIn(page), `not logged in after login: ${await page.locator('main').innerText()}`);
      assert.match(await page.locator('header').innerText(), new RegExp(person.nickname.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')),
        'the header does not show the nickname of the person logged in');
      await s.audit('after login');
    });

    let processPath;
    await step('open a process from /processes', async () => {
      await s.goto('/processes');
      await s.audit('process list');
      const hrefs = await page.locator('main a[href]').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
      processPath = hrefs.map((h) => new URL(h, BASE_URL)).find((u) => u.origin === new URL(BASE_URL).origin && /^\/processes\/[^/]+\/?$/.test(u.pathname))?.pathname;
      assert.ok(processPath, `no process link on /processes (links: ${hrefs.join(', ')}): is the demo content loaded?`);
      await Promise.all([page.waitForNavigation(), page.locator(`main a[href="${processPath}"]`).first().click()]);
      assert.equal(new URL(page.url()).pathname, processPath);
      assert.equal(await page.locator('h1').count(), 1, 'a process page must have one h1');
      await s.audit('process page');
      await s.screenshot('process.png');
    });

    await step('read the Participation Pact', async () => {
      const pactPath = processPath.replace(/\/$/, '') + '/pact';
      const link = page.locator(`main a[href="${pactPath}"], main a[href^="${pactPath}?"], main a[href^="${pactPath}/"]`).first();
      assert.ok(await link.count(), `the process page has no link to its Pact (${pactPath})`);
      await Promise.all([page.waitForNavigation(), link.click()]);
      assert.match(new URL(page.url()).pathname, /\/pact(\/|$)/);
      const text = (await page.locator('main').innerText()).trim();
      assert.ok(text.length > 200, `the Pact page says almost nothing: ${text}`);
      await s.audit('pact');
    });

    await step('switch language to English', async () => {
      const before = new URL(page.url()).pathname;
      const en = page.locator('header form[action="/lang"] button[value=en]');
      assert.ok(await en.count(), 'no English button in the language switcher');
      await s.submit(en);
      assert.equal(await page.locator('html').getAttribute('lang'), 'en', 'the page is not in English after choosing EN');
      assert.equal(new URL(page.url()).pathname, before, 'switching language left the page the person was reading');
      await s.audit('pact in English');
      // The choice sticks for the next page.
      await s.goto('/processes');
      assert.equal(await page.locator('html').getAttribute('lang'), 'en', 'the language choice did not stick');
      await s.audit('process list in English');
    });

    await step('log out', async () => {
      const out = page.locator('header form[action="/logout"] button');
      assert.ok(await out.count(), 'no log out button');
      const res = await s.submit(out);
      assert.ok(res && res.status() < 400, `logout answered ${res?.status()}`);
      assert.ok(!(await loggedIn(page)), 'still logged in after logging out');
      assert.ok(await page.locator('header a[href^="/login"]').count(), 'no login link after logging out');
      await s.audit('after logout');
    });

    await step('every page audited, no CSP violation, no script error', async () => {
      s.assertClean();
    });
  } finally {
    await s.close();
  }
});

// No axe audit here: with scripts off the page cannot run axe (evaluate
// hangs), and the server sends the same HTML the journey above audits.
test('without JavaScript a participant can still log in', { timeout: 120_000 }, async (t) => {
  const s = await Session.open(browser, { javaScriptEnabled: false });
  const page = s.page;
  const step = steps(t, s, 'nojs');
  try {
    await step('log in with scripts off', async () => {
      await s.goto('/login');
      assert.ok(await page.locator('main input[name=email]').count(), 'no login form without JavaScript');
      const form = await fillLogin(page, demo.email, demo.password);
      const res = await s.submit(submitButton(form));
      assert.ok(res && res.status() < 400, `login answered ${res?.status()}: ${await page.locator('main').innerText()}`);
      assert.ok(await loggedIn(page), `not logged in: ${await page.locator('main').innerText()}`);
    });
    await step('log out with scripts off', async () => {
      await s.submit(page.locator('header form[action="/logout"] button'));
      assert.ok(!(await loggedIn(page)), 'still logged in after logging out');
    });
  } finally {
    await s.close();
  }
});
