//! Digest authentication (RFC 2617, RFC 7616 for SHA-256, RFC 3261 §22), both sides.
//!
//! Client side: [`authorize`] answers a 401/407 challenge ([`Challenge::parse`]) with an
//! [`Authorization`] header value; the cnonce comes from the caller (seeded RNG).
//! Server side: [`NonceIssuer`] makes nonces from injected randomness plus a timestamp
//! (relative to an epoch `Instant` the owner gives) and checks their age; [`verify`]
//! checks a response against a stored HA1, so plaintext passwords are never needed.
//!
//! What it is not: no credential storage (see `registrar::CredentialStore`), no clock.

use md5::{Digest as _, Md5};
use sha2::Sha256;
use std::fmt::Write as _;
use std::time::{Duration, Instant};

/// Errors parsing digest headers.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// The scheme is not `Digest`.
    #[error("not a Digest header")]
    NotDigest,
    /// A required parameter is missing.
    #[error("missing digest parameter {0}")]
    Missing(&'static str),
    /// The algorithm is not MD5 or SHA-256.
    #[error("unsupported digest algorithm {0}")]
    Algorithm(String),
    /// The challenge offers qop values but not `auth`.
    #[error("unsupported qop")]
    Qop,
}

/// Digest hash algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// MD5 (RFC 2617), the default when the parameter is absent.
    Md5,
    /// SHA-256 (RFC 7616).
    Sha256,
}

impl Algorithm {
    /// The token used in headers.
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::Md5 => "MD5",
            Algorithm::Sha256 => "SHA-256",
        }
    }

    fn parse(s: &str) -> Result<Algorithm, AuthError> {
        if s.eq_ignore_ascii_case("MD5") {
            Ok(Algorithm::Md5)
        } else if s.eq_ignore_ascii_case("SHA-256") {
            Ok(Algorithm::Sha256)
        } else {
            Err(AuthError::Algorithm(s.chars().take(32).collect()))
        }
    }

    /// Lowercase hex of the hash of `data`.
    pub fn hash_hex(self, data: &str) -> String {
        match self {
            Algorithm::Md5 => hex(&Md5::digest(data.as_bytes())),
            Algorithm::Sha256 => hex(&Sha256::digest(data.as_bytes())),
        }
    }
}

fn hex(b: &[u8]) -> String {
    let mut s = String::with_capacity(b.len() * 2);
    for x in b {
        let _ = write!(s, "{x:02x}");
    }
    s
}

/// Parse `Digest a=b, c="d"` into pairs (quotes removed).
fn parse_pairs(value: &str) -> Result<Vec<(String, String)>, AuthError> {
    let v = value.trim_start();
    let rest = match v.get(..6) {
        Some(s) if s.eq_ignore_ascii_case("digest") => &v[6..],
        _ => return Err(AuthError::NotDigest),
    };
    let mut out = Vec::new();
    let b = rest.as_bytes();
    let mut i = 0;
    while i < b.len() {
        while i < b.len() && (b[i] == b',' || b[i].is_ascii_whitespace()) {
            i += 1;
        }
        let ns = i;
        while i < b.len() && b[i] != b'=' && b[i] != b',' {
            i += 1;
        }
        let name = rest[ns..i].trim().to_ascii_lowercase();
        if i >= b.len() || b[i] == b',' {
            if !name.is_empty() {
                out.push((name, String::new()));
            }
            continue;
        }
        i += 1; // '='
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        let value = if i < b.len() && b[i] == b'"' {
            i += 1;
            let mut val = String::new();
            while i < b.len() && b[i] != b'"' {
                if b[i] == b'\\' && i + 1 < b.len() {
                    i += 1;
                }
                // push whole UTF-8 chars
                let ch_len = rest[i..].chars().next().map_or(1, char::len_utf8);
                val.push_str(&rest[i..i + ch_len]);
                i += ch_len;
            }
            i += 1;
            val
        } else {
            let vs = i;
            while i < b.len() && b[i] != b',' {
                i += 1;
            }
            rest[vs..i].trim().to_string()
        };
        out.push((name, value));
    }
    Ok(out)
}

