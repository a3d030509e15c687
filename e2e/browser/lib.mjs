// Shared helpers of the browser tests: start Debian's Chromium through
// playwright-core, compute TOTP codes like an authenticator app, and check
// what a person sees.
//
// Every page a test visits is checked before the test acts on the next
// one: axe-core runs on it at the desktop width and at 375 px (a phone),
// and any violation, of any impact, fails the test; at 375 px the page
// must not scroll sideways. The page that run() hands to a test, and those
// newPage() opens, are watched: each of their actions (goto, click, fill,
// waitFor…) first checks the document the browser shows, if not done yet.
// (Holding the browser's navigation instead does not work: Chromium runs no
// script in a page that is leaving.)
import { chromium } from 'playwright-core';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const phone = { width: 375, height: 812 };

// problems are the accessibility and layout failures of every watched page.
const problems = [];
// checked lists the documents checked, for the test's log.
const checked = [];
// watched maps each watched page to its state: whether its current
// document was checked, and the check under way.
const watched = new Map();

// Methods of a page or locator that return a locator at once: their result
// is watched too. Those in direct run as they are (no page is acted on).
const locatorMethods = new Set(['locator', 'getByRole', 'getByText', 'getByLabel', 'getByPlaceholder',
  'getByAltText', 'getByTitle', 'getByTestId', 'first', 'last', 'nth', 'filter', 'and', 'or']);
const direct = new Set(['url', 'isClosed', 'viewportSize', 'context', 'mainFrame', 'frames', 'on', 'once',
  'off', 'addListener', 'removeListener', 'setDefaultTimeout', 'setDefaultNavigationTimeout', 'page', 'toString']);

function watchedObject(target, page) {
  return new Proxy(target, {
    get(obj, name) {
      const value = Reflect.get(obj, name, obj);
      if (typeof value !== 'function' || typeof name !== 'string' || direct.has(name)) return value;
      if (locatorMethods.has(name)) return (...args) => watchedObject(value.apply(obj, args), page);
      return async (...args) => {
        await checkCurrent(page);
        return value.apply(obj, args);
      };
    },
  });
}

// watch returns page, watched.
function watch(page) {
  const state = { checked: true, running: null };
  watched.set(page, state);
  page.on('framenavigated', (frame) => {
    if (frame === page.mainFrame()) state.checked = false;
  });
  return watchedObject(page, page);
}

// checkCurrent checks the document page shows, once.
async function checkCurrent(page) {
  const state = watched.get(page);
  if (!state || page.isClosed()) return;
  while (!state.checked || state.running) {
    if (!state.running) {
      state.checked = true;
      state.running = checkDocument(page).finally(() => { state.running = null; });
    }
    await state.running;
  }
}

async function checkDocument(page) {
  const url = page.url();
  if (!url.startsWith('http')) return;
  const where = new URL(url).pathname;
  checked.push(where);
  try {
    await page.waitForLoadState('load');
    if (await page.evaluate(() => typeof window.axe === 'undefined')) await page.evaluate(axeSource);
    const size = page.viewportSize();
    for (const viewport of [size, phone]) {
      await page.setViewportSize(viewport);
      const width = `${viewport.width} px`;
      const violations = await page.evaluate(async () => {
        const result = await window.axe.run(document, { resultTypes: ['violations'] });
        return result.violations.map((v) => ({
          id: v.id, impact: v.impact, help: v.help,
          targets: v.nodes.slice(0, 5).map((n) => n.target.join(' ')),
        }));
      });
      for (const v of violations) {
        problems.push(`${where} (${width}): axe ${v.impact} ${v.id}: ${v.help} — ${v.targets.join(', ')}`);
      }
      if (viewport === phone) {
        const { scroll, client } = await page.evaluate(() => ({
          scroll: document.scrollingElement.scrollWidth, client: document.scrollingElement.clientWidth,
        }));
        if (scroll > client) problems.push(`${where} (${width}): scrolls sideways (${scroll} px of content in ${client} px)`);
      }
    }
    await page.setViewportSize(size);
  } catch (err) {
    problems.push(`${where}: not checked: ${err.message.split('\n')[0]}`);
  }
}

