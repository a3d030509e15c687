import { chromium } from 'playwright-core';
import { totp } from './lib.mjs';
const base = process.env.BASE_URL;
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox'] });
const page = await browser.newPage();
await page.goto(`${base}/connexion`);
await page.getByLabel('Adresse électronique').fill(process.env.EMAIL);
await page.getByLabel('Mot de passe').fill(process.env.PASSWORD);
await page.getByLabel('Code à usage unique').fill(totp(process.env.TOTP_SEED, Date.now()+30000));
await page.getByRole('button', { name: 'Se connecter' }).click();
await page.waitForURL(`${base}/aidant`);
for (const p of (process.env.PAGES || '/aidant').split(',')) {
  await page.goto(base + p);
  const n = p.replace(/\W/g, '_');
  await page.screenshot({ path: `/tmp/desk-a/shot${n}.png`, fullPage: true });
  await page.setViewportSize({ width: 375, height: 812 });
  await page.screenshot({ path: `/tmp/desk-a/shot${n}_375.png`, fullPage: true });
  await page.setViewportSize({ width: 1280, height: 720 });
}
const html = await page.evaluate(() => { const a = [...document.querySelectorAll('a')].find(a => a.textContent.includes('Nouveau mandat')); return a ? getComputedStyle(a).maxWidth + ' ' + getComputedStyle(a).fontSize + ' ' + a.outerHTML : 'none'; });
console.log(html);
await browser.close();
