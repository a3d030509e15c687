// A usager signs in to their space through the FranceConnect sandbox that
// `procura dev` mounts, sees their name, and signs out; cancelling at the
// provider shows a clear page.
import { run, expect, expectText } from './lib.mjs';

const base = process.env.BASE_URL;

await run('usager', async (page) => {
  await page.goto(`${base}/usager`);
  await page.getByRole('button', { name: /FranceConnect/ }).click();
  await page.waitForURL(/\/fc-sandbox\//);
  await page.getByRole('button', { name: /Jean-Luc/ }).click();
  await page.waitForURL(`${base}/usager/espace`);
  await expectText(page, "Bonjour Jean-Luc D'Arcy");
  await page.getByRole('button', { name: 'Se déconnecter' }).click();
  await page.waitForURL(/\/usager\?fin=1/);
  await expectText(page, 'Vous êtes déconnecté de votre espace usager.');

  // Cancelling at the provider: nothing stored, a clear message.
  await page.getByRole('button', { name: /FranceConnect/ }).click();
  await page.waitForURL(/\/fc-sandbox\//);
  await page.getByRole('button', { name: 'Annuler' }).click();
  await expectText(page, "L'identification n'a pas abouti");
  await expectText(page, 'annulée');
  expect(new URL(page.url()).pathname === '/franceconnect/callback', `at ${page.url()}`);
});
