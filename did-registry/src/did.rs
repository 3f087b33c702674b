//! `did:web` and `did:key` identifiers, and the DID documents the registry produces.
//!
//! Authorities (the Secretariat, MAs, SAs, customs) are `did:web`; inside the network they are
//! resolved from the registry, never over HTTPS, but the identifier still maps to the HTTPS URL of
//! its `did.json` so outside tools can fetch the copy the node serves. Holders are `did:key`
//! (Ed25519 only) and resolve locally.
//!
//! DIDs are compared as strings everywhere (registry keys, entry authors, credential issuers), so
//! parsing accepts exactly one spelling of each DID:
//! - host: lower-case letters, digits, `-` and `.` (DNS labels of 1 to 63 characters, not
//!   starting or ending with `-`); hosts are case-insensitive, so upper case is refused rather
//!   than folded;
//! - port: only as `%3A` followed by a decimal port without leading zeros (1 to 65535);
//! - path: `:`-separated segments of letters, digits, `.`, `-`, `_` (no percent-encoding, not `.`
//!   or `..`).

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::keys::{Ed25519PublicKey, KeyError, X25519PublicKey};

/// The JSON-LD contexts of every document this crate produces.
pub const DID_CONTEXTS: [&str; 2] = [
    "https://www.w3.org/ns/did/v1",
    "https://w3id.org/security/multikey/v1",
];

/// Why an identifier or a field was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DidError {
    /// Not a DID of a method this crate handles.
    #[error("{0:?} is not a did:web or did:key DID")]
    UnsupportedMethod(String),
    /// A malformed `did:web`.
    #[error("{did:?} is not a well-formed did:web: {why}")]
    BadWeb {
        /// The value given.
        did: String,
        /// What is wrong.
        why: &'static str,
    },
    /// A malformed `did:key`.
    #[error("{did:?} is not an Ed25519 did:key: {source}")]
    BadKey {
        /// The value given.
        did: String,
        /// The key problem.
        source: KeyError,
    },
    /// A malformed DID URL (`did#fragment`).
    #[error("{0:?} is not a DID URL of the form did:web:...#fragment")]
    BadDidUrl(String),
    /// A fragment (key or service id) outside the allowed alphabet.
    #[error("{0:?} is not a valid id fragment (1 to 128 of A-Z a-z 0-9 . - _)")]
    BadFragment(String),
    /// An opaque token that is empty, too long or contains spaces or control characters.
    #[error("{0:?} is not a valid token (1 to 2048 printable characters without spaces)")]
    BadToken(String),
    /// Free text that is empty, too long or contains control characters.
    #[error("text must be 1 to 1024 characters without control, line-separator or bidi characters")]
    BadText,
}

/// A `did:web` identifier.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DidWeb {
    host: String,
    port: Option<u16>,
    path: Vec<String>,
}

fn valid_host(host: &str) -> bool {
    host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        })
}

fn valid_segment(segment: &str) -> bool {
    !segment.is_empty()
        && segment != "."
        && segment != ".."
        && segment
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
}

impl DidWeb {
    /// From its parts; the same rules as parsing.
    pub fn new(host: &str, port: Option<u16>, path: &[&str]) -> Result<DidWeb, DidError> {
        let did = DidWeb {
            host: host.to_owned(),
            port,
            path: path.iter().map(|s| (*s).to_owned()).collect(),
        };
        let text = did.to_string();
        if !valid_host(host) {
            return Err(DidError::BadWeb {
                did: text,
                why: "the host must be lower-case DNS labels",
            });
        }
        if port == Some(0) {
            return Err(DidError::BadWeb {
                did: text,
                why: "port 0 is not a port",
            });
        }
        if !did.path.iter().all(|s| valid_segment(s)) {
            return Err(DidError::BadWeb {
                did: text,
                why: "path segments are letters, digits, '.', '-' or '_'",
            });
        }
        Ok(did)
    }

