// Procura's OpenID Provider as seen by openid-client (v6), a certified
// relying-party library we did not write. e2e/openidclient_test.go runs
// this script against a real `procura dev` and plays the aidant.
//
// The script talks to the Go test over stdin/stdout, one line each way:
//
//   node prints                   Go answers with
//   AUTHORIZE <url>               the URL the aidant was sent back to (the
//                                 aidant chose the usager and "Social - Santé")
//   CANCEL <url>                  the URL the aidant was sent back to after
//                                 cancelling on the choice page
//   JWKS <path>                   the client_id of a private_key_jwt client
//                                 registered with the public JWKS written there
//   LOGOUT <url>                  the URL the aidant's browser was sent back to
//                                 by the end_session endpoint
//
// and "ok <flow>" after each flow, then "DONE". Anything else goes to
// stderr; a failure exits non-zero with what went wrong.
//
// Environment: ISSUER, REDIRECT_URI, POST_LOGOUT_REDIRECT_URI,
// BASIC_CLIENT_ID/BASIC_CLIENT_SECRET (client_secret_basic, JSON UserInfo),
// POST_CLIENT_ID/POST_CLIENT_SECRET (client_secret_post, UserInfo signed
// ES256), JWKS_FILE (where to write the private_key_jwt client's public
// keys), PRIVATE_KEY_JWT_ALG (its assertion algorithm, RS256 by default),
// EXPECT_SIRET (the aidant's organisation), EXPECT_IDENTITY (JSON of
// the usager's identity as FranceConnect gave it).
import * as client from 'openid-client';
import * as jose from 'jose';
import { createInterface } from 'node:readline';
import { writeFile } from 'node:fs/promises';
import { strict as assert } from 'node:assert';

function env(name) {
  const v = process.env[name];
  if (!v) throw new Error(`environment variable ${name} is required`);
  return v;
}

const issuer = env('ISSUER');
const redirectURI = env('REDIRECT_URI');
const postLogoutURI = env('POST_LOGOUT_REDIRECT_URI');
const expectSIRET = env('EXPECT_SIRET');
const identity = JSON.parse(env('EXPECT_IDENTITY'));

const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();

// ask prints a request for the Go test and returns its one-line answer.
async function ask(kind, arg) {
  process.stdout.write(`${kind} ${arg}\n`);
  const { value, done } = await lines.next();
  if (done) throw new Error(`no answer to ${kind}: stdin closed`);
  return value.trim();
}

function describe(err) {
  const parts = [`${err.name}: ${err.message}`];
  for (const k of ['code', 'error', 'error_description', 'status']) {
    if (err[k] !== undefined) parts.push(`${k}=${JSON.stringify(err[k])}`);
  }
  if (err.cause !== undefined) parts.push(`cause=${JSON.stringify(err.cause)}`);
  return parts.join(' ');
}

// enrich gives a WWW-Authenticate challenge (a 401 answer, which
// openid-client reports before reading the body) the error and
// error_description of its JSON body, as a ResponseBodyError has them.
async function enrich(err) {
  if (err instanceof client.WWWAuthenticateChallengeError && err.error === undefined && !err.response?.bodyUsed) {
    const body = await err.response.json().catch(() => ({}));
    err.error = body.error;
    err.error_description = body.error_description;
  }
  return err;
}

// rejects runs fn and returns the error it must throw.
async function rejects(fn, what) {
  try {
    await fn();
  } catch (err) {
    return enrich(err);
  }
  throw new Error(`${what}: expected an error, got success`);
}

// flow runs one named flow; the first failure stops the script.
async function flow(name, fn) {
  const started = Date.now();
  try {
    await fn();
  } catch (err) {
    await enrich(err).catch(() => {});
    console.error(`FAIL ${name}: ${describe(err)}`);
    if (err.stack && !(err instanceof assert.AssertionError)) console.error(err.stack.split('\n').slice(1).join('\n'));
    process.exit(1);
  }
  process.stdout.write(`ok ${name} (${Date.now() - started} ms)\n`);
}

// Every configuration: plain http on loopback, and signatures of ID tokens
// and UserInfo JWTs checked against the provider's JWKS (openid-client
// relies on TLS alone by default).
async function configure(clientID, metadata, auth, fetchSpy) {
  const options = { execute: [client.allowInsecureRequests, client.enableNonRepudiationChecks] };
  if (fetchSpy) options[client.customFetch] = fetchSpy;
  return client.discovery(new URL(issuer), clientID,
    { id_token_signed_response_alg: 'ES256', ...metadata }, auth, options);
}

