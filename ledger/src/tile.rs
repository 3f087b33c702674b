//! C2SP tlog-tiles (<https://c2sp.org/tlog-tiles>) paths and contents, so auditors can read
//! the log with standard tools. Tiles are cut from the stored subtree hashes: a hash tile at
//! level L is 256 consecutive stored hashes at tree level 8·L.

use std::fmt;

use crate::checkpoint::parse_decimal;
use crate::error::LedgerError;
use crate::log::LogReader;
use crate::proof::NodeId;

/// Tree levels per tile level.
pub const TILE_HEIGHT: u32 = 8;
/// Hashes (or entries) in a full tile.
pub const TILE_WIDTH: u64 = 256;

/// What a tile holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TileKind {
    /// Merkle tree hashes at tile level `level` (tree level 8·level).
    Hashes { level: u8 },
    /// An entry bundle.
    Entries,
}

/// A parsed tile path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TileRequest {
    pub kind: TileKind,
    pub index: u64,
    /// 1..=256; 256 is a full tile, anything less a partial one (`.p/<W>`).
    pub width: u16,
}

/// Why a tile path was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TileError {
    #[error("not a tile path: {0:?}")]
    NotATilePath(String),
    #[error("tile level {0:?} must be a decimal 0..=63 without leading zeros")]
    InvalidLevel(String),
    #[error("tile index {0:?} must be 3-digit groups, all but the last prefixed with x")]
    InvalidIndex(String),
    #[error("partial tile width {0:?} must be a decimal 1..=255 without leading zeros")]
    InvalidWidth(String),
    #[error("tile index {0:?} is not in canonical form")]
    NonCanonicalIndex(String),
}

impl TileRequest {
    pub fn full(kind: TileKind, index: u64) -> Self {
        TileRequest {
            kind,
            index,
            width: 256,
        }
    }

    pub fn is_partial(&self) -> bool {
        self.width < 256
    }

    /// Parses `tile/<L>/<N>[.p/<W>]` or `tile/entries/<N>[.p/<W>]`, with or without a
    /// leading `/`.
    pub fn parse(path: &str) -> Result<Self, TileError> {
        let not_tile = || TileError::NotATilePath(path.to_owned());
        let rest = path.strip_prefix('/').unwrap_or(path);
        let rest = rest.strip_prefix("tile/").ok_or_else(not_tile)?;
        let (head, index_part) = rest.split_once('/').ok_or_else(not_tile)?;
        let kind = if head == "entries" {
            TileKind::Entries
        } else {
            let level = parse_decimal(head)
                .filter(|l| *l <= 63)
                .ok_or_else(|| TileError::InvalidLevel(head.to_owned()))?;
            TileKind::Hashes {
                level: u8::try_from(level).map_err(|_| TileError::InvalidLevel(head.to_owned()))?,
            }
        };
        let (index_str, width) = match index_part.split_once(".p/") {
            Some((idx, w)) => {
                let width = parse_decimal(w)
                    .filter(|w| (1..=255).contains(w))
                    .ok_or_else(|| TileError::InvalidWidth(w.to_owned()))?;
                (
                    idx,
                    u16::try_from(width).map_err(|_| TileError::InvalidWidth(w.to_owned()))?,
                )
            }
            None => (index_part, 256),
        };
        let index = parse_index(index_str)?;
        let req = TileRequest { kind, index, width };
        if format_index(index) != index_str {
            return Err(TileError::NonCanonicalIndex(index_str.to_owned()));
        }
        Ok(req)
    }

    /// The path relative to the log prefix, e.g. `tile/0/x001/x234/067.p/5`.
    pub fn to_path(&self) -> String {
        let kind = match self.kind {
            TileKind::Hashes { level } => level.to_string(),
            TileKind::Entries => "entries".to_owned(),
        };
        let mut s = format!("tile/{kind}/{}", format_index(self.index));
        if self.is_partial() {
            s.push_str(&format!(".p/{}", self.width));
        }
        s
    }
}

impl fmt::Display for TileRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_path())
    }
}

fn parse_index(s: &str) -> Result<u64, TileError> {
    let bad = || TileError::InvalidIndex(s.to_owned());
    let groups: Vec<&str> = s.split('/').collect();
    let mut n: u64 = 0;
    for (i, g) in groups.iter().enumerate() {
        let digits = if i + 1 < groups.len() {
            g.strip_prefix('x').ok_or_else(bad)?
        } else {
            g
        };
        if digits.len() != 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let v: u64 = digits.parse().map_err(|_| bad())?;
        n = n
            .checked_mul(1000)
            .and_then(|n| n.checked_add(v))
            .ok_or_else(bad)?;
    }
    Ok(n)
}

fn format_index(mut n: u64) -> String {
    let mut groups = vec![format!("{:03}", n % 1000)];
    n /= 1000;
    while n > 0 {
        groups.push(format!("x{:03}", n % 1000));
        n /= 1000;
    }
    groups.reverse();
    groups.join("/")
}

