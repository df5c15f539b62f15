//! Cloudflare Access stand-ins for the tests: RSA keys as a team has them,
//! their JWKS document, and tokens signed as Access signs them (RS256) or
//! forged in the ways an attacker would (`alg: none`, HS256 keyed with the
//! public key, another key's signature, a payload changed after signing).
//! Shared by the native application tests and the end-to-end tests.
#![allow(dead_code)]

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use rsa::pkcs1v15::{Signature, SigningKey, VerifyingKey};
use rsa::signature::{SignatureEncoding, Signer, Verifier};
use rsa::traits::PublicKeyParts;
use rsa::{BigUint, RsaPrivateKey, RsaPublicKey};
use serde_json::{json, Value};
use sha2::Sha256;
use std::sync::OnceLock;

pub fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// One of a team's signing keys.
pub struct TestKey {
    pub kid: String,
    key: RsaPrivateKey,
}

impl TestKey {
    pub fn generate(kid: &str) -> TestKey {
        let key = RsaPrivateKey::new(&mut rand::thread_rng(), 2048).expect("an RSA key");
        TestKey { kid: kid.to_owned(), key }
    }

    /// The public key as a JWKS lists it.
    pub fn jwk(&self) -> Value {
        let public = self.key.to_public_key();
        json!({"kid": self.kid, "kty": "RSA", "alg": "RS256", "use": "sig",
               "n": b64(&public.n().to_bytes_be()), "e": b64(&public.e().to_bytes_be())})
    }

    /// A token with this header and these claims, signed with this key.
    pub fn sign(&self, header: &Value, claims: &Value) -> String {
        let signed = format!("{}.{}", b64(header.to_string().as_bytes()), b64(claims.to_string().as_bytes()));
        let signature = SigningKey::<Sha256>::new(self.key.clone()).sign(signed.as_bytes());
        format!("{signed}.{}", b64(&signature.to_bytes()))
    }

    /// A token as Access makes it: RS256, naming this key.
    pub fn token(&self, claims: &Value) -> String {
        self.sign(&json!({"alg": "RS256", "kid": self.kid, "typ": "JWT"}), claims)
    }

    /// Signed by this key, but naming another key id.
    pub fn token_as(&self, kid: &str, claims: &Value) -> String {
        self.sign(&json!({"alg": "RS256", "kid": kid, "typ": "JWT"}), claims)
    }

    /// HS256 with this public key's JWK text as the HMAC secret: the
    /// classic confusion of libraries that let the token pick the algorithm.
    pub fn hs256_with_public_key(&self, claims: &Value) -> String {
        let header = json!({"alg": "HS256", "kid": self.kid, "typ": "JWT"});
        let signed = format!("{}.{}", b64(header.to_string().as_bytes()), b64(claims.to_string().as_bytes()));
        let mut mac = Hmac::<Sha256>::new_from_slice(self.jwk().to_string().as_bytes()).expect("any key length");
        mac.update(signed.as_bytes());
        format!("{signed}.{}", b64(&mac.finalize().into_bytes()))
    }
}

/// The same claims with the payload swapped after signing.
pub fn tampered(token: &str, claims: &Value) -> String {
    let parts: Vec<&str> = token.split('.').collect();
    format!("{}.{}.{}", parts[0], b64(claims.to_string().as_bytes()), parts[2])
}

/// `alg: none` with no signature.
pub fn unsigned(kid: &str, claims: &Value) -> String {
    let header = json!({"alg": "none", "kid": kid, "typ": "JWT"});
    format!("{}.{}.", b64(header.to_string().as_bytes()), b64(claims.to_string().as_bytes()))
}

/// A JWKS document listing these keys.
pub fn jwks(keys: &[&TestKey]) -> String {
    let keys: Vec<Value> = keys.iter().map(|k| k.jwk()).collect();
    json!({ "keys": keys }).to_string()
}

/// Access's claims for `email`, valid from `now` (Unix seconds) for ten minutes.
pub fn claims(team: &str, aud: &str, email: &str, now: i64) -> Value {
    json!({"aud": [aud], "email": email, "exp": now + 600, "iat": now, "nbf": now,
           "iss": format!("https://{team}"), "type": "app", "identity_nonce": "n", "sub": "s", "country": "LV"})
}

/// RS256 verification of a signature by a published key (`n`, `e`
/// base64url): what the native test platform stands in for WebCrypto with.
pub fn verify(n: &str, e: &str, message: &[u8], signature: &[u8]) -> bool {
    let (Ok(n), Ok(e)) = (URL_SAFE_NO_PAD.decode(n), URL_SAFE_NO_PAD.decode(e)) else { return false };
    let Ok(public) = RsaPublicKey::new(BigUint::from_bytes_be(&n), BigUint::from_bytes_be(&e)) else { return false };
    let Ok(signature) = Signature::try_from(signature) else { return false };
    VerifyingKey::<Sha256>::new(public).verify(message, &signature).is_ok()
}

/// Three keys, made once per test binary (making one takes a while): the
/// team's, a rotated-in one, and a stranger's.
pub fn keys() -> &'static [TestKey; 3] {
    static KEYS: OnceLock<[TestKey; 3]> = OnceLock::new();
    KEYS.get_or_init(|| {
        [TestKey::generate("team-key-1"), TestKey::generate("team-key-2"), TestKey::generate("stranger")]
    })
}
