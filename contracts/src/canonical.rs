//! RFC 8785 JSON Canonicalization Scheme (JCS): the bytes behind every permit commitment, log
//! entry and `eddsa-jcs-2022` proof.
//!
//! Written here rather than taken from `serde_json_canonicalizer`, which defines the output:
//! a property test checks that both give the same bytes for arbitrary JSON, since every
//! commitment already on a log depends on them. That crate boxes a writer for every fragment it
//! writes and parses each member's key again to sort it, so a permit of ~2 KB took tens of
//! microseconds, 9% of a node's CPU per issuance (BENCHMARKS.md). Here the value becomes a
//! `serde_json::Value` once and is written in one pass.

use serde::Serialize;
use serde_json::Value;

/// Why a value has no canonical form.
#[derive(Debug, thiserror::Error)]
pub enum CanonicalError {
    /// The value does not serialise to JSON.
    #[error("not serialisable to JSON: {0}")]
    Serialize(#[from] serde_json::Error),
    /// JSON numbers are IEEE 754 doubles in JCS: NaN and infinities have no form.
    #[error("{0} is not a finite number")]
    NotFinite(String),
}

/// The RFC 8785 canonical form of `value`.
///
/// The value goes through `serde_json::to_value` first, which the reference crate does not:
/// for what this project canonicalises (`serde_json::Value`s, and types with string keys and
/// no floating-point numbers) the bytes are the same, as the tests check. Beyond that they
/// would differ: a non-finite `f64` becomes `null` here (an error there), and non-string map
/// keys and `f32`s are written by `serde_json`'s rules rather than as doubles.
pub fn to_vec<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, CanonicalError> {
    let value = serde_json::to_value(value)?;
    let mut out = Vec::with_capacity(1024);
    write(&value, &mut out, &mut ryu_js::Buffer::new())?;
    Ok(out)
}

fn write(
    value: &Value,
    out: &mut Vec<u8>,
    numbers: &mut ryu_js::Buffer,
) -> Result<(), CanonicalError> {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        // Every number as a double, written as ECMAScript's Number.prototype.toString does
        // (RFC 8785 §3.2.2.3), integers beyond 2^53 included.
        Value::Number(n) => {
            let double = n
                .as_f64()
                .filter(|d| d.is_finite())
                .ok_or_else(|| CanonicalError::NotFinite(n.to_string()))?;
            out.extend_from_slice(numbers.format_finite(double).as_bytes());
        }
        Value::String(s) => string(s, out),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write(item, out, numbers)?;
            }
            out.push(b']');
        }
        Value::Object(members) => {
            // Sorted by UTF-16 code units (§3.2.3), not by the map's own order.
            let mut sorted: Vec<(&String, &Value)> = members.iter().collect();
            sorted.sort_unstable_by(|a, b| a.0.encode_utf16().cmp(b.0.encode_utf16()));
            out.push(b'{');
            for (i, (key, member)) in sorted.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                string(key, out);
                out.push(b':');
                write(member, out, numbers)?;
            }
            out.push(b'}');
        }
    }
    Ok(())
}

/// A string as JSON.stringify writes it (§3.2.2.2): only `"`, `\` and the C0 controls escaped,
/// the five with short forms in them, the others as `\u00xx`; everything else as it is.
fn string(s: &str, out: &mut Vec<u8>) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let short: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            0x08 => b"\\b",
            0x09 => b"\\t",
            0x0a => b"\\n",
            0x0c => b"\\f",
            0x0d => b"\\r",
            0x00..=0x1f => b"",
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..i]);
        if short.is_empty() {
            out.extend_from_slice(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(b >> 4)],
                HEX[usize::from(b & 0xf)],
            ]);
        } else {
            out.extend_from_slice(short);
        }
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<f64>()
                .prop_filter("finite", |d| d.is_finite())
                .prop_map(Value::from),
            prop_oneof![
                Just(0.1),
                Just(1e21),
                Just(1e-7),
                Just(-0.0),
                Just(9007199254740993.0)
            ]
            .prop_map(Value::from),
            any::<String>().prop_map(Value::String),
            "[\\x00-\\x20\"\\\\/\\x7f\u{e000}\u{ffff}\u{10000}\u{10ffff}a-c]{0,8}"
                .prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 64, 8, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
                prop::collection::vec(
                    (
                        prop_oneof![
                            any::<String>(),
                            "[\\x00-\\x20\"a-c\u{e000}\u{ffff}\u{10000}]{0,4}"
                        ],
                        inner
                    ),
                    0..8
                )
                .prop_map(|members| Value::Object(members.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        /// The bytes of the reference implementation, for any JSON.
        #[test]
        fn same_bytes_as_serde_json_canonicalizer(value in json()) {
            let reference = serde_json_canonicalizer::to_vec(&value).unwrap();
            prop_assert_eq!(to_vec(&value).unwrap(), reference);
        }

        /// Numbers as documents write them (read with `arbitrary_precision` in the workspace:
        /// kept as text until written): the same bytes, or an error from both (`1e400`).
        #[test]
        fn numbers_from_text_match_the_reference(
            text in "-?(0|[1-9][0-9]{0,24})(\\.[0-9]{1,20})?([eE][+-]?[0-9]{1,3})?"
        ) {
            // Without `arbitrary_precision` (this crate tested alone) the parser itself
            // refuses numbers beyond a double.
            if let Ok(value) = serde_json::from_str::<Value>(&format!("[{text}]")) {
                let reference = serde_json_canonicalizer::to_vec(&value).ok();
                prop_assert_eq!(to_vec(&value).ok(), reference, "{}", text);
            }
        }
    }

    /// RFC 8785 §3.2.3's sorting example: keys with characters above U+FFFF sort by UTF-16
    /// code units (a surrogate pair before U+FB33), not by code points or UTF-8 bytes.
    #[test]
    fn sorts_keys_by_utf16_code_units() {
        let value = serde_json::json!({
            "\u{20ac}": "Euro Sign", "\r": "Carriage Return", "\u{fb33}": "Hebrew Letter Dalet With Dagesh",
            "1": "One", "\u{1f600}": "Emoji: Grinning Face", "\u{0080}": "Control", "\u{00f6}": "Latin Small Letter O With Diaeresis"
        });
        let text = String::from_utf8(to_vec(&value).unwrap()).unwrap();
        let at: Vec<usize> = [
            "\\r",
            "1",
            "\u{0080}",
            "\u{00f6}",
            "\u{20ac}",
            "\u{1f600}",
            "\u{fb33}",
        ]
        .iter()
        .map(|key| text.find(&format!("\"{key}\":")).unwrap())
        .collect();
        assert!(at.windows(2).all(|w| w[0] < w[1]), "{text}");
    }

    /// RFC 8785 §3.2.2.3's numbers, from its appendix B table.
    #[test]
    fn writes_numbers_as_ecmascript_does() {
        for (double, text) in [
            (0.0, "0"),
            (-0.0, "0"),
            (1e21, "1e+21"),
            (1e-7, "1e-7"),
            (333333333.3333333, "333333333.3333333"),
            (9007199254740992.0, "9007199254740992"),
            (295147905179352830000.0, "295147905179352830000"),
        ] {
            assert_eq!(to_vec(&double).unwrap(), text.as_bytes(), "{double}");
        }
    }
}
