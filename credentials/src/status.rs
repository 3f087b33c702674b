//! W3C Bitstring Status List v1.0: one bit per credential, GZIP-compressed, multibase
//! base64url (`u...`) in `encodedList`. Index 0 is the most significant bit of the first byte.
//! Lists are at least 16 KiB (131,072 entries) so a list does not reveal how many permits a node
//! has issued.

use std::io::{Read, Write};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use serde_json::{Value, json};

use crate::context::VC_V2;
use crate::credential::StatusPurpose;

/// Smallest list, in bits (the specification's minimum).
pub const MIN_BITS: usize = 131_072;
/// Largest list accepted on input, in bits, so a hostile list cannot exhaust memory.
pub const MAX_BITS: usize = 64 * MIN_BITS;

/// Why a status list cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StatusError {
    /// Not `u` + base64url of GZIP data.
    #[error("encodedList is not multibase base64url GZIP data")]
    BadEncoding,
    /// Decompresses to more than [`MAX_BITS`].
    #[error("the status list is larger than {MAX_BITS} bits")]
    TooLarge,
    /// Index beyond the list.
    #[error("status index {index} is beyond the list of {len} entries")]
    OutOfRange {
        /// The index.
        index: u64,
        /// Entries in the list.
        len: u64,
    },
    /// Not a status list credential of the expected purpose.
    #[error("not a BitstringStatusListCredential for {0}")]
    NotAStatusList(&'static str),
}

/// A bitstring.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusList {
    bytes: Vec<u8>,
}

impl Default for StatusList {
    fn default() -> Self {
        StatusList {
            bytes: vec![0; MIN_BITS / 8],
        }
    }
}

impl StatusList {
    /// An all-clear list of the minimum size.
    pub fn new() -> StatusList {
        StatusList::default()
    }

    /// From stored bytes (as [`StatusList::as_bytes`] gave them); `None` if the length is not a
    /// whole number of minimum-size lists or too large.
    pub fn from_bytes(bytes: Vec<u8>) -> Option<StatusList> {
        let ok = !bytes.is_empty()
            && bytes.len().is_multiple_of(MIN_BITS / 8)
            && bytes.len() <= MAX_BITS / 8;
        ok.then_some(StatusList { bytes })
    }

    /// The raw bitstring, for storage.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Entries in the list.
    pub fn len(&self) -> u64 {
        self.bytes.len() as u64 * 8
    }

    /// Whether the list has no entries (never, for a list made here).
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The bit at `index`.
    pub fn get(&self, index: u64) -> Result<bool, StatusError> {
        let byte = usize::try_from(index / 8)
            .ok()
            .and_then(|i| self.bytes.get(i))
            .ok_or(StatusError::OutOfRange {
                index,
                len: self.len(),
            })?;
        Ok(byte & (0x80 >> (index % 8)) != 0)
    }

    /// Sets or clears the bit at `index`, growing the list (in 16 KiB steps) when needed.
    pub fn set(&mut self, index: u64, value: bool) -> Result<(), StatusError> {
        let byte = usize::try_from(index / 8).map_err(|_| StatusError::TooLarge)?;
        if byte >= MAX_BITS / 8 {
            return Err(StatusError::TooLarge);
        }
        if byte >= self.bytes.len() {
            let step = MIN_BITS / 8;
            self.bytes
                .resize(byte.div_ceil(step).max(1) * step + step, 0);
        }
        let mask = 0x80 >> (index % 8);
        if value {
            self.bytes[byte] |= mask;
        } else {
            self.bytes[byte] &= !mask;
        }
        Ok(())
    }

    /// The `encodedList` value.
    pub fn encode(&self) -> String {
        let mut gz = GzEncoder::new(Vec::new(), Compression::best());
        // Writing into a Vec cannot fail.
        let _ = gz.write_all(&self.bytes);
        let compressed = gz.finish().unwrap_or_default();
        format!("u{}", URL_SAFE_NO_PAD.encode(compressed))
    }