fn get<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// A parsed `WWW-Authenticate` / `Proxy-Authenticate` digest challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    /// realm
    pub realm: String,
    /// nonce
    pub nonce: String,
    /// opaque, echoed back
    pub opaque: Option<String>,
    /// algorithm
    pub algorithm: Algorithm,
    /// true when the challenge offers `qop=auth`
    pub qop_auth: bool,
    /// stale=true: the old nonce expired, credentials were right
    pub stale: bool,
}

impl Challenge {
    /// Parse a challenge header value.
    pub fn parse(value: &str) -> Result<Challenge, AuthError> {
        let p = parse_pairs(value)?;
        let algorithm = match get(&p, "algorithm") {
            Some(a) => Algorithm::parse(a)?,
            None => Algorithm::Md5,
        };
        let qop_auth = match get(&p, "qop") {
            Some(q) => {
                if q.split(',').any(|x| x.trim().eq_ignore_ascii_case("auth")) {
                    true
                } else {
                    return Err(AuthError::Qop);
                }
            }
            None => false,
        };
        Ok(Challenge {
            realm: get(&p, "realm")
                .ok_or(AuthError::Missing("realm"))?
                .to_string(),
            nonce: get(&p, "nonce")
                .ok_or(AuthError::Missing("nonce"))?
                .to_string(),
            opaque: get(&p, "opaque").map(str::to_string),
            algorithm,
            qop_auth,
            stale: get(&p, "stale").is_some_and(|s| s.eq_ignore_ascii_case("true")),
        })
    }

    /// Render as a header value.
    pub fn to_header_value(&self) -> String {
        let mut s = format!(
            "Digest realm=\"{}\", nonce=\"{}\", algorithm={}",
            self.realm,
            self.nonce,
            self.algorithm.as_str()
        );
        if self.qop_auth {
            s.push_str(", qop=\"auth\"");
        }
        if let Some(o) = &self.opaque {
            let _ = write!(s, ", opaque=\"{o}\"");
        }
        if self.stale {
            s.push_str(", stale=TRUE");
        }
        s
    }
}

/// Username and password for client-side digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    /// Username.
    pub username: String,
    /// Password (client side only; servers store HA1).
    pub password: String,
}

/// A parsed or computed `Authorization` / `Proxy-Authorization` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization {
    /// username
    pub username: String,
    /// realm
    pub realm: String,
    /// nonce
    pub nonce: String,
    /// digest-uri
    pub uri: String,
    /// response (hex)
    pub response: String,
    /// algorithm
    pub algorithm: Algorithm,
    /// cnonce (with qop)
    pub cnonce: Option<String>,
    /// nonce count (with qop)
    pub nc: Option<u32>,
    /// true when qop=auth was used
    pub qop_auth: bool,
    /// opaque echoed from the challenge
    pub opaque: Option<String>,
}

impl Authorization {
    /// Parse a header value.
    pub fn parse(value: &str) -> Result<Authorization, AuthError> {
        let p = parse_pairs(value)?;
        let algorithm = match get(&p, "algorithm") {
            Some(a) => Algorithm::parse(a)?,
            None => Algorithm::Md5,
        };
        let qop_auth = match get(&p, "qop") {
            Some(q) if q.eq_ignore_ascii_case("auth") => true,
            Some(_) => return Err(AuthError::Qop),
            None => false,
        };
        Ok(Authorization {
            username: get(&p, "username")
                .ok_or(AuthError::Missing("username"))?
                .to_string(),
            realm: get(&p, "realm")
                .ok_or(AuthError::Missing("realm"))?
                .to_string(),
            nonce: get(&p, "nonce")
                .ok_or(AuthError::Missing("nonce"))?
                .to_string(),
            uri: get(&p, "uri").ok_or(AuthError::Missing("uri"))?.to_string(),
            response: get(&p, "response")
                .ok_or(AuthError::Missing("response"))?
                .to_ascii_lowercase(),
            algorithm,
            cnonce: get(&p, "cnonce").map(str::to_string),
            nc: get(&p, "nc").and_then(|n| u32::from_str_radix(n, 16).ok()),
            qop_auth,
            opaque: get(&p, "opaque").map(str::to_string),
        })
    }

