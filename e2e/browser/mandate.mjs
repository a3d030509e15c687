// The demo aidant creates a mandate for a sandbox identity, downloads the
// attestation, opens the verification link, revokes one procedure then the
// whole mandate, and sees the statuses change.
import { execFileSync } from 'node:child_process';
import { run, codes, signInAidant, expect, expectText, expectOnPhone } from './lib.mjs';

const base = process.env.BASE_URL;
const seed = process.env.TOTP_SEED;
const artifacts = process.env.ARTIFACTS || '/tmp';

await run('mandate', async (page) => {
  const freshCode = codes(seed);
  await signInAidant(page, base, await freshCode());

  // The home page's call to action shows its label, not a blank square.
  const newMandate = page.locator('#contenu').getByRole('link', { name: 'Nouveau mandat' });
  const box = await newMandate.boundingBox();
  expect(box.width > 100, `"Nouveau mandat" is ${box.width} px wide: its label is clipped`);
  await newMandate.click();
  await page.locator('#demarche-social').check({ force: true });
  await page.locator('#demarche-logement').check({ force: true });
  await page.getByLabel('6 mois (182 jours)').check({ force: true });
  await page.getByRole('button', { name: "Identifier l'usager avec FranceConnect" }).click();
  await page.waitForURL(/\/fc-sandbox\//);
  await page.getByRole('button', { name: /Jean-Luc/ }).click();
  await page.waitForURL(`${base}/aidant/mandats/recapitulatif`);
  await expectText(page, "Jean-Luc D'Arcy");
  await expectText(page, 'Texte du mandat (version v1)');

  // Without the usager's consent, nothing is signed.
  await page.getByLabel('Votre code à usage unique').fill(await freshCode());
  await page.getByRole('button', { name: 'Signer le mandat' }).click();
  await expectText(page, "L'usager doit déclarer consentir au mandat");

  await page.locator('#consent').check({ force: true });
  await page.getByLabel('Votre code à usage unique').fill(await freshCode());
  await page.getByRole('button', { name: 'Signer le mandat' }).click();
  await page.waitForURL(/\/aidant\/mandats\/[0-9a-f-]{36}\?cree=1/);
  await expectText(page, 'Le mandat est signé.');
  expect((await page.locator('#statut-mandat').textContent()).trim() === 'actif', 'mandate not active');
  const mandateURL = page.url().replace(/\?.*$/, '');

  // The attestation is a PDF naming the usager and the procedures.
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: "Télécharger l'attestation de mandat" }).click(),
  ]);
  const pdf = `${artifacts}/attestation.pdf`;
  await download.saveAs(pdf);
  const text = execFileSync('pdftotext', ['-layout', pdf, '-']).toString();
  for (const want of ['Attestation de mandat', "D'Arcy", 'Social - Santé', 'Logement']) {
    expect(text.includes(want), `attestation lacks ${want}`);
  }

  // The verification link says valid and active.
  await page.getByRole('link', { name: 'Vérifier la signature' }).click();
  await expectText(page, 'Signature valide');
  expect((await page.locator('#statut-verifie').textContent()).trim() === 'actif', 'verification not active');

  // Revoke one procedure, after confirmation.
  await page.goto(mandateURL);
  await page.getByRole('link', { name: 'Révoquer cette démarche' }).first().click();
  await expectText(page, 'Confirmer la révocation');
  await page.getByRole('button', { name: 'Confirmer la révocation' }).click();
  await expectText(page, 'La révocation a pris effet.');
  expect((await page.locator('[id^="statut-"]:not(#statut-mandat)').first().textContent()).trim() === 'révoqué', 'procedure not revoked');
  expect((await page.locator('#statut-mandat').textContent()).trim() === 'actif', 'mandate should stay active');

  // Revoke the whole mandate; the verification page follows.
  await page.getByRole('link', { name: 'Révoquer tout le mandat' }).click();
  await page.getByRole('button', { name: 'Confirmer la révocation' }).click();
  await expectText(page, 'La révocation a pris effet.');
  expect((await page.locator('#statut-mandat').textContent()).trim() === 'révoqué', 'mandate not revoked');
  await page.getByRole('link', { name: 'Vérifier la signature' }).click();
  expect((await page.locator('#statut-verifie').textContent()).trim() === 'révoqué', 'verification not revoked');
  // The usagers list, from the header navigation: the revoked mandate's
  // badge says so in words and colour, and on a phone its status and its
  // link stay in view.
  await page.getByRole('navigation', { name: 'Menu principal' }).getByRole('link', { name: 'Usagers et mandats' }).click();
  await page.waitForURL(`${base}/aidant/usagers`);
  const badge = page.locator('tbody .fr-badge').first();
  expect((await badge.textContent()).trim() === 'révoqué', 'the list does not say revoked');
  expect((await badge.getAttribute('class')).includes('fr-badge--error'), 'a revoked badge is not red');
  await expectOnPhone(page, {
    'the status of a mandate': page.locator('tbody .fr-badge'),
    '"Voir le mandat"': page.getByRole('link', { name: 'Voir le mandat' }),
  });
});