/// Encodes entries as an entry bundle: each as a big-endian u16 length and the bytes.
pub fn encode_entry_bundle(entries: &[Vec<u8>]) -> Result<Vec<u8>, LedgerError> {
    let mut out = Vec::with_capacity(entries.iter().map(|e| e.len() + 2).sum());
    for e in entries {
        let len = u16::try_from(e.len()).map_err(|_| LedgerError::EntryTooLarge {
            len: e.len(),
            max: usize::from(u16::MAX),
        })?;
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(e);
    }
    Ok(out)
}

/// Splits an entry bundle back into entries; `None` if it is truncated.
pub fn decode_entry_bundle(mut bundle: &[u8]) -> Option<Vec<Vec<u8>>> {
    let mut out = Vec::new();
    while !bundle.is_empty() {
        if bundle.len() < 2 {
            return None;
        }
        let len = usize::from(u16::from_be_bytes([bundle[0], bundle[1]]));
        let rest = &bundle[2..];
        if rest.len() < len {
            return None;
        }
        out.push(rest[..len].to_vec());
        bundle = &rest[len..];
    }
    Some(out)
}

impl LogReader {
    /// The tile's content for the tree of `tree_size` leaves; refuses any tile that needs
    /// leaves beyond it.
    pub fn tile_at(&self, req: &TileRequest, tree_size: u64) -> Result<Vec<u8>, LedgerError> {
        let stored = self.size()?;
        if tree_size > stored {
            return Err(LedgerError::SizeOutOfRange {
                requested: tree_size,
                size: stored,
            });
        }
        let width = u64::from(req.width);
        let first = u128::from(req.index) * u128::from(TILE_WIDTH);
        let end = first + u128::from(width);
        let beyond = || LedgerError::TileBeyondTree {
            path: req.to_path(),
            tree_size,
        };
        match req.kind {
            TileKind::Entries => {
                if end > u128::from(tree_size) {
                    return Err(beyond());
                }
                let first = u64::try_from(first).map_err(|_| beyond())?;
                let entries = self.store().leaves(&self.log_id(), first, first + width)?;
                encode_entry_bundle(&entries)
            }
            TileKind::Hashes { level } => {
                let tree_level = u32::from(level) * TILE_HEIGHT;
                if tree_level >= 64 || (end << tree_level) > u128::from(tree_size) {
                    return Err(beyond());
                }
                let first = u64::try_from(first).map_err(|_| beyond())?;
                let tree_level = u8::try_from(tree_level).map_err(|_| beyond())?;
                let ids: Vec<NodeId> = (first..first + width)
                    .map(|i| NodeId::new(tree_level, i))
                    .collect();
                let hashes = self.store().read_hashes(&self.log_id(), &ids)?;
                Ok(hashes.iter().flat_map(|h| h.0).collect())
            }
        }
    }

