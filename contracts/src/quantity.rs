//! Quantities as exact decimals with three fractional digits.
//!
//! Permit quantities are compared, summed against quotas and reported: binary floating point
//! would make "endorsed never above permitted" depend on rounding. A [`Quantity`] is a count of
//! thousandths in a `u64`; its canonical JSON form is a decimal string (`"12.5"`), and a JSON
//! number is accepted on input.

use std::fmt;
use std::str::FromStr;

use serde::de;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A non-negative decimal quantity with at most three fractional digits.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Quantity(u64);

/// Why a text is not a quantity.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QuantityError {
    /// Empty, a sign, letters, or several points.
    #[error("{0:?} is not a decimal number (use digits and at most one '.')")]
    NotDecimal(String),
    /// More than three digits after the point.
    #[error("{0:?} has more than three decimal places")]
    TooPrecise(String),
    /// Does not fit.
    #[error("{0:?} is too large")]
    TooLarge(String),
}

impl Quantity {
    /// Zero.
    pub const ZERO: Quantity = Quantity(0);

    /// From a count of thousandths.
    pub const fn from_milli(milli: u64) -> Self {
        Quantity(milli)
    }

    /// From a whole number.
    pub const fn whole(n: u32) -> Self {
        Quantity(n as u64 * 1000)
    }

    /// The count of thousandths.
    pub const fn milli(self) -> u64 {
        self.0
    }

    /// Whether it is a whole number (a count of specimens must be).
    pub fn is_whole(self) -> bool {
        self.0.is_multiple_of(1000)
    }

    /// Whether it is zero.
    pub fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// Sum, or `None` on overflow.
    pub fn checked_add(self, other: Quantity) -> Option<Quantity> {
        self.0.checked_add(other.0).map(Quantity)
    }

    /// Difference, or `None` when `other` is larger.
    pub fn checked_sub(self, other: Quantity) -> Option<Quantity> {
        self.0.checked_sub(other.0).map(Quantity)
    }

    /// Difference, floored at zero.
    pub fn saturating_sub(self, other: Quantity) -> Quantity {
        Quantity(self.0.saturating_sub(other.0))
    }
}

impl FromStr for Quantity {
    type Err = QuantityError;
    fn from_str(s: &str) -> Result<Self, QuantityError> {
        let not_decimal = || QuantityError::NotDecimal(s.to_owned());
        let (int, frac) = match s.split_once('.') {
            Some((i, f)) => (i, f),
            None => (s, ""),
        };
        if int.is_empty() || !int.bytes().all(|b| b.is_ascii_digit()) {
            return Err(not_decimal());
        }
        if !frac.bytes().all(|b| b.is_ascii_digit()) || (s.contains('.') && frac.is_empty()) {
            return Err(not_decimal());
        }
        let frac = frac.trim_end_matches('0');
        if frac.len() > 3 {
            return Err(QuantityError::TooPrecise(s.to_owned()));
        }
        let too_large = || QuantityError::TooLarge(s.to_owned());
        let int: u64 = int.parse().map_err(|_| too_large())?;
        let mut frac_milli: u64 = 0;
        for (i, b) in frac.bytes().enumerate() {
            frac_milli += u64::from(b - b'0') * 10u64.pow(2 - i as u32);
        }
        int.checked_mul(1000)
            .and_then(|m| m.checked_add(frac_milli))
            .map(Quantity)
            .ok_or_else(too_large)
    }
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (int, frac) = (self.0 / 1000, self.0 % 1000);
        if frac == 0 {
            write!(f, "{int}")
        } else {
            let frac = format!("{frac:03}");
            write!(f, "{int}.{}", frac.trim_end_matches('0'))
        }
    }
}

impl Serialize for Quantity {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Quantity {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // Through `serde_json::Value` rather than a visitor: when a dependency turns on
        // serde_json's `arbitrary_precision`, numbers arrive as a private map, and a `Number`
        // then prints exactly the digits that were sent.
        match serde_json::Value::deserialize(d)? {
            serde_json::Value::String(s) => s.parse().map_err(de::Error::custom),
            serde_json::Value::Number(n) => n.to_string().parse().map_err(de::Error::custom),
            other => Err(de::Error::custom(format!(
                "expected a non-negative decimal with at most three decimal places, not {other}"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_and_prints_decimals() {
        for (text, milli, shown) in [
            ("0", 0, "0"),
            ("12", 12_000, "12"),
            ("12.5", 12_500, "12.5"),
            ("0.001", 1, "0.001"),
            ("3.250", 3_250, "3.25"),
            ("007", 7_000, "7"),
        ] {
            let q: Quantity = text.parse().unwrap();
            assert_eq!(q.milli(), milli, "{text}");
            assert_eq!(q.to_string(), shown);
        }
        for bad in ["", "-1", "1.", ".5", "1.2.3", "1e3", "abc", " 1"] {
            assert!(
                matches!(bad.parse::<Quantity>(), Err(QuantityError::NotDecimal(_))),
                "{bad}"
            );
        }
        assert!(matches!(
            "1.0001".parse::<Quantity>(),
            Err(QuantityError::TooPrecise(_))
        ));
        assert!(matches!(
            "99999999999999999999".parse::<Quantity>(),
            Err(QuantityError::TooLarge(_))
        ));
    }

    #[test]
    fn json_accepts_numbers_and_writes_strings() {
        let q: Quantity = serde_json::from_str("12.5").unwrap();
        assert_eq!(serde_json::to_string(&q).unwrap(), "\"12.5\"");
        let q: Quantity = serde_json::from_str("\"40\"").unwrap();
        assert_eq!(q, Quantity::whole(40));
        assert!(serde_json::from_str::<Quantity>("-3").is_err());
        assert!(serde_json::from_str::<Quantity>("0.0001").is_err());
    }

    proptest! {
        #[test]
        fn display_round_trips(milli in 0u64..u64::MAX / 2) {
            let q = Quantity::from_milli(milli);
            prop_assert_eq!(q.to_string().parse::<Quantity>(), Ok(q));
        }
    }
}