// authorize runs one authorization request through the aidant (kind AUTHORIZE
// or CANCEL) and returns the callback URL and the checks to apply to it.
async function authorize(config, kind, params) {
  const pkceCodeVerifier = client.randomPKCECodeVerifier();
  const checks = {
    pkceCodeVerifier,
    expectedNonce: client.randomNonce(),
    expectedState: client.randomState(),
  };
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectURI,
    scope: 'openid profile email birth',
    code_challenge: await client.calculatePKCECodeChallenge(pkceCodeVerifier),
    code_challenge_method: 'S256',
    nonce: checks.expectedNonce,
    state: checks.expectedState,
    acr_values: 'eidas1',
    ...params,
  });
  const callback = new URL(await ask(kind, url.href));
  assert.equal(callback.origin + callback.pathname, redirectURI, 'sent back to the registered redirect URI');
  return { callback, checks };
}

// checkIDToken asserts the delegation claims of an ID token openid-client
// has already validated (signature, iss, aud, exp, iat, nonce, azp).
function checkIDToken(claims, clientID) {
  assert.equal(claims.iss, issuer, 'iss');
  assert.ok([claims.aud].flat().includes(clientID), 'aud names the client');
  assert.equal(claims.acr, 'eidas1', 'acr');
  assert.ok(Array.isArray(claims.rep_scope) && claims.rep_scope.includes('Social-Santé'),
    `rep_scope ${JSON.stringify(claims.rep_scope)} contains Social-Santé`);
  assert.equal(typeof claims.act, 'object', 'act claim present');
  assert.equal(claims.act.org, expectSIRET, 'act.org is the organisation SIRET');
  assert.ok(typeof claims.act.sub === 'string' && claims.act.sub !== '' && claims.act.sub !== claims.sub,
    `act.sub ${JSON.stringify(claims.act.sub)} names the aidant, not the usager`);
  assert.equal(typeof claims.auth_time, 'number', 'auth_time present');
  const now = Date.now() / 1000;
  assert.ok(claims.auth_time <= now + 5 && claims.auth_time > now - 3600, `auth_time ${claims.auth_time} is recent`);
  assert.ok(Array.isArray(claims.amr) && claims.amr.length > 0, 'amr present');
  assert.ok(typeof claims.sub === 'string' && claims.sub !== '', 'sub present');
}

function checkIdentity(info) {
  for (const k of ['given_name', 'family_name', 'birthdate', 'gender', 'birthplace', 'birthcountry', 'email']) {
    assert.equal(info[k], identity[k], `userinfo ${k}`);
  }
}

async function expectError(fn, code, what) {
  const err = await rejects(fn, what);
  assert.equal(err.error, code, `${what}: expected error ${code}, got ${describe(err)}`);
  return err;
}

async function introspect(config, token) {
  return client.tokenIntrospection(config, token);
}

// --- the flows ----------------------------------------------------------

let basic, post, pkjwt;
let basicTokens, basicClaims, postTokens, postCallback, postChecks, pkjwtTokens;

await flow('discovery', async () => {
  basic = await configure(env('BASIC_CLIENT_ID'), { token_endpoint_auth_method: 'client_secret_basic' },
    client.ClientSecretBasic(env('BASIC_CLIENT_SECRET')));
  const m = basic.serverMetadata();
  // openid-client itself refuses a document whose issuer differs from the
  // URL it was fetched for; the exact string is what ID tokens carry.
  assert.equal(m.issuer, issuer, 'issuer is exactly the base URL');
  for (const name of ['authorization_endpoint', 'token_endpoint', 'userinfo_endpoint', 'jwks_uri',
    'end_session_endpoint', 'revocation_endpoint', 'introspection_endpoint']) {
    assert.ok(typeof m[name] === 'string' && m[name].startsWith(`${issuer}/`), `${name} ${m[name]} under the issuer`);
  }
  assert.ok(m.code_challenge_methods_supported?.includes('S256'), 'S256 supported');
  assert.ok(!m.code_challenge_methods_supported?.includes('plain'), 'plain PKCE not offered');
  for (const method of ['client_secret_basic', 'client_secret_post', 'private_key_jwt']) {
    assert.ok(m.token_endpoint_auth_methods_supported?.includes(method), `${method} supported`);
  }
  assert.deepEqual(m.response_types_supported, ['code'], 'authorization code flow only');
  assert.ok(m.acr_values_supported?.includes('eidas1'), 'eidas1 acr');
  assert.ok(m.id_token_signing_alg_values_supported?.includes('ES256'), 'ES256 ID tokens');
  assert.ok(m.claims_supported?.includes('rep_scope') && m.claims_supported?.includes('act'), 'rep_scope and act claims');
  const jwks = await (await fetch(m.jwks_uri)).json();
  assert.ok(jwks.keys.length > 0, 'JWKS has keys');
  for (const k of jwks.keys) {
    assert.ok(k.kid && k.alg && k.use === 'sig', `JWK ${JSON.stringify(k)} has kid, alg, use=sig`);
    assert.ok(!('d' in k), 'JWKS publishes no private key');
  }
});

