// A provider Procura did not write: panva/oidc-provider (certified OpenID
// Provider), configured the way FranceConnect configures its mock identity
// providers, for franceconnect's tests:
//
//   - ES256 ID tokens and ES256-signed userinfo (userinfo_signed_response_alg),
//     an RS256 key published beside it, so the client must choose by kid;
//   - client_secret_post, authorization code flow, no PKCE required;
//   - acr eidas1, claims released by FranceConnect's one-claim scopes;
//   - no consent screen (FranceConnect asks for consent, not its identity
//     providers) and a login page with one button for one fixed French
//     identity, plus "Annuler" (access_denied).
//
// Environment: PORT (0 for any free port), CLIENT_ID, CLIENT_SECRET,
// REDIRECT_URI, POST_LOGOUT_REDIRECT_URI. Once listening it prints one line:
//   oidc-provider ready <issuer>
// It serves plain HTTP on 127.0.0.1 only: tests, never production.

import { createServer } from 'node:http';
import { generateKeyPairSync, randomBytes } from 'node:crypto';

import Provider from 'oidc-provider';

function required(name) {
  const value = process.env[name];
  if (!value) {
    console.error(`server.mjs: ${name} is required`);
    process.exit(2);
  }
  return value;
}

const port = Number(process.env.PORT ?? '0');
const client = {
  client_id: required('CLIENT_ID'),
  client_secret: required('CLIENT_SECRET'),
  redirect_uris: [required('REDIRECT_URI')],
  post_logout_redirect_uris: [required('POST_LOGOUT_REDIRECT_URI')],
  response_types: ['code'],
  grant_types: ['authorization_code'],
  token_endpoint_auth_method: 'client_secret_post',
  id_token_signed_response_alg: 'ES256',
  userinfo_signed_response_alg: 'ES256',
};

// The fixed identity findAccount returns: born in France, with a nom d'usage.
const ACCOUNT_ID = 'usager-oidc-provider-0001';
const IDENTITY = {
  given_name: 'Marianne Louise',
  family_name: 'Lambert',
  preferred_username: 'Dupont',
  birthdate: '1971-05-09',
  gender: 'female',
  birthplace: '33063',
  birthcountry: '99100',
  email: 'marianne.lambert@example.org',
};

function signingKey(type, options, kid, alg) {
  const { privateKey } = generateKeyPairSync(type, options);
  return { ...privateKey.export({ format: 'jwk' }), kid, alg, use: 'sig' };
}

const claimScopes = Object.keys(IDENTITY);

function configuration() {
  return {
    clients: [client],
    jwks: {
      keys: [
        signingKey('ec', { namedCurve: 'P-256' }, 'mock-es256-1', 'ES256'),
        signingKey('rsa', { modulusLength: 2048 }, 'mock-rs256-1', 'RS256'),
      ],
    },
    cookies: { keys: [randomBytes(32).toString('hex')] },
    // FranceConnect's scopes each release the claim of the same name.
    scopes: ['openid', ...claimScopes],
    claims: Object.fromEntries(claimScopes.map((c) => [c, [c]])),
    acrValues: ['eidas1'],
    pkce: { required: () => false },
    features: {
      devInteractions: { enabled: false },
      jwtUserinfo: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource(ctx, form) {
          ctx.type = 'html';
          ctx.body = `<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Déconnexion</title></head>
<body>${form}<button type="submit" form="op.logoutForm" name="logout" value="yes">Se déconnecter</button></body></html>`;
        },
      },
    },
    interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
    // No consent screen: every requested scope is granted.
    async loadExistingGrant(ctx) {
      const grant = new ctx.oidc.provider.Grant({
        clientId: ctx.oidc.client.clientId,
        accountId: ctx.oidc.session.accountId,
      });
      grant.addOIDCScope(ctx.oidc.params.scope);
      await grant.save();
      return grant;
    },
    async findAccount(ctx, id) {
      if (id !== ACCOUNT_ID) return undefined;
      return { accountId: id, claims: async () => ({ sub: id, ...IDENTITY }) };
    },
    ttl: { AccessToken: 60, AuthorizationCode: 30, IdToken: 60, Interaction: 600, Session: 600, Grant: 600 },
    async renderError(ctx, out) {
      ctx.type = 'text';
      ctx.body = `${out.error}: ${out.error_description ?? ''}`;
    },
  };
}

const escapeHTML = (s) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function loginPage(uid) {
  const base = `/interaction/${encodeURIComponent(uid)}`;
  return `<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Fournisseur d'identité de test</title></head>
<body><h1>Connexion</h1><p>${escapeHTML(`${IDENTITY.given_name} ${IDENTITY.family_name}`)}</p>
<form method="post" action="${escapeHTML(`${base}/login`)}"><button type="submit">Se connecter</button></form>
<form method="post" action="${escapeHTML(`${base}/abort`)}"><button type="submit">Annuler</button></form>
</body></html>`;
}

// interaction serves the login page and its two answers.
async function interaction(provider, req, res, uid, action) {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) {
    res.writeHead(400).end('interaction mismatch');
    return;
  }
  if (req.method === 'GET' && action === undefined) {
    if (details.prompt.name !== 'login') {
      res.writeHead(501).end(`prompt ${details.prompt.name} not implemented`);
      return;
    }
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' }).end(loginPage(uid));
    return;
  }
  if (req.method !== 'POST') {
    res.writeHead(405).end();
    return;
  }
  for await (const chunk of req); // drain the (empty) form
  const result = action === 'login'
    ? { login: { accountId: ACCOUNT_ID, acr: 'eidas1', amr: ['pwd'] } }
    : { error: 'access_denied', error_description: 'End-User aborted interaction' };
  await provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
}

const server = createServer();
server.listen(port, '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, configuration());
  const callback = provider.callback();
  server.on('request', (req, res) => {
    const m = /^\/interaction\/([^/?]+)(?:\/(login|abort))?(?:\?|$)/.exec(req.url);
    if (!m) {
      callback(req, res);
      return;
    }
    interaction(provider, req, res, decodeURIComponent(m[1]), m[2]).catch((err) => {
      if (!res.headersSent) res.writeHead(400, { 'Content-Type': 'text/plain' });
      res.end(`interaction: ${err.message}`);
    });
  });
  console.log(`oidc-provider ready ${issuer}`);
});

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
