//! Permits as an application or a national system sends them: parsing and every validation
//! rule answer without panicking, and a parsed permit survives its canonical form.
#![no_main]

use contracts::{Permit, ValidationContext};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(permit) = contracts::from_json::<Permit>(data) else {
        return;
    };
    let today = chrono::NaiveDate::from_ymd_opt(2026, 6, 1).unwrap();
    let _ = contracts::validate(&permit, &ValidationContext { today });
    let canonical = contracts::entry::canonical_json(&permit).unwrap();
    assert_eq!(contracts::from_json::<Permit>(&canonical).unwrap(), permit);
});
