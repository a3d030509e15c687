// Shared helpers of the browser tests: start Debian's Chromium through
// playwright-core, compute TOTP codes like an authenticator app, and check
// what a person sees.
import { chromium } from 'playwright-core';
import { createHmac } from 'node:crypto';

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
  return { browser, context, page };
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

export function expect(cond, message) {
  if (!cond) throw new Error(message);
}

export async function expectText(page, text) {
  await page.getByText(text, { exact: false }).first().waitFor({ state: 'visible' });
}

export async function run(name, fn) {
  const { browser, page } = await launch();
  try {
    await fn(page);
    console.log(`ok ${name}`);
  } catch (err) {
    const shot = `${process.env.ARTIFACTS || '/tmp'}/${name}.png`;
    await page.screenshot({ path: shot, fullPage: true }).catch(() => {});
    console.error(`FAIL ${name}: ${err.message}\n  at ${page.url()}\n  screenshot: ${shot}`);
    process.exitCode = 1;
  } finally {
    await browser.close();
  }
}
