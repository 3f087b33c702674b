//! Toolkit XML messages as a national system or an EPIX client sends them: reading never
//! panics, and a message that reads as a permit writes back to one that reads the same.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(permit) = toolkit::from_xml(text) {
        let again = toolkit::to_xml(&permit).unwrap();
        assert_eq!(toolkit::from_xml(&again).unwrap(), permit);
    }
});