    /// Render as a header value.
    pub fn to_header_value(&self) -> String {
        let mut s = format!(
            "Digest username=\"{}\", realm=\"{}\", nonce=\"{}\", uri=\"{}\", response=\"{}\", algorithm={}",
            self.username,
            self.realm,
            self.nonce,
            self.uri,
            self.response,
            self.algorithm.as_str()
        );
        if self.qop_auth {
            let _ = write!(
                s,
                ", qop=auth, cnonce=\"{}\", nc={:08x}",
                self.cnonce.as_deref().unwrap_or(""),
                self.nc.unwrap_or(1)
            );
        }
        if let Some(o) = &self.opaque {
            let _ = write!(s, ", opaque=\"{o}\"");
        }
        s
    }
}

/// HA1 = H(username:realm:password): what a server stores instead of the password.
pub fn ha1(algorithm: Algorithm, username: &str, realm: &str, password: &str) -> String {
    algorithm.hash_hex(&format!("{username}:{realm}:{password}"))
}

fn response_from_ha1(
    algorithm: Algorithm,
    ha1: &str,
    nonce: &str,
    method: &str,
    uri: &str,
    qop: Option<(&str, u32)>,
) -> String {
    let ha2 = algorithm.hash_hex(&format!("{method}:{uri}"));
    match qop {
        Some((cnonce, nc)) => {
            algorithm.hash_hex(&format!("{ha1}:{nonce}:{nc:08x}:{cnonce}:auth:{ha2}"))
        }
        None => algorithm.hash_hex(&format!("{ha1}:{nonce}:{ha2}")),
    }
}

/// Client side: answer a challenge for `method uri`, with a cnonce the caller drew from its
/// seeded RNG and nonce count `nc` (1 for the first use of a nonce).
pub fn authorize(
    challenge: &Challenge,
    credentials: &Credentials,
    method: &str,
    uri: &str,
    cnonce: &str,
    nc: u32,
) -> Authorization {
    let h1 = ha1(
        challenge.algorithm,
        &credentials.username,
        &challenge.realm,
        &credentials.password,
    );
    let qop = challenge.qop_auth.then_some((cnonce, nc));
    Authorization {
        username: credentials.username.clone(),
        realm: challenge.realm.clone(),
        nonce: challenge.nonce.clone(),
        uri: uri.to_string(),
        response: response_from_ha1(challenge.algorithm, &h1, &challenge.nonce, method, uri, qop),
        algorithm: challenge.algorithm,
        cnonce: challenge.qop_auth.then(|| cnonce.to_string()),
        nc: challenge.qop_auth.then_some(nc),
        qop_auth: challenge.qop_auth,
        opaque: challenge.opaque.clone(),
    }
}

/// Server side: does `auth` prove knowledge of the password behind `ha1` for `method`?
pub fn verify(auth: &Authorization, method: &str, ha1: &str) -> bool {
    let qop = if auth.qop_auth {
        match (&auth.cnonce, auth.nc) {
            (Some(c), Some(nc)) => Some((c.as_str(), nc)),
            _ => return false,
        }
    } else {
        None
    };
    let expected = response_from_ha1(auth.algorithm, ha1, &auth.nonce, method, &auth.uri, qop);
    constant_time_eq(expected.as_bytes(), auth.response.as_bytes())
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// What [`NonceIssuer::check`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NonceState {
    /// Issued by us and still fresh.
    Fresh,
    /// Issued by us but older than the validity: answer with `stale=true`.
    Stale,
    /// Not ours (forged or from another run).
    Invalid,
}

/// Issues and checks server nonces: `hex(ms since epoch) . hex(random) . hex(mac)`, where the
/// mac is a SHA-256 over a secret, so nonces need no table.
#[derive(Debug, Clone)]
pub struct NonceIssuer {
    secret: u64,
    epoch: Instant,
    validity: Duration,
}

impl NonceIssuer {
    /// `secret` from the owner's seeded RNG; `epoch` any fixed instant (e.g. start time).
    pub fn new(secret: u64, epoch: Instant, validity: Duration) -> NonceIssuer {
        NonceIssuer {
            secret,
            epoch,
            validity,
        }
    }