    /// The host name.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The port, if not the HTTPS default.
    pub fn port(&self) -> Option<u16> {
        self.port
    }

    /// The path segments.
    pub fn path(&self) -> &[String] {
        &self.path
    }

    /// Where outside tools fetch the document (did:web spec, "Read (Resolve)"): the host's
    /// `/.well-known/did.json`, or `<path>/did.json` when the DID has a path.
    pub fn document_url(&self) -> String {
        let mut url = format!("https://{}", self.host);
        if let Some(port) = self.port {
            url.push_str(&format!(":{port}"));
        }
        if self.path.is_empty() {
            url.push_str("/.well-known");
        }
        for segment in &self.path {
            url.push('/');
            url.push_str(segment);
        }
        url.push_str("/did.json");
        url
    }

    /// The id of one of its verification methods or services.
    pub fn url(&self, fragment: &Fragment) -> String {
        format!("{self}#{fragment}")
    }
}

impl std::fmt::Display for DidWeb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "did:web:{}", self.host)?;
        if let Some(port) = self.port {
            write!(f, "%3A{port}")?;
        }
        for segment in &self.path {
            write!(f, ":{segment}")?;
        }
        Ok(())
    }
}

impl std::fmt::Debug for DidWeb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DidWeb({self})")
    }
}

impl std::str::FromStr for DidWeb {
    type Err = DidError;
    fn from_str(s: &str) -> Result<DidWeb, DidError> {
        let bad = |why| DidError::BadWeb {
            did: s.to_owned(),
            why,
        };
        let rest = s
            .strip_prefix("did:web:")
            .ok_or_else(|| DidError::UnsupportedMethod(s.to_owned()))?;
        let mut parts = rest.split(':');
        let authority = parts.next().unwrap_or_default();
        let (host, port) = match authority.split_once('%') {
            None => (authority, None),
            Some((host, encoded)) => {
                let digits = encoded
                    .strip_prefix("3A")
                    .ok_or_else(|| bad("the only percent-encoding allowed is %3A before a port"))?;
                if digits.starts_with('0') || !digits.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(bad("the port must be decimal without leading zeros"));
                }
                let port: u16 = digits
                    .parse()
                    .map_err(|_| bad("the port is not 1 to 65535"))?;
                (host, Some(port))
            }
        };
        let path: Vec<&str> = parts.collect();
        DidWeb::new(host, port, &path).map_err(|e| match e {
            DidError::BadWeb { why, .. } => bad(why),
            other => other,
        })
    }
}

/// A holder's `did:key` (Ed25519).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DidKey(Ed25519PublicKey);

impl DidKey {
    /// The DID of a key.
    pub fn new(key: Ed25519PublicKey) -> DidKey {
        DidKey(key)
    }

    /// Its key.
    pub fn key(&self) -> Ed25519PublicKey {
        self.0
    }

    /// The one verification method id (`did:key:z..#z..`).
    pub fn verification_method_id(&self) -> String {
        format!("{self}#{}", self.0.to_multikey())
    }

    /// The document, generated from the identifier alone (did:key spec): one Multikey used for
    /// authentication, assertion and capabilities.
    pub fn document(&self) -> DidDocument {
        let id = self.to_string();
        let vm = self.verification_method_id();
        DidDocument {
            context: DID_CONTEXTS.iter().map(|s| (*s).to_owned()).collect(),
            id: id.clone(),
            verification_method: vec![VerificationMethod {
                id: vm.clone(),
                kind: "Multikey".into(),
                controller: id,
                public_key_multibase: self.0.to_multikey(),
            }],
            authentication: vec![vm.clone()],
            assertion_method: vec![vm.clone()],
            capability_invocation: vec![vm.clone()],
            capability_delegation: vec![vm],
            key_agreement: Vec::new(),
            service: Vec::new(),
        }
    }
}

impl std::fmt::Display for DidKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "did:key:{}", self.0.to_multikey())
    }
}

