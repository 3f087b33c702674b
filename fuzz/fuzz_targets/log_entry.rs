//! Log entries as a replica reads them from another node's log: decoding never panics, and
//! a decoded entry encodes to bytes that decode to it again.
#![no_main]

use contracts::LogEntry;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(entry) = LogEntry::decode(data) {
        let bytes = entry.encode().unwrap();
        assert_eq!(LogEntry::decode(&bytes).unwrap(), entry);
    }
});