export async function launch() {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const context = await browser.newContext({ locale: 'fr-FR' });
  const page = await context.newPage();
  page.setDefaultTimeout(15000);
  return { browser, context, page: watch(page) };
}

// newPage opens a page in a fresh context (another person's browser),
// watched like run()'s page; close it with closePage.
export async function newPage(browser) {
  const context = await browser.newContext({ locale: 'fr-FR' });
  const page = await context.newPage();
  page.setDefaultTimeout(15000);
  return watch(page);
}

// closePage checks the page's last document, then closes its context.
export async function closePage(page) {
  await checkCurrent(page);
  await page.context().close();
}

function base32Decode(s) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of s.replace(/=+$/, '').toUpperCase()) {
    const v = alphabet.indexOf(c);
    if (v < 0) throw new Error(`bad base32 character ${c}`);
    bits += v.toString(2).padStart(5, '0');
  }
  const bytes = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) bytes.push(parseInt(bits.slice(i, i + 8), 2));
  return Buffer.from(bytes);
}

// totp returns the RFC 6238 code (SHA-1, 6 digits, 30 s) of seed at time t (ms).
export function totp(seed, t = Date.now()) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(t / 1000 / 30)));
  const mac = createHmac('sha1', base32Decode(seed)).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const bin = (mac.readUInt32BE(offset) & 0x7fffffff) % 1000000;
  return bin.toString().padStart(6, '0');
}

// codes hands out the TOTP codes of seed, each once: when the current
// step's code was used already, it waits for the next step.
export function codes(seed) {
  const used = new Set();
  return async () => {
    for (;;) {
      const code = totp(seed);
      if (!used.has(code)) {
        used.add(code);
        return code;
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
  };
}

// signInAidant signs the aidant of EMAIL and PASSWORD in with code and
// waits for their home page.
export async function signInAidant(page, base, code) {
  await page.goto(`${base}/connexion`);
  await page.getByLabel('Adresse électronique').fill(process.env.EMAIL);
  await page.getByLabel('Mot de passe').fill(process.env.PASSWORD);
  await page.getByLabel('Code à usage unique').fill(code);
  await page.getByRole('button', { name: 'Se connecter' }).click();
  await page.waitForURL(`${base}/aidant`);
}

export function expect(cond, message) {
  if (!cond) throw new Error(message);
}

// expectOnPhone checks that, on a 375-px screen, each locator's first
// element is shown whole within the screen's width: no column of a table
// hidden beyond its edge.
export async function expectOnPhone(page, locators) {
  const size = page.viewportSize();
  await page.setViewportSize(phone);
  try {
    for (const [what, locator] of Object.entries(locators)) {
      const box = await locator.first().boundingBox();
      expect(box !== null, `${what}: not shown at 375 px`);
      expect(box.x >= 0 && box.x + box.width <= phone.width, `${what}: beyond the screen at 375 px (x ${box.x}, width ${box.width})`);
    }
  } finally {
    await page.setViewportSize(size);
  }
}

export async function expectText(page, text) {
  await page.getByText(text, { exact: false }).first().waitFor({ state: 'visible' });
}

export async function run(name, fn) {
  const { browser, page } = await launch();
  try {
    await fn(page);
    for (const p of watched.keys()) await checkCurrent(p);
    if (problems.length > 0) {
      throw new Error(`${problems.length} accessibility or layout problem(s):\n  ${problems.join('\n  ')}`);
    }
    console.log(`ok ${name} (axe-core and the 375-px check on ${checked.length} pages: ${checked.join(' ')})`);
  } catch (err) {
    const shot = `${process.env.ARTIFACTS || '/tmp'}/${name}.png`;
    await page.screenshot({ path: shot, fullPage: true }).catch(() => {});
    console.error(`FAIL ${name}: ${err.message}\n  at ${page.url()}\n  screenshot: ${shot}`);
    process.exitCode = 1;
  } finally {
    await browser.close();
  }
}
