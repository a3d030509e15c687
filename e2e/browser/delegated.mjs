// The delegated login: the demo aidant creates a mandate for a sandbox
// identity (procedure Social - Santé), then at the demo service chooses
// "Se connecter avec Procura", picks the usager and the procedure, and
// lands back signed in as the usager with the act claim shown; the
// service's logout ends the aidant's Procura session.
import { run, codes, signInAidant, expect, expectText, expectOnPhone } from './lib.mjs';

const base = process.env.BASE_URL;
const seed = process.env.TOTP_SEED;

await run('delegated', async (page) => {
  const freshCode = codes(seed);
  await signInAidant(page, base, await freshCode());

  // Before any mandate: no usager to choose, and cancelling returns access_denied.
  await page.goto(`${base}/demo-service/`);
  await page.getByRole('link', { name: 'Se connecter avec Procura' }).click();
  await page.waitForURL(/\/oidc\/choix/);
  await expectText(page, "Aucun usager n'a confié à votre organisation un mandat en cours");
  await page.getByRole('button', { name: 'Annuler et revenir au service' }).click();
  await expectText(page, 'access_denied');

  // A mandate for Jean-Luc D'Arcy, Social - Santé.
  await page.goto(`${base}/aidant/mandats/nouveau`);
  await page.locator('#demarche-social').check({ force: true });
  await page.getByLabel('1 mois (31 jours)').check({ force: true });
  await page.getByRole('button', { name: "Identifier l'usager avec FranceConnect" }).click();
  await page.getByRole('button', { name: /Jean-Luc/ }).click();
  await page.waitForURL(`${base}/aidant/mandats/recapitulatif`);
  await page.locator('#consent').check({ force: true });
  await page.getByLabel('Votre code à usage unique').fill(await freshCode());
  await page.getByRole('button', { name: 'Signer le mandat' }).click();
  await expectText(page, 'Le mandat est signé.');

  // The delegated login at the demo service.
  await page.goto(`${base}/demo-service/`);
  await page.getByRole('link', { name: 'Se connecter avec Procura' }).click();
  await page.waitForURL(/\/oidc\/choix/);
  await expectText(page, "Jean-Luc D'Arcy");
  await page.getByRole('button', { name: 'Social - Santé' }).click();
  await page.waitForURL(/\/demo-service\//);
  await expectText(page, "Connecté en tant que Jean-Luc D'Arcy");
  await expectText(page, 'Démarche effectuée par un aidant habilité');
  await expectText(page, '13002526500013');
  await expectText(page, 'Social-Santé');
  await expectText(page, 'eidas1');

  // The service's logout ends the aidant's session at Procura.
  await page.getByRole('button', { name: 'Se déconnecter' }).click();
  await page.waitForURL(/\/demo-service\/deconnecte/);
  await page.goto(`${base}/aidant`);
  await page.waitForURL(/\/connexion/);
  expect(new URL(page.url()).pathname === '/connexion', 'still signed in at Procura');
  // The usager sees the act in their space; on a phone, the organisation
  // and the aidant who acted stay in view.
  await page.goto(`${base}/usager`);
  await page.getByRole('button', { name: /FranceConnect/ }).click();
  await page.getByRole('button', { name: /Jean-Luc/ }).click();
  await page.waitForURL(`${base}/usager/espace`);
  await expectText(page, 'Connexion à un service');
  await expectOnPhone(page, {
    'the organisation of an act': page.locator('#actes td[data-label="Organisation"]'),
    'the aidant of an act': page.locator('#actes td[data-label="Aidant"]'),
    'the status of a mandate': page.locator('[id^="statut-mandat-"]'),
  });
});
