// The manager's journal: the demo aidant signs in (an act of the
// organisation); the demo manager opens the journal, filters it by that
// aidant, sees the sign-in, and downloads the export of that filter.
import { readFile } from 'node:fs/promises';
import { run, totp, expect, expectText, newPage, closePage, expectOnPhone } from './lib.mjs';

const base = process.env.BASE_URL;

async function signIn(page, email, code) {
  await page.goto(`${base}/connexion`);
  await page.getByLabel('Adresse électronique').fill(email);
  await page.getByLabel('Mot de passe').fill(process.env.PASSWORD);
  await page.getByLabel('Code à usage unique').fill(code);
  await page.getByRole('button', { name: 'Se connecter' }).click();
  await page.waitForURL(`${base}/aidant`);
}

await run('journal', async (page) => {
  const aidant = await newPage(page.context().browser());
  await signIn(aidant, process.env.AIDANT_EMAIL, totp(process.env.AIDANT_TOTP_SEED));
  await closePage(aidant);

  await signIn(page, process.env.MANAGER_EMAIL, totp(process.env.MANAGER_TOTP_SEED));
  await page.goto(`${base}/responsable`);
  await page.getByRole('link', { name: 'Journal', exact: true }).click();
  await page.waitForURL(`${base}/responsable/journal`);
  await expectText(page, 'Journal des actes');
  await page.getByLabel('Aidant ou responsable').selectOption({ label: 'Camille Lefèvre' });
  await page.getByRole('button', { name: 'Filtrer' }).click();
  await page.waitForURL(/aidant=/);
  await page.locator('tbody').getByText('Connexion à Procura').first().waitFor({ state: 'visible' });
  const rows = page.locator('tbody tr');
  expect(await rows.count() > 0, 'no act shown');
  for (const who of await page.locator('tbody tr td:nth-child(3)').allTextContents()) {
    expect(who.trim() === 'Camille Lefèvre', `an act by ${who} is shown`);
  }

  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: 'Exporter ces actes (CSV)' }).click(),
  ]);
  const text = await readFile(await download.path(), 'utf8');
  expect(text.startsWith('\ufeffidentifiant;date_heure_paris;acte;'), `export starts with ${text.slice(0, 40)}`);
  expect(text.includes(';aidant.sign_in;Connexion à Procura;aidant;'), 'the sign-in is not in the export');
  expect(!text.includes('Dominique'), "the export holds acts of someone else than the aidant");
  await expectOnPhone(page, {
    'who acted': page.locator('tbody td[data-label="Par"]'),
    'the act': page.locator('tbody td[data-label="Acte"]'),
  });
  // The manager's other pages.
  for (const [link, path] of [['Statistiques', '/responsable/statistiques'], ['Équipe', '/responsable/aidants'],
    ['Organisation', '/responsable/organisation'], ['Tableau de bord', '/responsable']]) {
    await page.getByRole('link', { name: link, exact: true }).first().click();
    await page.waitForURL(`${base}${path}`);
  }
});
