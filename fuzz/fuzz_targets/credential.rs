//! Credentials and presentations as a border post or a wallet receives them (a JOSE compact
//! token or a JSON-LD document): reading what they hold, before any signature is checked,
//! never panics.
#![no_main]

use credentials::Secured;
use libfuzzer_sys::fuzz_target;

fn read(secured: &Secured) {
    let Ok(doc) = secured.unverified_document() else {
        return;
    };
    let _ = credentials::credential::read(&doc);
    if let Ok((_, inner)) = credentials::presentation::contents(&doc) {
        for credential in &inner {
            if let Ok(doc) = credential.unverified_document() {
                let _ = credentials::credential::read(&doc);
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(secured) = Secured::parse(text) {
        read(&secured);
    }
    if let Ok(value) = serde_json::from_str::<serde_json::Value>(text) {
        read(&Secured::Embedded(value));
    }
});