impl std::fmt::Debug for DidKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DidKey({self})")
    }
}

impl std::str::FromStr for DidKey {
    type Err = DidError;
    fn from_str(s: &str) -> Result<DidKey, DidError> {
        let value = s
            .strip_prefix("did:key:")
            .ok_or_else(|| DidError::UnsupportedMethod(s.to_owned()))?;
        Ed25519PublicKey::from_multikey(value)
            .map(DidKey)
            .map_err(|source| DidError::BadKey {
                did: s.to_owned(),
                source,
            })
    }
}

/// Any DID this crate handles.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Did {
    /// An authority.
    Web(DidWeb),
    /// A holder.
    Key(DidKey),
}

impl std::fmt::Display for Did {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Did::Web(d) => d.fmt(f),
            Did::Key(d) => d.fmt(f),
        }
    }
}

impl std::str::FromStr for Did {
    type Err = DidError;
    fn from_str(s: &str) -> Result<Did, DidError> {
        if s.starts_with("did:web:") {
            s.parse().map(Did::Web)
        } else if s.starts_with("did:key:") {
            s.parse().map(Did::Key)
        } else {
            Err(DidError::UnsupportedMethod(s.to_owned()))
        }
    }
}

/// The id of a key or service inside a DID document (the part after `#`).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Fragment(String);

impl Fragment {
    /// The fragment text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for Fragment {
    type Err = DidError;
    fn from_str(s: &str) -> Result<Fragment, DidError> {
        let ok = !s.is_empty()
            && s.len() <= 128
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'));
        if ok {
            Ok(Fragment(s.to_owned()))
        } else {
            Err(DidError::BadFragment(s.to_owned()))
        }
    }
}

/// An opaque value this crate stores but does not interpret (log origins, C2SP verifier keys,
/// libp2p PeerIds and multiaddrs, endpoint URLs, official ids): it must be printable and contain
/// no spaces, so it survives a C2SP note line, a log line or a config file unchanged.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Token(String);

impl Token {
    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for Token {
    type Err = DidError;
    fn from_str(s: &str) -> Result<Token, DidError> {
        let ok = !s.is_empty()
            && s.len() <= 2048
            && s.chars().all(|c| !c.is_whitespace() && !c.is_control());
        if ok {
            Ok(Token(s.to_owned()))
        } else {
            Err(DidError::BadToken(s.to_owned()))
        }
    }
}

/// Human-readable text on the log (a suspension reason): no control characters, so it cannot
/// forge lines in a report or a terminal.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Text(String);

impl Text {
    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for Text {
    type Err = DidError;
    fn from_str(s: &str) -> Result<Text, DidError> {
        // Line separators and bidirectional overrides would let a reason rewrite how a report
        // or a terminal shows the lines around it.
        let unsafe_char = |c: char| {
            c.is_control()
                || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
        };
        let ok = !s.is_empty() && s.chars().count() <= 1024 && !s.chars().any(unsafe_char);
        if ok {
            Ok(Text(s.to_owned()))
        } else {
            Err(DidError::BadText)
        }
    }
}

macro_rules! plain_string_type {
    ($($ty:ty),*) => {$(
        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl std::fmt::Debug for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{:?}", self.0)
            }
        }
    )*};
}

plain_string_type!(Fragment, Token, Text);

macro_rules! serde_via_str {
    ($($ty:ty),*) => {$(
        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }
        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    )*};
}

serde_via_str!(DidWeb, DidKey, Did, Fragment, Token, Text);

/// A signing key as our own formats (genesis, entries) carry it: the fragment of its id and the
/// Multikey. The DID is implied by where it appears, so a key cannot claim another controller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerificationKey {
    /// Fragment of the verification method id (`did#id`).
    pub id: Fragment,
    /// The key.
    pub public_key_multibase: Ed25519PublicKey,
}