await flow('code+pkce+nonce+state, client_secret_basic, id_token', async () => {
  const { callback, checks } = await authorize(basic, 'AUTHORIZE', {
    // The procedure asked for as a FranceConnect label in the claims
    // parameter; max_age makes openid-client require auth_time.
    claims: JSON.stringify({ id_token: { rep_scope: { essential: true, values: ['Social-Santé'] } } }),
    max_age: '3600',
  });
  assert.equal(callback.searchParams.get('state'), checks.expectedState, 'state echoed');
  basicTokens = await client.authorizationCodeGrant(basic, callback, { ...checks, maxAge: 3600 });
  assert.equal(basicTokens.token_type.toLowerCase(), 'bearer', 'token_type');
  assert.ok(basicTokens.expires_in > 0, 'expires_in');
  assert.ok(basicTokens.refresh_token, 'a refresh token is issued');
  basicClaims = basicTokens.claims();
  checkIDToken(basicClaims, basic.clientMetadata().client_id);
});

await flow('userinfo JSON', async () => {
  const info = await client.fetchUserInfo(basic, basicTokens.access_token, basicClaims.sub);
  checkIdentity(info);
  assert.equal(info.sub, basicClaims.sub, 'same sub as the ID token');
});

await flow('refresh token grant', async () => {
  const refreshed = await client.refreshTokenGrant(basic, basicTokens.refresh_token);
  assert.ok(refreshed.access_token && refreshed.access_token !== basicTokens.access_token, 'a new access token');
  assert.ok(refreshed.refresh_token && refreshed.refresh_token !== basicTokens.refresh_token, 'a new refresh token');
  if (refreshed.id_token) {
    // openid-client checked iss, aud, sub against the first ID token.
    assert.equal(refreshed.claims().sub, basicClaims.sub, 'refreshed ID token, same sub');
  }
  const info = await client.fetchUserInfo(basic, refreshed.access_token, basicClaims.sub);
  assert.equal(info.family_name, identity.family_name, 'userinfo with the refreshed access token');
  const rotated = await introspect(basic, basicTokens.refresh_token);
  assert.equal(rotated.active, false, 'the rotated refresh token is inactive');
  basicTokens = refreshed;
});

await flow('introspection and revocation', async () => {
  const active = await introspect(basic, basicTokens.access_token);
  assert.equal(active.active, true, `access token active: ${JSON.stringify(active)}`);
  assert.equal(active.client_id, basic.clientMetadata().client_id, 'introspection client_id');
  assert.ok(active.exp > Date.now() / 1000, 'introspection exp');
  const refresh = await introspect(basic, basicTokens.refresh_token);
  assert.equal(refresh.active, true, `refresh token active: ${JSON.stringify(refresh)}`);

  await client.tokenRevocation(basic, basicTokens.access_token);
  const inactive = await introspect(basic, basicTokens.access_token);
  assert.deepEqual(inactive, { active: false }, 'revoked access token inactive, and nothing else said');
  const err = await rejects(() => client.fetchUserInfo(basic, basicTokens.access_token, basicClaims.sub),
    'userinfo with a revoked access token');
  assert.ok(err instanceof client.WWWAuthenticateChallengeError || err.status === 401,
    `userinfo refused with 401: ${describe(err)}`);

  await client.tokenRevocation(basic, basicTokens.refresh_token);
  assert.equal((await introspect(basic, basicTokens.refresh_token)).active, false, 'revoked refresh token inactive');
  await expectError(() => client.refreshTokenGrant(basic, basicTokens.refresh_token), 'invalid_grant',
    'refresh with a revoked refresh token');
  // Revoking an unknown token is not an error (RFC 7009 §2.2).
  await client.tokenRevocation(basic, 'not-a-token-procura-issued');
});

await flow('client_secret_post, UserInfo signed JWT (ES256)', async () => {
  let userinfoType;
  const userinfoEndpoint = basic.serverMetadata().userinfo_endpoint;
  const spy = async (url, init) => {
    const res = await fetch(url, init);
    if (url === userinfoEndpoint) {
      userinfoType = res.headers.get('content-type');
    }
    return res;
  };
  post = await configure(env('POST_CLIENT_ID'),
    { token_endpoint_auth_method: 'client_secret_post', userinfo_signed_response_alg: 'ES256' },
    client.ClientSecretPost(env('POST_CLIENT_SECRET')), spy);
  // The procedure asked for by scope this time.
  const { callback, checks } = await authorize(post, 'AUTHORIZE',
    { scope: 'openid profile email birth procedure:social' });
  postTokens = await client.authorizationCodeGrant(post, callback, checks);
  const claims = postTokens.claims();
  checkIDToken(claims, post.clientMetadata().client_id);
  assert.notEqual(claims.sub, basicClaims.sub, 'pairwise: another service sees another sub for the usager');
  assert.notEqual(claims.act.sub, basicClaims.act.sub, 'pairwise: and another sub for the aidant');
  const info = await client.fetchUserInfo(post, postTokens.access_token, claims.sub);
  assert.match(userinfoType ?? '', /^application\/jwt/, 'UserInfo answered as a JWT');
  checkIdentity(info);
  postCallback = callback;
  postChecks = checks;
});

