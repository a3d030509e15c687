// The demo aidant signs in (email, password, TOTP code computed from the
// seed), sees the home page and signs out; a wrong code and a replayed code
// are refused with a clear message.
import { run, totp, expect, expectText } from './lib.mjs';

const base = process.env.BASE_URL;
const email = process.env.EMAIL;
const password = process.env.PASSWORD;
const seed = process.env.TOTP_SEED;

async function signIn(page, code) {
  await page.goto(`${base}/connexion`);
  await page.getByLabel('Adresse électronique').fill(email);
  await page.getByLabel('Mot de passe').fill(password);
  await page.getByLabel('Code à usage unique').fill(code);
  await page.getByRole('button', { name: 'Se connecter' }).click();
}

await run('signin', async (page) => {
  // A wrong code: different from the codes of the current step and its neighbours.
  const valid = [-30000, 0, 30000].map((d) => totp(seed, Date.now() + d));
  let wrong = '000000';
  while (valid.includes(wrong)) wrong = String(Number(wrong) + 1).padStart(6, '0');
  await signIn(page, wrong);
  await expectText(page, 'Adresse électronique, mot de passe ou code incorrect.');
  expect(new URL(page.url()).pathname === '/connexion', `still on the sign-in page, at ${page.url()}`);

  const code = totp(seed);
  await signIn(page, code);
  await page.waitForURL(`${base}/aidant`);
  await expectText(page, 'Camille Lefèvre');
  await expectText(page, 'France Services de démonstration');

  await page.getByRole('button', { name: 'Se déconnecter' }).click();
  await page.waitForURL(/\/connexion/);
  await expectText(page, 'Vous êtes déconnecté');
  // The home page now asks to sign in again.
  await page.goto(`${base}/aidant`);
  await page.waitForURL(/\/connexion/);

  // The code used above is refused a second time.
  await signIn(page, code);
  await expectText(page, 'Ce code a déjà été utilisé.');
  expect(new URL(page.url()).pathname === '/connexion', 'a replayed code signed in');
});
