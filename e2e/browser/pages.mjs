// The pages anyone may open: the home page sends each person to their
// space (sign-in, usager space, mandate verification), the footer leads to
// the legal pages, which name the operator; an error page leads home.
import { run, expect, expectText } from './lib.mjs';

const base = process.env.BASE_URL;

await run('pages', async (page) => {
  await page.goto(`${base}/`);
  await page.getByRole('link', { name: 'Vous êtes aidant ou responsable de structure' }).click();
  await page.waitForURL(`${base}/connexion`);
  await page.getByRole('link', { name: 'Mot de passe oublié' }).click();
  await page.waitForURL(/\/mot-de-passe-oublie/);
  await page.goto(`${base}/`);
  await page.getByRole('link', { name: 'Vous avez confié un mandat' }).click();
  await page.waitForURL(`${base}/usager`);
  // The verification form of the home page: a pasted signature is checked.
  await page.goto(`${base}/`);
  await page.getByLabel('Signature du mandat').fill('pas-une-signature');
  await page.getByRole('button', { name: 'Vérifier' }).click();
  await page.waitForURL(/\/mandats\/verifier\?signature=/);
  await expectText(page, 'Mandat non vérifié');
  // The footer's legal pages.
  for (const [link, heading] of [['Mentions légales', 'Mentions légales'], ['Données personnelles', 'Données personnelles'],
    ['Accessibilité : non conforme', "Déclaration d'accessibilité"]]) {
    await page.getByRole('contentinfo').getByRole('link', { name: link }).click();
    await page.getByRole('heading', { level: 1, name: heading }).waitFor();
  }
  await expectText(page, 'Procura est non conforme avec le RGAA 4.1.2');
  await page.goto(`${base}/journal`);
  await page.goto(`${base}/mandats/verifier`);
  // An unknown page, and its way home.
  const resp = await page.goto(`${base}/nulle-part`);
  expect(resp.status() === 404, `unknown page: ${resp.status()}`);
  await page.getByRole('link', { name: "Page d'accueil" }).click();
  await page.waitForURL(`${base}/`);
});
