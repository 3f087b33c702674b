//! C2SP tlog-checkpoint (<https://c2sp.org/tlog-checkpoint>): the signed tree head.
//!
//! Parsing is strict (no leading zeros, canonical base64, no empty extension lines) so that a
//! checkpoint has one byte form: two checkpoints with the same size and root are the same text,
//! which is what makes "same size, different text" meaningful as equivocation evidence.

use crate::hash::{Hash, HashError};
use crate::note::{self, NoteError, NoteSigner, NoteVerify, OpenedNote};

/// Why checkpoint text was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointError {
    #[error("checkpoint text must end with a newline")]
    NotNewlineTerminated,
    #[error("checkpoint needs origin, size and root hash lines, got {0} lines")]
    TooFewLines(usize),
    #[error("checkpoint origin line is empty")]
    EmptyOrigin,
    #[error("checkpoint origin contains a control character")]
    InvalidOrigin,
    #[error("checkpoint size {0:?} is not a decimal number without leading zeros")]
    InvalidSize(String),
    #[error("checkpoint root hash: {0}")]
    InvalidRoot(#[from] HashError),
    #[error("checkpoint extension line {0} is empty")]
    EmptyExtension(usize),
    #[error("checkpoint origin {got:?} is not the expected {expected:?}")]
    WrongOrigin { expected: String, got: String },
    #[error("checkpoint note: {0}")]
    Note(#[from] NoteError),
}

/// The body of a checkpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    pub origin: String,
    pub size: u64,
    pub root: Hash,
    /// Optional extension lines, without newlines (NOT RECOMMENDED by the spec; kept so that
    /// foreign checkpoints that carry them still round-trip).
    pub extensions: Vec<String>,
}

impl Checkpoint {
    pub fn new(origin: &str, size: u64, root: Hash) -> Self {
        Checkpoint {
            origin: origin.to_owned(),
            size,
            root,
            extensions: Vec::new(),
        }
    }

    /// Parses the note text of a checkpoint.
    pub fn parse(text: &str) -> Result<Self, CheckpointError> {
        let body = text
            .strip_suffix('\n')
            .ok_or(CheckpointError::NotNewlineTerminated)?;
        let lines: Vec<&str> = body.split('\n').collect();
        if lines.len() < 3 {
            return Err(CheckpointError::TooFewLines(lines.len()));
        }
        let origin = lines[0];
        if origin.is_empty() {
            return Err(CheckpointError::EmptyOrigin);
        }
        if origin.chars().any(char::is_control) {
            return Err(CheckpointError::InvalidOrigin);
        }
        let size = parse_decimal(lines[1])
            .ok_or_else(|| CheckpointError::InvalidSize(lines[1].to_owned()))?;
        let root = Hash::from_base64(lines[2])?;
        let mut extensions = Vec::new();
        for (i, line) in lines[3..].iter().enumerate() {
            if line.is_empty() {
                return Err(CheckpointError::EmptyExtension(i + 1));
            }
            if line.chars().any(char::is_control) {
                return Err(CheckpointError::InvalidOrigin);
            }
            extensions.push((*line).to_owned());
        }
        Ok(Checkpoint {
            origin: origin.to_owned(),
            size,
            root,
            extensions,
        })
    }

    /// The note text: origin, size, base64 root, extensions, each newline-terminated.
    pub fn to_text(&self) -> String {
        let mut s = format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            self.root.to_base64()
        );
        for e in &self.extensions {
            s.push_str(e);
            s.push('\n');
        }
        s
    }
}

/// ASCII decimal with no sign and no leading zeros ("0" alone for zero), fitting in u64.
pub(crate) fn parse_decimal(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) || (s.len() > 1 && s.starts_with('0'))
    {
        return None;
    }
    s.parse().ok()
}

/// A checkpoint together with the exact signed note it came in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedCheckpoint {
    note: Vec<u8>,
    checkpoint: Checkpoint,
}

impl SignedCheckpoint {
    /// Signs a checkpoint with the log's key(s).
    pub fn sign(checkpoint: Checkpoint, signers: &[&NoteSigner]) -> Result<Self, CheckpointError> {
        let text = checkpoint.to_text();
        // Round-trip through the parser so we never sign what we would refuse to read.
        let reparsed = Checkpoint::parse(&text)?;
        let note = note::sign(&text, signers)?;
        Ok(SignedCheckpoint {
            note: note.into_bytes(),
            checkpoint: reparsed,
        })
    }

    /// Verifies a signed checkpoint with the given keys and parses its body.
    pub fn open(
        note_bytes: &[u8],
        verifiers: &[&dyn NoteVerify],
    ) -> Result<(Self, OpenedNote), CheckpointError> {
        let opened = note::open(note_bytes, verifiers)?;
        let checkpoint = Checkpoint::parse(&opened.text)?;
        Ok((
            SignedCheckpoint {
                note: note_bytes.to_vec(),
                checkpoint,
            },
            opened,
        ))
    }