await flow('authorization code reuse', async () => {
  // The same callback again: the code is spent.
  await expectError(() => client.authorizationCodeGrant(post, postCallback, postChecks), 'invalid_grant',
    'second use of an authorization code');
  // …and the tokens of its first use are revoked (RFC 6749 §4.1.2).
  const after = await introspect(post, postTokens.access_token);
  assert.equal(after.active, false, 'the first access token is revoked after the code was replayed');
  const refresh = await introspect(post, postTokens.refresh_token);
  assert.equal(refresh.active, false, 'the first refresh token is revoked after the code was replayed');
});

await flow('PKCE verifier checked', async () => {
  const { callback, checks } = await authorize(basic, 'AUTHORIZE', {});
  await expectError(() => client.authorizationCodeGrant(basic, callback,
    { ...checks, pkceCodeVerifier: client.randomPKCECodeVerifier() }), 'invalid_grant', 'code with the wrong PKCE verifier');
});

await flow('aidant cancels: access_denied', async () => {
  const { callback, checks } = await authorize(basic, 'CANCEL', {});
  const err = await rejects(() => client.authorizationCodeGrant(basic, callback, checks), 'cancelled authorization');
  assert.ok(err instanceof client.AuthorizationResponseError, `AuthorizationResponseError: ${describe(err)}`);
  assert.equal(err.error, 'access_denied', 'error access_denied');
  assert.equal(callback.searchParams.get('state'), checks.expectedState, 'state echoed with the error');
});

await flow('private_key_jwt', async () => {
  const alg = process.env.PRIVATE_KEY_JWT_ALG || 'RS256';
  const { privateKey, publicKey } = await jose.generateKeyPair(alg, { extractable: true });
  const kid = `e2e-${Date.now()}`;
  const jwk = { ...(await jose.exportJWK(publicKey)), kid, alg, use: 'sig' };
  const path = env('JWKS_FILE');
  await writeFile(path, JSON.stringify({ keys: [jwk] }));
  const clientID = await ask('JWKS', path);
  pkjwt = await configure(clientID, { token_endpoint_auth_method: 'private_key_jwt' },
    client.PrivateKeyJwt({ key: privateKey, kid }));
  const { callback, checks } = await authorize(pkjwt, 'AUTHORIZE', {});
  pkjwtTokens = await client.authorizationCodeGrant(pkjwt, callback, checks);
  checkIDToken(pkjwtTokens.claims(), clientID);
  assert.equal((await introspect(pkjwt, pkjwtTokens.access_token)).active, true, 'introspection with private_key_jwt');

  // A replayed assertion (same jti) is refused (RFC 7523 §3).
  const jti = `replay-${Date.now()}`;
  const replaying = await configure(clientID, { token_endpoint_auth_method: 'private_key_jwt' },
    client.PrivateKeyJwt({ key: privateKey, kid }, { [client.modifyAssertion]: (_h, payload) => { payload.jti = jti; } }));
  const refreshed = await client.refreshTokenGrant(replaying, pkjwtTokens.refresh_token);
  if (refreshed.id_token) assert.equal(refreshed.claims().sub, pkjwtTokens.claims().sub, 'refresh with private_key_jwt');
  const replayed = await expectError(() => client.refreshTokenGrant(replaying, refreshed.refresh_token), 'invalid_client',
    'replayed client assertion');
  assert.match(replayed.error_description ?? '', /jti/, 'refused because its jti was used');
  // A key the client did not register is refused.
  const other = await jose.generateKeyPair(alg, { extractable: true });
  const stranger = await configure(clientID, { token_endpoint_auth_method: 'private_key_jwt' },
    client.PrivateKeyJwt({ key: other.privateKey, kid }));
  await expectError(() => client.refreshTokenGrant(stranger, refreshed.refresh_token), 'invalid_client',
    'assertion signed by an unregistered key');
});

await flow('RP-initiated logout', async () => {
  const state = client.randomState();
  const url = client.buildEndSessionUrl(pkjwt, {
    id_token_hint: pkjwtTokens.id_token,
    post_logout_redirect_uri: postLogoutURI,
    state,
  });
  const back = new URL(await ask('LOGOUT', url.href));
  assert.equal(back.origin + back.pathname, postLogoutURI, 'sent back to the registered post-logout URI');
  assert.equal(back.searchParams.get('state'), state, 'state echoed');
});

process.stdout.write('DONE\n');
process.exit(0);