    /// The tile's content for the tree of the latest checkpoint, limited to the entries
    /// stored (a replica may hold a checkpoint before all of its entries).
    pub fn tile(&self, req: &TileRequest) -> Result<Vec<u8>, LedgerError> {
        let size = self.latest_checkpoint()?.map(|c| c.size()).unwrap_or(0);
        self.tile_at(req, size.min(self.size()?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::{Hash, leaf_hash};
    use crate::log::Log;
    use crate::note::NoteSigner;
    use crate::proof::{MemoryTree, tree_hash};
    use crate::store::Store;

    #[test]
    fn paths_round_trip_and_match_spec_examples() {
        let cases = [
            (
                "tile/0/x001/x234/067",
                TileKind::Hashes { level: 0 },
                1_234_067,
                256,
            ),
            ("tile/1/000.p/17", TileKind::Hashes { level: 1 }, 0, 17),
            ("tile/entries/x001/234", TileKind::Entries, 1234, 256),
            ("tile/entries/273.p/112", TileKind::Entries, 273, 112),
            ("tile/63/999", TileKind::Hashes { level: 63 }, 999, 256),
        ];
        for (path, kind, index, width) in cases {
            let req = TileRequest::parse(path).unwrap();
            assert_eq!(req, TileRequest { kind, index, width }, "{path}");
            assert_eq!(req.to_path(), path);
            assert_eq!(TileRequest::parse(&format!("/{path}")).unwrap(), req);
        }
        let max = TileRequest::full(TileKind::Entries, u64::MAX);
        assert_eq!(TileRequest::parse(&max.to_path()).unwrap(), max);
    }

    #[test]
    fn malformed_paths_are_refused() {
        use TileError::*;
        type Check = fn(&TileError) -> bool;
        let cases: &[(&str, Check)] = &[
            ("tiles/0/000", |e| matches!(e, NotATilePath(_))),
            ("tile/0", |e| matches!(e, NotATilePath(_))),
            ("tile/64/000", |e| matches!(e, InvalidLevel(_))),
            ("tile/01/000", |e| matches!(e, InvalidLevel(_))),
            ("tile/a/000", |e| matches!(e, InvalidLevel(_))),
            ("tile/0/1", |e| matches!(e, InvalidIndex(_))),
            ("tile/0/0001", |e| matches!(e, InvalidIndex(_))),
            ("tile/0/001/234", |e| matches!(e, InvalidIndex(_))),
            ("tile/0/x001/x234", |e| matches!(e, InvalidIndex(_))),
            ("tile/0/x000/234", |e| matches!(e, NonCanonicalIndex(_))),
            ("tile/0/000.p/0", |e| matches!(e, InvalidWidth(_))),
            ("tile/0/000.p/256", |e| matches!(e, InvalidWidth(_))),
            ("tile/0/000.p/05", |e| matches!(e, InvalidWidth(_))),
            ("tile/0/000.p/", |e| matches!(e, InvalidWidth(_))),
            ("tile/0/x018/x446/x744/x073/x709/x551/616", |e| {
                matches!(e, InvalidIndex(_))
            }),
        ];
        for (path, ok) in cases {
            let err = TileRequest::parse(path).unwrap_err();
            assert!(ok(&err), "{path}: {err}");
        }
    }

    #[test]
    fn entry_bundles_round_trip() {
        let entries = vec![b"a".to_vec(), vec![], vec![7; 300]];
        let b = encode_entry_bundle(&entries).unwrap();
        assert_eq!(&b[..3], &[0, 1, b'a']);
        assert_eq!(decode_entry_bundle(&b).unwrap(), entries);
        assert!(decode_entry_bundle(&b[..b.len() - 1]).is_none());
        assert!(encode_entry_bundle(&[vec![0; 65536]]).is_err());
    }

    #[test]
    fn tiles_are_cut_from_the_stored_tree_and_refused_beyond_it() {
        let dir = tempfile::tempdir().unwrap();
        let signer = NoteSigner::generate("o").unwrap();
        let mut log = Log::open(Store::open(dir.path()).unwrap(), "o").unwrap();
        let entries: Vec<Vec<u8>> = (0..70_000u32).map(|i| i.to_be_bytes().to_vec()).collect();
        log.append_batch(&entries, &[]).unwrap();
        // Nothing is published yet: every tile is beyond the published tree.
        let t0 = TileRequest::full(TileKind::Hashes { level: 0 }, 0);
        assert!(matches!(
            log.tile(&t0),
            Err(LedgerError::TileBeyondTree { .. })
        ));
        log.publish_checkpoint(&signer, 0).unwrap();
        let mut mem = MemoryTree::new();
        for e in &entries {
            mem.push(leaf_hash(e));
        }
        // The spec's example: size 70,000 has 273 full level-0 tiles, a partial of width 112,
        // a full level-1 tile, a partial level-1 tile of width 17 and a level-2 tile of width 1.
        let get = |kind, index, width| log.tile(&TileRequest { kind, index, width });
        let l0 = TileKind::Hashes { level: 0 };
        let l1 = TileKind::Hashes { level: 1 };
        let l2 = TileKind::Hashes { level: 2 };
        assert_eq!(get(l0, 272, 256).unwrap().len(), 8192);
        assert_eq!(get(l0, 273, 112).unwrap().len(), 112 * 32);
        assert!(get(l0, 273, 113).is_err());
        assert!(get(l0, 273, 256).is_err());
        assert_eq!(get(l1, 0, 256).unwrap().len(), 8192);
        let l1p = get(l1, 1, 17).unwrap();
        assert!(get(l1, 1, 18).is_err());
        assert_eq!(get(l2, 0, 1).unwrap().len(), 32);
        assert!(get(l2, 0, 2).is_err());
        // Content: level-1 hashes are the roots of 256-leaf subtrees.
        let h = Hash::from_slice(&l1p[..32]).unwrap();
        let lo = 256 * 256;
        let mut sub = MemoryTree::new();
        for e in &entries[lo..lo + 256] {
            sub.push(leaf_hash(e));
        }
        assert_eq!(h, sub.root());
        let first = get(l0, 0, 256).unwrap();
        assert_eq!(
            Hash::from_slice(&first[..32]).unwrap(),
            leaf_hash(&entries[0])
        );
        let l2t = get(l2, 0, 1).unwrap();
        assert_eq!(
            Hash::from_slice(&l2t).unwrap(),
            tree_hash(65536, &mem).unwrap()
        );
        // Entry bundles.
        let bundle = get(TileKind::Entries, 273, 112).unwrap();
        assert_eq!(
            decode_entry_bundle(&bundle).unwrap(),
            entries[273 * 256..].to_vec()
        );
        assert!(get(TileKind::Entries, 274, 1).is_err());
    }
}
