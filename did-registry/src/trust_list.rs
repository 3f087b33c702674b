//! The trust list: who is accredited, per Party, at one point of the registry.
//!
//! A plain serialisable structure so the node can sign it (as a credential issued by the
//! Secretariat) and verifiers without a replica can pin it. Only active authorities appear:
//! a suspended or withdrawn authority is not to be trusted for new credentials. Every role is
//! listed (Management and Scientific Authorities, customs), each with its role.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::did::{AgreementKey, DidWeb, Service, Token, VerificationKey};
use crate::entry::{Party, Role};
use crate::genesis::{GenesisError, GenesisId};
use crate::registry::{AsOf, Position, Registry, Status};

/// Accredited authorities per Party.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TrustList {
    /// The network's name.
    pub network: Token,
    /// The network's genesis.
    pub genesis_id: GenesisId,
    /// The Secretariat.
    pub secretariat: DidWeb,
    /// The last registry entry the list reflects (`None`: genesis only).
    pub as_of: Option<Position>,
    /// Active authorities, by Party, in DID order.
    pub parties: BTreeMap<Party, Vec<TrustedAuthority>>,
}

/// One accredited authority as the list carries it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TrustedAuthority {
    /// Its DID.
    pub did: DidWeb,
    /// What it is accredited as.
    pub role: Role,
    /// Its current signing keys.
    pub verification_methods: Vec<VerificationKey>,
    /// Its current key-agreement key.
    pub key_agreement: Option<AgreementKey>,
    /// Its log.
    pub log_origin: Token,
    /// Its log's verifier key.
    pub log_key: Token,
    /// Its node's PeerId.
    pub peer_id: Option<Token>,
    /// Its endpoints.
    pub services: Vec<Service>,
}

impl TrustList {
    /// The list at a point of the registry.
    pub fn build(registry: &Registry, as_of: &AsOf) -> Result<TrustList, GenesisError> {
        let genesis = registry.genesis();
        let mut parties: BTreeMap<Party, Vec<TrustedAuthority>> = BTreeMap::new();
        for a in registry.authorities_at(as_of) {
            if a.status != Status::Active {
                continue;
            }
            parties.entry(a.party).or_default().push(TrustedAuthority {
                did: a.did.clone(),
                role: a.role,
                verification_methods: a.keys,
                key_agreement: a.agreement,
                log_origin: a.log_origin.clone(),
                log_key: a.log_key.clone(),
                peer_id: a.peer_id.cloned(),
                services: a.services.to_vec(),
            });
        }
        Ok(TrustList {
            network: genesis.network.clone(),
            genesis_id: genesis.genesis_id()?,
            secretariat: registry.secretariat().clone(),
            as_of: registry.position_of(as_of).cloned(),
            parties,
        })
    }

    /// Whether a DID is on the list for a Party in a role.
    pub fn contains(&self, party: Party, did: &DidWeb, role: Role) -> bool {
        self.parties
            .get(&party)
            .is_some_and(|list| list.iter().any(|a| &a.did == did && a.role == role))
    }
}
