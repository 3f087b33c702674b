//! Registry entries as they arrive in a replicated log, applied to the test network's
//! registry at any position: refused or applied, never a panic.
#![no_main]

#[path = "../../did-registry/tests/common/mod.rs"]
mod common;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (bool, u8, &[u8])| {
    let (secretariat, minutes, bytes) = input;
    let mut registry = common::network();
    let log = if secretariat {
        common::SEC_LOG
    } else {
        common::GH_LOG
    };
    let _ = registry.apply(
        common::pos(log, 9, common::t(600 + i64::from(minutes))),
        bytes,
    );
});