    fn mac(&self, ts: u64, rnd: u64) -> String {
        let h = Sha256::digest(format!("{}:{ts}:{rnd}", self.secret).as_bytes());
        hex(h.get(..8).unwrap_or(&[]))
    }

    /// A fresh nonce; `random` from the owner's RNG.
    pub fn nonce(&self, now: Instant, random: u64) -> String {
        let ts = now.saturating_duration_since(self.epoch).as_millis() as u64;
        format!("{ts:x}.{random:x}.{}", self.mac(ts, random))
    }

    /// A challenge for `realm` with a fresh nonce.
    pub fn challenge(
        &self,
        now: Instant,
        realm: &str,
        algorithm: Algorithm,
        random: u64,
        stale: bool,
    ) -> Challenge {
        Challenge {
            realm: realm.to_string(),
            nonce: self.nonce(now, random),
            opaque: None,
            algorithm,
            qop_auth: true,
            stale,
        }
    }

    /// Check a nonce we may have issued.
    pub fn check(&self, now: Instant, nonce: &str) -> NonceState {
        let mut it = nonce.split('.');
        let (Some(ts), Some(rnd), Some(mac), None) = (it.next(), it.next(), it.next(), it.next())
        else {
            return NonceState::Invalid;
        };
        let (Ok(ts), Ok(rnd)) = (u64::from_str_radix(ts, 16), u64::from_str_radix(rnd, 16)) else {
            return NonceState::Invalid;
        };
        if !constant_time_eq(self.mac(ts, rnd).as_bytes(), mac.as_bytes()) {
            return NonceState::Invalid;
        }
        let age_ms = (now.saturating_duration_since(self.epoch).as_millis() as u64).checked_sub(ts);
        match age_ms {
            Some(age) if Duration::from_millis(age) <= self.validity => NonceState::Fresh,
            Some(_) => NonceState::Stale,
            None => NonceState::Invalid,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 2617 §3.5 example (qop=auth, MD5).
    #[test]
    fn rfc2617_vector() {
        let ch = Challenge::parse(
            r#"Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41""#,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let creds = Credentials {
            username: "Mufasa".into(),
            password: "Circle Of Life".into(),
        };
        let a = authorize(&ch, &creds, "GET", "/dir/index.html", "0a4f113b", 1);
        assert_eq!(a.response, "6629fae49393a05397450978507c4ef1");
        let parsed = Authorization::parse(&a.to_header_value()).unwrap_or_else(|e| panic!("{e}"));
        assert!(verify(
            &parsed,
            "GET",
            &ha1(
                Algorithm::Md5,
                "Mufasa",
                "testrealm@host.com",
                "Circle Of Life"
            )
        ));
        assert!(!verify(
            &parsed,
            "POST",
            &ha1(
                Algorithm::Md5,
                "Mufasa",
                "testrealm@host.com",
                "Circle Of Life"
            )
        ));
    }

    /// RFC 7616 §3.9.1 example (SHA-256).
    #[test]
    fn rfc7616_sha256_vector() {
        let ch = Challenge::parse(
            r#"Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=SHA-256, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS""#,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let creds = Credentials {
            username: "Mufasa".into(),
            password: "Circle of Life".into(),
        };
        let a = authorize(
            &ch,
            &creds,
            "GET",
            "/dir/index.html",
            "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
            1,
        );
        assert_eq!(
            a.response,
            "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"
        );
    }

    #[test]
    fn nonce_fresh_stale_invalid() {
        let t0 = crate::test_epoch();
        let n = NonceIssuer::new(42, t0, Duration::from_secs(30));
        let nonce = n.nonce(t0 + Duration::from_secs(1), 7);
        assert_eq!(
            n.check(t0 + Duration::from_secs(2), &nonce),
            NonceState::Fresh
        );
        assert_eq!(
            n.check(t0 + Duration::from_secs(60), &nonce),
            NonceState::Stale
        );
        assert_eq!(n.check(t0, "1.2.3"), NonceState::Invalid);
        let other = NonceIssuer::new(43, t0, Duration::from_secs(30));
        assert_eq!(
            other.check(t0 + Duration::from_secs(2), &nonce),
            NonceState::Invalid
        );
    }
}
