//! Checking an entry against a cosigned checkpoint with nothing but pinned keys: what a
//! border post without network does with the evidence a wallet carries.

use crate::checkpoint::{CheckpointError, SignedCheckpoint};
use crate::cosignature::CosignatureVerifier;
use crate::hash::leaf_hash;
use crate::note::{NoteVerifier, NoteVerify};
use crate::proof::{InclusionProof, ProofError, verify_inclusion};

/// Why offline evidence was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum OfflineError {
    #[error("checkpoint: {0}")]
    Checkpoint(#[from] CheckpointError),
    #[error("{got} valid witness cosignatures, policy requires {required}")]
    NotEnoughCosignatures { got: usize, required: usize },
    #[error("entry is not in the checkpointed tree: {0}")]
    Inclusion(#[from] ProofError),
}

/// What the evidence established.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedInclusion {
    pub checkpoint: SignedCheckpoint,
    /// Names of the witnesses whose cosignatures verified.
    pub witnesses: Vec<String>,
    /// Oldest timestamp among those cosignatures (POSIX seconds): the checkpoint was seen by
    /// the quorum no later than this.
    pub cosigned_since: Option<u64>,
}

/// What a verifier pins for one log: its origin and key, the witnesses it trusts and how many
/// of them must have cosigned.
#[derive(Clone, Debug)]
pub struct LogTrust {
    pub origin: String,
    pub log_key: NoteVerifier,
    pub witnesses: Vec<CosignatureVerifier>,
    pub quorum: usize,
}

/// Verifies that `entry` is leaf `index` of the tree in `checkpoint_note`, that the log
/// signed that checkpoint, and that at least `trust.quorum` of the trusted witnesses cosigned
/// it. Unknown signatures are ignored; a bad one from a known key fails.
pub fn verify_entry(
    entry: &[u8],
    index: u64,
    proof: &InclusionProof,
    checkpoint_note: &[u8],
    trust: &LogTrust,
) -> Result<VerifiedInclusion, OfflineError> {
    let (origin, log_key, witnesses, quorum) = (
        &trust.origin,
        &trust.log_key,
        &trust.witnesses,
        trust.quorum,
    );
    let mut verifiers: Vec<&dyn NoteVerify> = vec![log_key];
    verifiers.extend(witnesses.iter().map(|w| w as &dyn NoteVerify));
    let (cp, opened) = SignedCheckpoint::open_with_origin(checkpoint_note, origin, &verifiers)?;
    if !opened
        .verified
        .iter()
        .any(|s| s.name == log_key.name() && s.key_id == log_key.key_id())
    {
        return Err(
            CheckpointError::Note(crate::note::NoteError::NoKnownSignature {
                unverified: opened.unverified.len(),
            })
            .into(),
        );
    }
    let mut names = Vec::new();
    let mut since: Option<u64> = None;
    for sig in &opened.verified {
        if sig.name == log_key.name() && sig.key_id == log_key.key_id() {
            continue;
        }
        names.push(sig.name.clone());
        if sig.signature.len() >= 8 {
            let mut ts = [0u8; 8];
            ts.copy_from_slice(&sig.signature[..8]);
            let ts = u64::from_be_bytes(ts);
            since = Some(since.map_or(ts, |s: u64| s.min(ts)));
        }
    }
    if names.len() < quorum {
        return Err(OfflineError::NotEnoughCosignatures {
            got: names.len(),
            required: quorum,
        });
    }
    verify_inclusion(&leaf_hash(entry), index, cp.size(), proof, &cp.root())?;
    Ok(VerifiedInclusion {
        checkpoint: cp,
        witnesses: names,
        cosigned_since: since,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cosignature::CosignatureSigner;
    use crate::log::Log;
    use crate::note::NoteSigner;
    use crate::store::Store;

    #[test]
    fn entry_checks_out_offline_only_with_the_quorum() {
        let dir = tempfile::tempdir().unwrap();
        let key = NoteSigner::generate("ma.example/log").unwrap();
        let mut log = Log::open(Store::open(dir.path()).unwrap(), "ma.example/log").unwrap();
        let entries: Vec<Vec<u8>> = (0..20u8).map(|i| vec![i; 3]).collect();
        log.append_batch(&entries, &[]).unwrap();
        let cp = log.publish_checkpoint(&key, 1).unwrap();
        let w1 = CosignatureSigner::generate("w1.example").unwrap();
        let w2 = CosignatureSigner::generate("w2.example").unwrap();
        let body = cp.checkpoint().to_text();
        let lines = vec![
            w1.cosign(&body, 500).unwrap().to_line(),
            w2.cosign(&body, 400).unwrap().to_line(),
        ];
        let note = cp.with_extra_signatures(&lines);
        let proof = log.inclusion_proof(7, 20).unwrap();
        let trust = LogTrust {
            origin: "ma.example/log".into(),
            log_key: key.verifier(),
            witnesses: vec![w1.verifier(), w2.verifier()],
            quorum: 2,
        };
        let ok = verify_entry(&entries[7], 7, &proof, &note, &trust).unwrap();
        assert_eq!(ok.witnesses, vec!["w1.example", "w2.example"]);
        assert_eq!(ok.cosigned_since, Some(400));
        // Quorum not met without the cosignatures.
        let one = LogTrust {
            quorum: 1,
            ..trust.clone()
        };
        assert!(matches!(
            verify_entry(&entries[7], 7, &proof, cp.note_bytes(), &one),
            Err(OfflineError::NotEnoughCosignatures {
                got: 0,
                required: 1
            })
        ));
        // Another entry, another origin, another log key: refused.
        assert!(matches!(
            verify_entry(&entries[8], 7, &proof, &note, &trust),
            Err(OfflineError::Inclusion(_))
        ));
        let other_origin = LogTrust {
            origin: "other.example/log".into(),
            ..trust.clone()
        };
        assert!(verify_entry(&entries[7], 7, &proof, &note, &other_origin).is_err());
        let other_key = LogTrust {
            log_key: NoteSigner::generate("ma.example/log").unwrap().verifier(),
            ..trust.clone()
        };
        assert!(verify_entry(&entries[7], 7, &proof, &note, &other_key).is_err());
    }
}