    /// Reads an `encodedList` value.
    pub fn decode(encoded: &str) -> Result<StatusList, StatusError> {
        let body = encoded.strip_prefix('u').ok_or(StatusError::BadEncoding)?;
        let compressed = URL_SAFE_NO_PAD
            .decode(body)
            .map_err(|_| StatusError::BadEncoding)?;
        let mut bytes = Vec::new();
        GzDecoder::new(&compressed[..])
            .take(MAX_BITS as u64 / 8 + 1)
            .read_to_end(&mut bytes)
            .map_err(|_| StatusError::BadEncoding)?;
        if bytes.len() > MAX_BITS / 8 {
            return Err(StatusError::TooLarge);
        }
        Ok(StatusList { bytes })
    }

    /// The unsigned status list credential published at `url`.
    pub fn credential(
        &self,
        url: &str,
        issuer: &str,
        purpose: StatusPurpose,
        valid_from: &str,
    ) -> Value {
        json!({
            "@context": [VC_V2],
            "id": url,
            "type": ["VerifiableCredential", "BitstringStatusListCredential"],
            "issuer": issuer,
            "validFrom": valid_from,
            "credentialSubject": {
                "id": format!("{url}#list"),
                "type": "BitstringStatusList",
                "statusPurpose": purpose.as_str(),
                "encodedList": self.encode(),
            },
        })
    }

    /// Reads the list out of a (verified) status list credential of `purpose`.
    pub fn from_credential(vc: &Value, purpose: StatusPurpose) -> Result<StatusList, StatusError> {
        let subject = &vc["credentialSubject"];
        let typed = vc["type"]
            .as_array()
            .is_some_and(|t| t.iter().any(|x| x == "BitstringStatusListCredential"));
        if !typed || subject["statusPurpose"] != purpose.as_str() {
            return Err(StatusError::NotAStatusList(purpose.as_str()));
        }
        let encoded = subject["encodedList"]
            .as_str()
            .ok_or(StatusError::BadEncoding)?;
        StatusList::decode(encoded)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn minimum_size_and_bit_order() {
        let mut list = StatusList::new();
        assert_eq!(list.len(), 131_072);
        list.set(0, true).unwrap();
        list.set(9, true).unwrap();
        assert_eq!(&list.bytes[..2], &[0x80, 0x40]);
        let back = StatusList::decode(&list.encode()).unwrap();
        assert!(back.get(0).unwrap() && back.get(9).unwrap() && !back.get(1).unwrap());
        assert_eq!(
            back.get(131_072),
            Err(StatusError::OutOfRange {
                index: 131_072,
                len: 131_072
            })
        );
    }

    #[test]
    fn hostile_lists_are_refused() {
        assert_eq!(StatusList::decode("H4sI"), Err(StatusError::BadEncoding));
        assert_eq!(StatusList::decode("u!!!"), Err(StatusError::BadEncoding));
        // A GZIP bomb: 64 MiB of zeros compresses to a few KiB.
        let mut gz = GzEncoder::new(Vec::new(), Compression::best());
        gz.write_all(&vec![0u8; 2 * MAX_BITS / 8]).unwrap();
        let bomb = format!("u{}", URL_SAFE_NO_PAD.encode(gz.finish().unwrap()));
        assert_eq!(StatusList::decode(&bomb), Err(StatusError::TooLarge));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        #[test]
        fn set_bits_round_trip(indices in prop::collection::btree_set(0u64..400_000, 0..50)) {
            let mut list = StatusList::new();
            for i in &indices { list.set(*i, true).unwrap(); }
            let back = StatusList::decode(&list.encode()).unwrap();
            for i in 0..back.len().min(400_000) {
                prop_assert_eq!(back.get(i).unwrap(), indices.contains(&i));
            }
        }
    }
}
