// The consultation journey of issue 4, in a real browser against a running
// `arengo serve --demo` at BASE_URL: a resident logs in with SPID through the
// demo's test IdP (choosing a nickname at the first login), files an
// observation with proposed wording on a paragraph of the Piano Aria e Clima
// and gets its protocol number; another participant comments on it,
// supports it and reports it; the demo moderator handles the report; the
// demo evaluator drafts the reply and the administrator publishes the
// replies; the author reads the reply and the report for the Council lists
// it. Each person has a browser of their own. Every page reached is audited
// with axe-core (WCAG 2.1 A/AA), including the SAML pages that submit
// themselves, and any violation fails the step that reached it.
//
//   cd e2e && npm ci && BASE_URL=http://127.0.0.1:8080 node --test tests/consultation.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { launch, Session, steps, BASE_URL } from '../lib/browser.js';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const PASSWORD = process.env.E2E_DEMO_PASSWORD || 'arengo-demo-2026';
const PROCESS = '/processes/piano-aria-clima-consultazione';
const unique = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
// The resident's nickname, used only when this is the fictitious person's
// first login on this server (a second run finds the account made by the first).
const nickname = `residente_${unique}`.slice(0, 30);
const observationText = `Anticipare al 2028 l'elettrificazione degli autobus: l'aria di Milano non può aspettare (${unique}).`;
const commentText = `Sono d'accordo: nel mio quartiere i bus diesel passano ogni cinque minuti (${unique}).`;
const replyText = `L'osservazione è accolta in parte: la flotta sarà elettrica al 90% nel 2028 e interamente nel 2030 (${unique}).`;
const OUTCOME_LABEL = /Parzialmente accolta/i;

function escapeRe(s) { return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'); }

// The form in <main> that has the named field (the header holds forms too).
function mainForm(page, field) {
  return page.locator('main form').filter({ has: page.locator(`[name="${field}"]`) }).first();
}

function submitButton(form) {
  return form.locator('button[type=submit], button:not([type]), input[type=submit]').last();
}

async function mainText(page) { return (await page.locator('main').innerText()).replace(/\s+/g, ' '); }

// expectOK fails with what the page says when a submission did not succeed.
async function expectOK(page, res, what) {
  assert.ok(res && res.status() < 400, `${what} answered ${res?.status()}: ${await mainText(page)}`);
  assert.equal(await page.locator('main .error-summary, main [aria-invalid=true]').count(), 0, `${what} was refused: ${await mainText(page)}`);
}

// loginWithEmail signs a demo account in through the login form.
async function loginWithEmail(s, email) {
  const page = s.page;
  await s.goto('/login');
  await s.audit(`login (${email})`);
  const form = mainForm(page, 'password');
  await form.locator('input[name=email]').fill(email);
  await form.locator('input[name=password]').fill(PASSWORD);
  const res = await s.submit(submitButton(form));
  await expectOK(page, res, `login as ${email}`);
  assert.ok(await page.locator('header form[action="/logout"]').count(), `not logged in as ${email}: ${await mainText(page)}`);
  await s.audit(`after login (${email})`);
}

// throughSelfSubmittingPage performs action, which posts to a URL matching
// source, whose answer is a page that submits its form as soon as its
// script runs (a SAML POST-binding page). The page is shown as it is
// without JavaScript — its data-autosubmit attribute removed on the way in —
// so that it can be audited; then its button is pressed, as a person
// without scripts would. It returns the response of the page that follows.
async function throughSelfSubmittingPage(s, source, label, action) {
  const page = s.page;
  const strip = async (route) => {
    if (route.request().method() !== 'POST') return route.continue();
    const res = await route.fetch();
    const body = (await res.text()).replace(/\sdata-autosubmit\b/g, '');
    return route.fulfill({ response: res, body });
  };
  await page.route(source, strip);
  try {
    await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), action()]);
  } finally {
    await page.unroute(source, strip);
  }
  const form = page.locator('main form').first();
  assert.ok(await form.count(), `${label}: no form to submit (${page.url()})`);
  await s.audit(label);
  return s.submit(submitButton(form));
}