/// A key-agreement key (X25519) as our formats carry it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgreementKey {
    /// Fragment of the verification method id (`did#id`).
    pub id: Fragment,
    /// The key.
    pub public_key_multibase: X25519PublicKey,
}

/// A service endpoint as our formats carry it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Service {
    /// Fragment of the service id (`did#id`).
    pub id: Fragment,
    /// Service type (for example `CitesNode`, `EpixService`, `LinkedDomains`).
    #[serde(rename = "type")]
    pub kind: Token,
    /// Where (a URL or a libp2p multiaddr).
    pub endpoint: Token,
}

/// A W3C DID Core document (JSON names as DID Core spells them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DidDocument {
    /// [`DID_CONTEXTS`].
    #[serde(rename = "@context")]
    pub context: Vec<String>,
    /// The DID.
    pub id: String,
    /// Every current key, signing and key-agreement alike.
    pub verification_method: Vec<VerificationMethod>,
    /// Ids of the keys that authenticate as the DID.
    pub authentication: Vec<String>,
    /// Ids of the keys that sign credentials and registry entries.
    pub assertion_method: Vec<String>,
    /// Ids of keys for capability invocation (did:key documents only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub capability_invocation: Vec<String>,
    /// Ids of keys for capability delegation (did:key documents only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub capability_delegation: Vec<String>,
    /// Ids of the X25519 keys others encrypt to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub key_agreement: Vec<String>,
    /// Service endpoints.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub service: Vec<ServiceEndpoint>,
}

impl DidDocument {
    /// The verification method with this id (full DID URL).
    pub fn verification_method(&self, id: &str) -> Option<&VerificationMethod> {
        self.verification_method.iter().find(|vm| vm.id == id)
    }
}

/// A DID Core verification method of type `Multikey`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VerificationMethod {
    /// `did#fragment`.
    pub id: String,
    /// Always `Multikey`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The DID that controls the key.
    pub controller: String,
    /// The Multikey value.
    pub public_key_multibase: String,
}

/// A DID Core service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ServiceEndpoint {
    /// `did#fragment`.
    pub id: String,
    /// Service type.
    #[serde(rename = "type")]
    pub kind: String,
    /// Where.
    pub service_endpoint: String,
}

/// Builds an authority's document from its current keys: every signing key serves for both
/// authentication and assertion (an MA signs credentials and registry entries with the same key
/// set), and the key-agreement key is listed among the methods and referenced by `keyAgreement`.
pub fn web_document(
    did: &DidWeb,
    keys: &[VerificationKey],
    agreement: Option<&AgreementKey>,
    services: &[Service],
) -> DidDocument {
    let id = did.to_string();
    let method = |fragment: &Fragment, multikey: String| VerificationMethod {
        id: did.url(fragment),
        kind: "Multikey".into(),
        controller: id.clone(),
        public_key_multibase: multikey,
    };
    let mut verification_method: Vec<VerificationMethod> = keys
        .iter()
        .map(|k| method(&k.id, k.public_key_multibase.to_multikey()))
        .collect();
    let signing: Vec<String> = keys.iter().map(|k| did.url(&k.id)).collect();
    let mut key_agreement = Vec::new();
    if let Some(k) = agreement {
        verification_method.push(method(&k.id, k.public_key_multibase.to_multikey()));
        key_agreement.push(did.url(&k.id));
    }
    DidDocument {
        context: DID_CONTEXTS.iter().map(|s| (*s).to_owned()).collect(),
        id: id.clone(),
        verification_method,
        authentication: signing.clone(),
        assertion_method: signing,
        capability_invocation: Vec::new(),
        capability_delegation: Vec::new(),
        key_agreement,
        service: services
            .iter()
            .map(|s| ServiceEndpoint {
                id: did.url(&s.id),
                kind: s.kind.to_string(),
                service_endpoint: s.endpoint.to_string(),
            })
            .collect(),
    }
}
