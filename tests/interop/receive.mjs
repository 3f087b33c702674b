// An OpenID4VCI 1.0 wallet written by others (the oid4vc-ts library) receives a permit from a
// node, so the node's issuance is checked against an implementation that shares no code with
// ours: resolve the offer, read the issuer metadata, trade the pre-authorised code and the
// transaction code for an access token, ask for a nonce, sign the proof of possession with the
// holder key, fetch the credential.
//
//   node receive.mjs OFFER_URI TX_CODE HOLDER_KID < holder-private-jwk.json
//
// Prints the credential response (JSON) on stdout; a refusal exits 1 with the library's error.
import { createHash, createPrivateKey, randomBytes, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { clientAuthenticationAnonymous, setGlobalConfig } from '@openid4vc/oauth2';
import { Openid4vciClient } from '@openid4vc/openid4vci';

const [offerUri, txCode, kid] = process.argv.slice(2);
if (!offerUri || !txCode || !kid) {
  console.error('usage: node receive.mjs OFFER_URI TX_CODE HOLDER_KID < holder-private-jwk.json');
  process.exit(2);
}
const privateJwk = JSON.parse(readFileSync(0, 'utf8'));
const { d: _secret, ...publicJwk } = privateJwk;
const key = createPrivateKey({ key: privateJwk, format: 'jwk' });
const b64url = (bytes) => Buffer.from(bytes).toString('base64url');

// The test node speaks plain HTTP on 127.0.0.1.
setGlobalConfig({ allowInsecureUrls: true });

const client = new Openid4vciClient({
  callbacks: {
    fetch,
    hash: (data, alg) => createHash(alg.replace('-', '')).update(data).digest(),
    generateRandom: (n) => randomBytes(n),
    clientAuthentication: clientAuthenticationAnonymous(),
    signJwt: (_signer, { header, payload }) => {
      const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
      return { jwt: `${input}.${b64url(sign(null, Buffer.from(input), key))}`, signerJwk: publicJwk };
    },
  },
});

try {
  const credentialOffer = await client.resolveCredentialOffer(offerUri);
  const issuerMetadata = await client.resolveIssuerMetadata(credentialOffer.credential_issuer);
  const { accessTokenResponse } = await client.retrievePreAuthorizedCodeAccessTokenFromOffer({
    credentialOffer,
    issuerMetadata,
    txCode,
  });
  const credentialConfigurationId = credentialOffer.credential_configuration_ids[0];
  const { c_nonce: nonce } = await client.requestNonce({ issuerMetadata });
  const { jwt } = await client.createCredentialRequestJwtProof({
    issuerMetadata,
    credentialConfigurationId,
    nonce,
    signer: { method: 'did', didUrl: kid, alg: 'EdDSA' },
  });
  const { credentialResponse } = await client.retrieveCredentials({
    issuerMetadata,
    accessToken: accessTokenResponse.access_token,
    credentialConfigurationId,
    proofs: { jwt: [jwt] },
  });
  console.log(JSON.stringify({ credentialConfigurationId, credentialResponse }));
} catch (error) {
  const detail = error.errorResponse ?? error.responseText ?? '';
  console.error(`${error.name}: ${error.message}`, detail ? JSON.stringify(detail) : '');
  process.exit(1);
}