test('consultation journey: SPID login, observation, comment, support, report, moderation, reply, report for the Council', { timeout: 300_000 }, async (t) => {
  const people = {};
  for (const who of ['resident', 'giulia', 'moderator', 'evaluator', 'admin']) {
    people[who] = await Session.open(browser);
    // Forms that change something irreversible ask for confirmation.
    people[who].page.on('dialog', (d) => d.accept());
  }
  // One sequence of steps across the five browsers: after a failure the
  // rest are skipped, and the screenshot is of the browser that failed.
  let current = people.resident;
  const view = { get page() { return current.page; }, screenshot: (name) => current.screenshot(name) };
  const step = steps(t, view, 'consultation');
  const as = (who, name, fn) => step(`${who}: ${name}`, async (st) => { current = people[who]; await fn(people[who], st); });

  let consultationURL; // /processes/…/c/N
  let observationURL;
  let protocol;
  try {
    await as('resident', 'log in with SPID through the test IdP', async (s) => {
      const page = s.page;
      await s.goto('/login');
      await s.audit('login');
      const spid = page.locator('main a[href="/login/spid"]').first();
      assert.ok(await spid.count(), 'the login page has no "Entra con SPID" link');
      await Promise.all([page.waitForNavigation(), spid.click()]);
      await s.audit('SPID providers');
      // With scripts on, the providers sit behind the official SPID button.
      const toggle = page.locator('main [data-spid-toggle]');
      if (await toggle.count() && await toggle.isVisible()) {
        await toggle.click();
        assert.equal(await toggle.getAttribute('aria-expanded'), 'true', 'the SPID button does not say it opened the list');
      }
      const idp = page.locator('main button[name=idp]', { hasText: 'Arengo Test IdP' });
      assert.ok(await idp.count(), 'the demo test IdP is not offered');
      await throughSelfSubmittingPage(s, '**/login/spid', 'SAML request (self-submitting)', () => idp.click());
      await s.audit('test IdP');
      assert.match(await mainText(page), /persona fittizia|Persone fittizie/i, 'not the test IdP page');
      await page.locator('main input[name=person][value="adult-resident"]').check();
      const login = page.locator('main button[name=action][value=login]');
      const res = await throughSelfSubmittingPage(s, '**/spid-test-idp/sso/choose', 'SAML response (self-submitting)', () => login.click());
      assert.ok(res && res.status() < 400, `the SPID login answered ${res?.status()}: ${await mainText(page)}`);
      await s.audit('after SPID');
      // The first login asks for the public nickname.
      if (new URL(page.url()).pathname === '/login/welcome') {
        const form = mainForm(page, 'nickname');
        await form.locator('input[name=nickname]').fill(nickname);
        const box = form.locator('input[name=privacy]');
        if (await box.count() && !(await box.isChecked())) {
          await form.locator(`label[for="${await box.getAttribute('id')}"]`).click();
          assert.ok(await box.isChecked(), 'clicking the privacy label did not tick the box');
        }
        const r = await s.submit(submitButton(form));
        await expectOK(page, r, 'the nickname form');
        await s.audit('after choosing the nickname');
      }
      assert.ok(await page.locator('header form[action="/logout"]').count(), `not logged in after SPID: ${await mainText(page)}`);
    });

    await as('resident', 'open the Piano Aria e Clima consultation', async (s) => {
      const page = s.page;
      await s.goto(PROCESS);
      await s.audit('consultation process');
      const link = page.locator('main a[href*="/c/"]', { hasText: /Piano Aria e Clima/ }).first();
      assert.ok(await link.count(), `no link to the Piano Aria e Clima consultation on ${PROCESS}`);
      await Promise.all([page.waitForNavigation(), link.click()]);
      consultationURL = new URL(page.url()).pathname.replace(/\/$/, '');
      assert.match(consultationURL, /^\/processes\/[^/]+\/c\/\d+$/);
      assert.equal(await page.locator('h1').count(), 1, 'the document page must have one h1');
      assert.match(await page.locator('h1').innerText(), /Piano Aria e Clima/);
      await s.audit('document');
    });

    await as('resident', 'file an observation with proposed wording and get a protocol number', async (s) => {
      const page = s.page;
      const comma = page.locator('main li.comma').filter({ has: page.locator('h3', { hasText: /^Art\. 2, comma 2$/ }) });
      assert.equal(await comma.count(), 1, 'the document has no "Art. 2, comma 2"');
      const observe = comma.locator('a[href$="/observe"]');
      assert.ok(await observe.count(), 'no link to observe on Art. 2, comma 2: is the observation phase open?');
      await Promise.all([page.waitForNavigation(), observe.click()]);
      await s.audit('observation form');
      const original = (await page.locator('main blockquote').first().innerText()).trim();
      assert.match(original, /2030/, `unexpected text of Art. 2, comma 2: ${original}`);
      const form = mainForm(page, 'body');
      await form.locator('select[name=kind]').selectOption('modify');
      await form.locator('textarea[name=body]').fill(observationText);
      await form.locator('textarea[name=proposed]').fill(original.replace('2030', '2028'));
      const res = await s.submit(submitButton(form));
      await expectOK(page, res, 'filing the observation');
      observationURL = new URL(page.url()).pathname;
      assert.match(observationURL, new RegExp(`^${escapeRe(consultationURL)}/observations/\\d+$`), `filing led to ${page.url()}`);
      const h1 = await page.locator('h1').innerText();
      protocol = (h1.match(/PAC-\d{4}-\d{6}/) || [])[0];
      assert.ok(protocol, `no protocol number in the heading "${h1}"`);
      const text = await mainText(page);
      assert.ok(text.includes(observationText), 'the observation page does not show the text');
      // The proposed wording is shown as a diff against the original.
      assert.ok(await page.locator('main .diff del').count() && await page.locator('main .diff ins').count(), 'the proposed wording is not shown as a diff');
      assert.match(await page.locator('main .diff ins').first().innerText(), /2028/);
      await s.audit('observation filed');
    });

    await as('giulia', 'log in with email and password', async (s) => {
      await loginWithEmail(s, 'giulia@demo.arengo.it');
    });

    await as('giulia', 'comment on the observation', async (s) => {
      const page = s.page;
      await s.goto(observationURL);
      await s.audit('observation (another participant)');
      const form = page.locator('main form[action="/comments"]').filter({ has: page.locator('#comment-body-new') });
      assert.ok(await form.count(), `no comment form: ${await page.locator('#comments').innerText().catch(() => '(no comments section)')}`);
      await form.locator('#comment-body-new').fill(commentText);
      const align = form.locator('select[name=alignment]');
      if (await align.count()) await align.selectOption('favour');
      const res = await s.submit(submitButton(form));
      await expectOK(page, res, 'posting the comment');
      await s.audit('after commenting');
      if (new URL(page.url()).pathname !== observationURL) await s.goto(observationURL);
      assert.ok((await mainText(page)).includes(commentText) || (await page.locator('body').innerText()).includes(commentText),
        'the comment does not appear on the observation page');
      await s.audit('observation with the comment');
    });

    await as('giulia', 'support the observation', async (s) => {
      const page = s.page;
      const support = page.locator(`main form[action$="${observationURL}/support"] button`);
      assert.ok(await support.count(), `no support button: ${await page.locator('#supports').innerText()}`);
      const res = await s.submit(support);
      await expectOK(page, res, 'supporting');
      assert.match(await page.locator('#supports-h').innerText(), /1 sostegno/i, 'the support was not counted');
      assert.ok(await page.locator(`main form[action$="${observationURL}/unsupport"]`).count(), 'no way to withdraw the support');
      await s.audit('supported');
    });

    await as('giulia', 'report the observation', async (s) => {
      const page = s.page;
      const report = page.locator('main a[href^="/moderation/report"]').filter({ hasText: new RegExp(escapeRe(protocol)) }).first();
      const link = (await report.count()) ? report : page.locator('main article a[href^="/moderation/report"]').first();
      assert.ok(await link.count(), 'no link to report the observation');
      await Promise.all([page.waitForNavigation(), link.click()]);
      await s.audit('report form');
      const form = mainForm(page, 'reason');
      const radio = form.locator('input[name=reason][value=off_topic]');
      await form.locator(`label[for="${await radio.getAttribute('id')}"]`).click();
      assert.ok(await radio.isChecked(), 'clicking the label did not choose the reason');
      const details = form.locator('textarea[name=details]');
      if (await details.count()) await details.fill('Riguarda il trasporto pubblico più che la qualità dell\'aria.');
      const res = await s.submit(submitButton(form));
      await expectOK(page, res, 'reporting');
      await s.audit('after reporting');
    });

    await as('moderator', 'handle the report in /moderation', async (s) => {
      const page = s.page;
      await loginWithEmail(s, 'moderatrice@demo.arengo.it');
      await s.goto('/moderation');
      await s.audit('moderation queue');
      const row = page.locator('main tr').filter({ hasText: protocol });
      assert.ok(await row.count(), `the report of ${protocol} is not in the moderation queue: ${await mainText(page)}`);
      // The observation is on topic enough: the report is dismissed and it
      // stays public.
      const dismiss = row.locator('form[action$="/dismiss"] button');
      assert.ok(await dismiss.count(), 'no dismiss button for the report');
      const res = await s.submit(dismiss);
      await expectOK(page, res, 'dismissing the report');
      await s.audit('after dismissing');
      assert.equal(await page.locator('main tr').filter({ hasText: protocol }).filter({ has: page.locator('form[action$="/dismiss"]') }).count(), 0,
        'the report is still open after dismissing it');
    });

    await as('evaluator', 'draft the reply', async (s) => {
      const page = s.page;
      await loginWithEmail(s, 'valutatore@demo.arengo.it');
      await s.goto(observationURL);
      await s.audit('observation (evaluator)');
      const write = page.locator(`main a[href$="/evaluate/${observationURL.split('/').pop()}"]`);
      assert.ok(await write.count(), 'the evaluator is not offered to write the reply');
      await Promise.all([page.waitForNavigation(), write.click()]);
      await s.audit('reply form');
      const form = mainForm(page, 'outcome');
      await form.locator('select[name=outcome]').selectOption('partly_accepted');
      await form.locator('textarea[name=body]').fill(replyText);
      await form.locator('input[name=office]').fill('Direzione Mobilità e Trasporti');
      const res = await s.submit(submitButton(form));
      await expectOK(page, res, 'saving the draft');
      await s.audit('after saving the draft');
      // Drafts are private until published.
      await s.goto(observationURL);
      await s.audit('observation with a draft (evaluator)');
      assert.ok((await mainText(page)).includes(replyText), 'the evaluator does not see the draft on the observation page');
    });

    await as('resident', 'the draft is not public yet', async (s) => {
      await s.goto(observationURL);
      await s.audit('observation before publication');
      assert.ok(!(await mainText(s.page)).includes(replyText), 'a drafted reply is visible to the author before publication');
    });

    await as('admin', 'publish the replies', async (s) => {
      const page = s.page;
      await loginWithEmail(s, 'admin@demo.arengo.it');
      await s.goto(consultationURL);
      await s.audit('document (administrator)');
      const manage = page.locator('main a[href$="/manage"]').first();
      assert.ok(await manage.count(), 'no link to manage the consultation');
      await Promise.all([page.waitForNavigation(), manage.click()]);
      await s.audit('consultation admin');
      const publish = page.locator('main a[href$="/manage/publish"]').first();
      assert.ok(await publish.count(), 'no link to publish the replies');
      await Promise.all([page.waitForNavigation(), publish.click()]);
      await s.audit('publish form');
      const form = mainForm(page, 'note');
      await form.locator('textarea[name=note]').fill(`Controdeduzioni approvate dalla Giunta (prova automatica ${unique}).`);
      const res = await s.submit(submitButton(form));
      await expectOK(page, res, 'publishing the replies');
      await s.audit('after publishing');
    });

    await as('resident', 'read the reply on the observation page', async (s) => {
      const page = s.page;
      await s.goto(observationURL);
      await s.audit('observation with the reply');
      const reply = await page.locator('#reply').innerText();
      assert.ok(reply.includes(replyText), `the published reply is not on the observation page: ${reply}`);
      assert.match(reply, OUTCOME_LABEL);
      assert.match(reply, /Direzione Mobilità e Trasporti/);
    });

    await as('resident', 'the report for the Council lists the observation and its reply', async (s) => {
      const page = s.page;
      await s.goto(consultationURL + '/report');
      await s.audit('consultation report');
      const row = page.locator('tr, article, li, section').filter({ hasText: protocol }).last();
      assert.ok(await row.count(), `${protocol} is not in the report`);
      const text = (await page.locator('body').innerText()).replace(/\s+/g, ' ');
      assert.ok(text.includes(observationText), 'the report does not show the observation text');
      assert.ok(text.includes(replyText), 'the report does not show the reply');
    });

    await step('every page audited, no CSP violation, no script error', async () => {
      for (const [who, s] of Object.entries(people)) {
        current = s;
        try { s.assertClean(); } catch (err) { err.message = `${who}: ${err.message}`; throw err; }
      }
    });
  } finally {
    for (const s of Object.values(people)) await s.close();
  }
});