    /// Like [`SignedCheckpoint::open`], and also requires the expected origin.
    pub fn open_with_origin(
        note_bytes: &[u8],
        origin: &str,
        verifiers: &[&dyn NoteVerify],
    ) -> Result<(Self, OpenedNote), CheckpointError> {
        let (cp, opened) = Self::open(note_bytes, verifiers)?;
        if cp.checkpoint.origin != origin {
            return Err(CheckpointError::WrongOrigin {
                expected: origin.to_owned(),
                got: cp.checkpoint.origin,
            });
        }
        Ok((cp, opened))
    }

    /// Parses a note this process stored itself after verifying it. Signatures are not
    /// checked again, the note structure and body are.
    pub fn from_trusted_bytes(note_bytes: &[u8]) -> Result<Self, CheckpointError> {
        let (text, _) = note::split(note_bytes)?;
        Ok(SignedCheckpoint {
            note: note_bytes.to_vec(),
            checkpoint: Checkpoint::parse(&text)?,
        })
    }

    pub fn checkpoint(&self) -> &Checkpoint {
        &self.checkpoint
    }

    /// The signed note, byte for byte.
    pub fn note_bytes(&self) -> &[u8] {
        &self.note
    }

    pub fn size(&self) -> u64 {
        self.checkpoint.size
    }

    pub fn root(&self) -> Hash {
        self.checkpoint.root
    }

    pub fn origin(&self) -> &str {
        &self.checkpoint.origin
    }

    /// The note with extra signature lines (cosignatures) appended.
    pub fn with_extra_signatures(&self, lines: &[String]) -> Vec<u8> {
        let mut out = self.note.clone();
        for l in lines {
            out.extend_from_slice(l.as_bytes());
            if !l.ends_with('\n') {
                out.push(b'\n');
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::leaf_hash;

    // Example checkpoint body from the C2SP tlog-checkpoint specification.
    const SPEC_BODY: &str =
        "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";

    #[test]
    fn spec_example_parses_and_round_trips() {
        let cp = Checkpoint::parse(SPEC_BODY).unwrap();
        assert_eq!(cp.origin, "example.com/behind-the-sofa");
        assert_eq!(cp.size, 20852163);
        assert!(cp.extensions.is_empty());
        assert_eq!(cp.to_text(), SPEC_BODY);
    }

    #[test]
    fn extensions_round_trip() {
        let text = format!("{SPEC_BODY}ext one\next two\n");
        let cp = Checkpoint::parse(&text).unwrap();
        assert_eq!(cp.extensions, vec!["ext one", "ext two"]);
        assert_eq!(cp.to_text(), text);
    }

    #[test]
    fn malformed_bodies_are_refused() {
        let root = "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=";
        let cases: Vec<(String, CheckpointError)> = vec![
            (
                format!("o\n1\n{root}"),
                CheckpointError::NotNewlineTerminated,
            ),
            ("o\n1\n".into(), CheckpointError::TooFewLines(2)),
            (format!("\n1\n{root}\n"), CheckpointError::EmptyOrigin),
            (
                format!("o\n01\n{root}\n"),
                CheckpointError::InvalidSize("01".into()),
            ),
            (
                format!("o\n+1\n{root}\n"),
                CheckpointError::InvalidSize("+1".into()),
            ),
            (
                format!("o\n-1\n{root}\n"),
                CheckpointError::InvalidSize("-1".into()),
            ),
            (
                format!("o\n18446744073709551616\n{root}\n"),
                CheckpointError::InvalidSize("18446744073709551616".into()),
            ),
            (
                format!("o\n1\n{root}\n\n"),
                CheckpointError::EmptyExtension(1),
            ),
            (
                "o\n1\nAAAA\n".into(),
                CheckpointError::InvalidRoot(HashError::WrongLength(3)),
            ),
        ];
        for (text, want) in cases {
            assert_eq!(Checkpoint::parse(&text), Err(want), "{text:?}");
        }
        assert!(Checkpoint::parse("o\n0\nnot base64\n").is_err());
        assert!(Checkpoint::parse(&format!("o\n0\n{root}\n")).is_ok());
    }

    #[test]
    fn signed_checkpoint_opens_only_with_the_log_key() {
        let signer = NoteSigner::generate("example.com/log").unwrap();
        let other = NoteSigner::generate("example.com/log").unwrap();
        let cp = Checkpoint::new("example.com/log", 5, leaf_hash(b"x"));
        let signed = SignedCheckpoint::sign(cp.clone(), &[&signer]).unwrap();
        let (opened, _) =
            SignedCheckpoint::open(signed.note_bytes(), &[&signer.verifier()]).unwrap();
        assert_eq!(opened.checkpoint(), &cp);
        assert!(SignedCheckpoint::open(signed.note_bytes(), &[&other.verifier()]).is_err());
        assert!(matches!(
            SignedCheckpoint::open_with_origin(
                signed.note_bytes(),
                "example.com/other",
                &[&signer.verifier()]
            ),
            Err(CheckpointError::WrongOrigin { .. })
        ));
        let trusted = SignedCheckpoint::from_trusted_bytes(signed.note_bytes()).unwrap();
        assert_eq!(trusted, signed);
    }
}
