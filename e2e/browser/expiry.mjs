// The demo aidant fills the new-mandate form, leaves it longer than the
// idle timeout (1 minute in this test), then sends it: instead of a 403,
// the sign-in page says the session ended without activity and that the
// form will be shown again; after signing in again, the aidant is back on
// the form with their choices ticked, and nothing was recorded.
import { run, totp, expect, expectText } from './lib.mjs';

const base = process.env.BASE_URL;
const seed = process.env.TOTP_SEED;

async function signIn(page, code) {
  await page.getByLabel('Adresse électronique').fill(process.env.EMAIL);
  await page.getByLabel('Mot de passe').fill(process.env.PASSWORD);
  await page.getByLabel('Code à usage unique').fill(code);
  await page.getByRole('button', { name: 'Se connecter' }).click();
}

await run('expiry', async (page) => {
  await page.goto(`${base}/connexion`);
  const first = totp(seed);
  await signIn(page, first);
  await page.waitForURL(`${base}/aidant`);

  await page.goto(`${base}/aidant/mandats/nouveau`);
  await page.locator('#demarche-logement').check({ force: true });
  await page.getByLabel('1 mois (31 jours)').check({ force: true });
  // Longer than the idle timeout.
  await new Promise((r) => setTimeout(r, 65000));
  await page.getByRole('button', { name: "Identifier l'usager avec FranceConnect" }).click();

  await page.waitForURL(/\/connexion\?/);
  const asked = new URL(page.url());
  expect(asked.searchParams.get('fin') === 'inactivite', `fin=${asked.searchParams.get('fin')}`);
  expect(asked.searchParams.get('retour') === '/aidant/mandats/nouveau', `retour=${asked.searchParams.get('retour')}`);
  await expectText(page, 'Votre session a pris fin après 1 minute sans activité');
  await expectText(page, 'sauf les mots de passe et les codes');

  let code = totp(seed);
  while (code === first) {
    await new Promise((r) => setTimeout(r, 1000));
    code = totp(seed);
  }
  await signIn(page, code);
  await page.waitForURL(`${base}/aidant/mandats/nouveau`);
  await expectText(page, 'Voici ce que vous aviez choisi avant la fin de votre session');
  expect(await page.locator('#demarche-logement').isChecked(), 'Logement is not ticked again');
  expect(!(await page.locator('#demarche-social').isChecked()), 'Social is ticked though it was not');
  expect(await page.locator('#duree-31').isChecked(), 'the duration is not chosen again');
});
