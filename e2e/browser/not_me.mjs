// "Ce n'était pas moi": the demo aidant creates a mandate for a sandbox
// identity who asks to be told by email, and signs in at the demo service
// under it. The usager, in their own browser, opens the link of the
// message shown by the dev mail catcher, identifies with the FranceConnect
// sandbox and suspends the mandate; the aidant's next delegated login finds
// no usager to act for.
import { run, codes, signInAidant, expect, expectText } from './lib.mjs';

const base = process.env.BASE_URL;
const seed = process.env.TOTP_SEED;

await run('not_me', async (page) => {
  const freshCode = codes(seed);
  await signInAidant(page, base, await freshCode());

  // A mandate for Jean-Luc D'Arcy, Social - Santé, told by email.
  await page.goto(`${base}/aidant/mandats/nouveau`);
  await page.locator('#demarche-social').check({ force: true });
  await page.getByLabel('1 mois (31 jours)').check({ force: true });
  await page.getByRole('button', { name: "Identifier l'usager avec FranceConnect" }).click();
  await page.getByRole('button', { name: /Jean-Luc/ }).click();
  await page.waitForURL(`${base}/aidant/mandats/recapitulatif`);
  await page.locator('#consent').check({ force: true });
  await page.locator('#notify').check({ force: true });
  await page.getByLabel('Votre code à usage unique').fill(await freshCode());
  await page.getByRole('button', { name: 'Signer le mandat' }).click();
  await expectText(page, 'Le mandat est signé.');

  // The aidant acts under it at the demo service.
  await page.goto(`${base}/demo-service/`);
  await page.getByRole('link', { name: 'Se connecter avec Procura' }).click();
  await page.waitForURL(/\/oidc\/choix/);
  await page.getByRole('button', { name: 'Social - Santé' }).click();
  await page.waitForURL(/\/demo-service\//);
  await expectText(page, "Connecté en tant que Jean-Luc D'Arcy");

  // The usager's own browser: the message in the dev mail catcher.
  const usager = await (await page.context().browser().newContext({ locale: 'fr-FR' })).newPage();
  usager.setDefaultTimeout(15000);
  await usager.goto(`${base}/dev/courriels`);
  const message = usager.locator('article', { hasText: 'vous avez donné un mandat' }).first();
  const text = await message.locator('pre').textContent();
  const found = text.match(/Ce n'était pas moi : (\S+)/);
  expect(found, `no "Ce n'était pas moi" link in:\n${text}`);
  expect(found[1].startsWith(`${base}/usager/pas-moi?`), `link ${found[1]}`);

  await usager.goto(found[1]);
  await expectText(usager, 'seule la personne qui a donné le mandat peut le suspendre');
  await usager.getByRole('button', { name: /FranceConnect/ }).click();
  await usager.waitForURL(/\/fc-sandbox\//);
  await usager.getByRole('button', { name: /Jean-Luc/ }).click();
  await usager.waitForURL(`${base}/usager/pas-moi/suspendre`);
  await expectText(usager, 'Social - Santé');
  await usager.getByRole('button', { name: 'Suspendre ce mandat' }).click();
  await usager.waitForURL(`${base}/usager/espace?suspendu=1`);
  await expectText(usager, 'Le mandat est suspendu');
  await expectText(usager, 'Vous avez suspendu ce mandat');

  // The structure is told (the mail catcher lists the message).
  await usager.goto(`${base}/dev/courriels`);
  await expectText(usager, 'un usager a suspendu un mandat donné à');

  // The aidant's next delegated login finds no usager to act for: signed
  // out of the service (and so of Procura), signed in again.
  await page.getByRole('button', { name: 'Se déconnecter' }).click();
  await page.waitForURL(/\/demo-service\/deconnecte/);
  await page.goto(`${base}/connexion`);
  await page.getByLabel('Adresse électronique').fill(process.env.EMAIL);
  await page.getByLabel('Mot de passe').fill(process.env.PASSWORD);
  await page.getByLabel('Code à usage unique').fill(await freshCode());
  await page.getByRole('button', { name: 'Se connecter' }).click();
  await page.waitForURL(`${base}/aidant`);
  await page.goto(`${base}/demo-service/`);
  await page.getByRole('link', { name: 'Se connecter avec Procura' }).click();
  await page.waitForURL(/\/oidc\/choix/);
  await expectText(page, "Aucun usager n'a confié à votre organisation un mandat en cours");
});
