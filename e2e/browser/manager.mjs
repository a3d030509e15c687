// The invitation journey: the demo manager opens the manager space,
// invites a person and reads the link to hand over; the person opens it
// in their own browser, sets a password, enrols an authenticator app from
// the key shown; the manager records their habilitation; the person, now
// habilitated, may create mandates, and signs in again with a fresh code.
import { run, totp, expect, expectText, newPage, closePage, expectOnPhone } from './lib.mjs';

const base = process.env.BASE_URL;

async function signIn(page, email, password, code) {
  await page.goto(`${base}/connexion`);
  await page.getByLabel('Adresse électronique').fill(email);
  await page.getByLabel('Mot de passe').fill(password);
  await page.getByLabel('Code à usage unique').fill(code);
  await page.getByRole('button', { name: 'Se connecter' }).click();
}

await run('manager', async (page) => {
  await signIn(page, process.env.MANAGER_EMAIL, process.env.PASSWORD, totp(process.env.MANAGER_TOTP_SEED));
  await page.waitForURL(`${base}/aidant`);
  await page.getByRole('navigation', { name: 'Menu principal' }).getByRole('link', { name: 'Espace responsable' }).click();
  await page.waitForURL(`${base}/responsable`);
  await expectText(page, 'Tableau de bord');

  await page.getByRole('link', { name: 'Inviter ou ajouter', exact: true }).click();
  await page.waitForURL(`${base}/responsable/aidants/nouveau`);
  const email = `invitee-${Date.now()}@example.fr`;
  await page.getByLabel('Prénom').fill('Inès');
  await page.getByLabel('Nom', { exact: true }).fill('Nouvelle');
  await page.getByLabel('Adresse électronique', { exact: true }).fill(email);
  await page.getByRole('button', { name: "Créer l'invitation" }).click();
  await expectText(page, "n'envoie pas encore de courriel");
  const link = (await page.locator('#invitation-link').textContent()).trim();
  expect(link.includes('/invitation/'), `no link shown: ${link}`);

  // The invited person, in another browser.
  const person = await newPage(page.context().browser());
  await person.goto(link.replace(/^https?:\/\/[^/]+/, base));
  await expectText(person, 'Bienvenue Inès');
  const password = 'un mot de passe assez long';
  await person.locator('#password').fill(password);
  await person.getByLabel('Confirmez le mot de passe').fill(password);
  await person.getByRole('button', { name: 'Choisir ce mot de passe' }).click();
  await person.waitForURL(`${base}/connexion/totp`);
  const seed = (await person.locator('#totp-secret').textContent()).trim();
  await person.getByLabel("Code affiché par l'application").fill(totp(seed));
  await person.getByRole('button', { name: 'Valider et se connecter' }).click();
  await person.waitForURL(`${base}/aidant`);
  await expectText(person, 'pas habilité comme aidant');

  // The manager records the habilitation.
  await page.goto(`${base}/responsable/aidants?q=${encodeURIComponent(email)}`);
  await expectOnPhone(page, {
    'the situation of a member': page.locator('tbody .fr-badge'),
    '"Gérer"': page.getByRole('link', { name: 'Gérer' }),
  });
  await page.getByRole('link', { name: 'Gérer' }).click();
  const today = new Date().toISOString().slice(0, 10);
  await page.getByLabel('Date de la formation').fill(today);
  await page.getByRole('button', { name: "Enregistrer l'habilitation" }).click();
  await expectText(page, "L'habilitation est enregistrée.");

  // Habilitated: the person may take mandates; a fresh sign-in works.
  await person.reload();
  await expectText(person, 'Nouveau mandat');
  await person.getByRole('button', { name: 'Se déconnecter' }).click();
  await person.waitForURL(/\/connexion/);
  await signIn(person, email, password, totp(seed, Date.now() + 30000));
  await person.waitForURL(`${base}/aidant`);
  await expectText(person, 'Nouveau mandat');
  await closePage(person);
});
