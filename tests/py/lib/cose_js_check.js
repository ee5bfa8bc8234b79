/* The independent check of a CCA attestation token with code we did not
 * write: npm's cose-js verifies both ES384 COSE_Sign1 signatures and npm's
 * cbor decodes the collection and the claims. Used by
 * tests/py/test_attest_npm.py, which installs both packages.
 *
 *   node cose_js_check.js NODE_MODULES TOKEN PLATFORM_PEM
 *
 * Prints one JSON object with both tokens' claims (byte strings as hex) and
 * exits 0, or prints the reason on stderr and exits 1. */
'use strict';

const path = require('path');
const fs = require('fs');
const crypto = require('crypto');

const [modules, tokenFile, pemFile] = process.argv.slice(2);
const cose = require(path.join(modules, 'cose-js'));
const cbor = require(path.join(modules, 'cbor'));

function fail (why) {
  process.stderr.write('cose-js check: ' + why + '\n');
  process.exit(1);
}

/* Buffers as hex, Maps as objects keyed by their (integer) keys. */
function plain (v) {
  if (Buffer.isBuffer(v)) return v.toString('hex');
  if (v instanceof Map) {
    const o = {};
    for (const [k, x] of v) o[String(k)] = plain(x);
    return o;
  }
  if (Array.isArray(v)) return v.map(plain);
  if (typeof v === 'bigint') return Number(v);
  return v;
}

/* Verify a tagged COSE_Sign1 with cose-js and return its decoded claims. */
function sign1 (raw, x, y, what) {
  const msg = cbor.decodeFirstSync(raw);
  if (!(msg instanceof cbor.Tagged) || msg.tag !== 18) fail(what + ': not a tagged COSE_Sign1');
  const prot = cbor.decodeFirstSync(msg.value[0]);
  if (!(prot instanceof Map) || prot.size !== 1 || prot.get(1) !== -35) {
    fail(what + ': protected header is not {alg: ES384}');
  }
  let payload;
  try {
    payload = cose.sign.verifySync(raw, { key: { x, y } });
  } catch (e) {
    fail(what + ': ' + e.message);
  }
  return cbor.decodeFirstSync(payload);
}

const token = fs.readFileSync(tokenFile);
const jwk = crypto.createPublicKey(fs.readFileSync(pemFile)).export({ format: 'jwk' });
if (jwk.crv !== 'P-384') fail('platform key is not P-384');

const coll = cbor.decodeFirstSync(token);
if (!(coll instanceof cbor.Tagged) || coll.tag !== 399) fail('not a tag-399 collection');
const keys = [...coll.value.keys()].sort();
if (keys.join(',') !== '44234,44241') fail('collection keys ' + keys.join(','));

const platform = sign1(coll.value.get(44234), Buffer.from(jwk.x, 'base64url'),
  Buffer.from(jwk.y, 'base64url'), 'platform token');
/* The realm token is signed by the RAK its own (still unverified) claims carry:
 * decode it first to find the key, then verify with it. */
const realmRaw = coll.value.get(44241);
const unverified = cbor.decodeFirstSync(cbor.decodeFirstSync(realmRaw).value[2]);
const rakBytes = unverified.get(44237);
const rak = cbor.decodeFirstSync(rakBytes);
if (rak.get(1) !== 2 || rak.get(-1) !== 2) fail('RAK is not an EC2 P-384 COSE_Key');
const realm = sign1(realmRaw, rak.get(-2), rak.get(-3), 'realm token');
const binding = crypto.createHash('sha256').update(rakBytes).digest();
if (!binding.equals(platform.get(10))) fail('platform challenge is not SHA-256 of the RAK');

process.stdout.write(JSON.stringify({ platform: plain(platform), realm: plain(realm) }) + '\n');
