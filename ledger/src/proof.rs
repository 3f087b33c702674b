//! Merkle tree hashes and proofs over stored subtree hashes (RFC 6962 / RFC 9162 §2.1).
//!
//! Every complete, aligned subtree of the tree is addressed by a [`NodeId`] (level, index):
//! level 0 holds leaf hashes, and node (l, i) covers leaves `[i·2^l, (i+1)·2^l)`. Those hashes
//! never change once written, so proofs and tiles are a handful of reads of immutable data,
//! and the writer only has to keep the right frontier ([`Frontier`]) in memory.

use crate::hash::{Hash, empty_root, node_hash};

/// Longest proof we accept: a tree of 2^64 leaves has depth 64.
pub const MAX_PROOF_LEN: usize = 64;

/// Address of a complete subtree: it covers leaves `[index << level, (index + 1) << level)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeId {
    pub level: u8,
    pub index: u64,
}

impl NodeId {
    pub fn new(level: u8, index: u64) -> Self {
        NodeId { level, index }
    }
}

/// Why a proof could not be built or did not verify.
#[derive(Debug, thiserror::Error)]
pub enum ProofError {
    #[error("leaf index {index} is not below tree size {size}")]
    IndexOutOfRange { index: u64, size: u64 },
    #[error("tree sizes {old} -> {new} are not a valid pair (old must not exceed new)")]
    InvalidSizes { old: u64, new: u64 },
    #[error("tree size {size} is beyond the {available} leaves stored")]
    SizeBeyondTree { size: u64, available: u64 },
    #[error("proof has {got} hashes, expected {expected}")]
    WrongLength { expected: usize, got: usize },
    #[error("proof does not lead to the expected root")]
    RootMismatch,
    #[error("stored hash for level {level} index {index} is missing")]
    MissingHash { level: u8, index: u64 },
    #[error("reading stored hashes: {0}")]
    Storage(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// Source of stored subtree hashes (a database, an in-memory tree, a set of tiles).
pub trait HashReader {
    /// Returns the hashes of the requested complete subtrees, in the order asked.
    fn read_hashes(&self, nodes: &[NodeId]) -> Result<Vec<Hash>, ProofError>;
}

/// An inclusion proof (RFC 9162 §2.1.3): sibling hashes from the leaf up to the root.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InclusionProof {
    pub hashes: Vec<Hash>,
}

/// A consistency proof (RFC 9162 §2.1.4) between two sizes of the same tree.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConsistencyProof {
    pub hashes: Vec<Hash>,
}

macro_rules! proof_bytes {
    ($t:ty) => {
        impl $t {
            pub fn new(hashes: Vec<Hash>) -> Self {
                Self { hashes }
            }

            /// The hashes concatenated, 32 bytes each (the RFC 6962 wire form without the
            /// length prefixes).
            pub fn to_bytes(&self) -> Vec<u8> {
                self.hashes.iter().flat_map(|h| h.0).collect()
            }

            /// Reads concatenated 32-byte hashes.
            pub fn from_bytes(bytes: &[u8]) -> Result<Self, ProofError> {
                if bytes.len() % 32 != 0 || bytes.len() / 32 > MAX_PROOF_LEN {
                    return Err(ProofError::WrongLength {
                        expected: (bytes.len() / 32).min(MAX_PROOF_LEN),
                        got: bytes.len() / 32,
                    });
                }
                let hashes = bytes
                    .chunks_exact(32)
                    .map(|c| {
                        let mut h = [0u8; 32];
                        h.copy_from_slice(c);
                        Hash(h)
                    })
                    .collect();
                Ok(Self { hashes })
            }

            pub fn len(&self) -> usize {
                self.hashes.len()
            }

            pub fn is_empty(&self) -> bool {
                self.hashes.is_empty()
            }
        }
    };
}
proof_bytes!(InclusionProof);
proof_bytes!(ConsistencyProof);

/// Largest power of two strictly smaller than `n` (n >= 2): RFC 6962's split point.
fn split_point(n: u64) -> u64 {
    debug_assert!(n >= 2);
    1u64 << (63 - (n - 1).leading_zeros())
}

/// The complete subtrees, left to right, whose RFC 6962 combination is the hash of leaves
/// `[lo, hi)`. Valid for every range that appears in the RFC recursion from `[0, n)`, where
/// `lo` is always a multiple of the largest power of two not exceeding `hi - lo`.
pub fn range_nodes(lo: u64, hi: u64) -> Vec<NodeId> {
    let mut out = Vec::new();
    let mut start = lo;
    let size = hi - lo;
    for level in (0..64u8).rev() {
        if size & (1u64 << level) != 0 {
            out.push(NodeId::new(level, start >> level));
            start += 1u64 << level;
        }
    }
    out
}

/// Combines the hashes of `range_nodes(lo, hi)` into the RFC 6962 hash of the range.
fn fold_range(hashes: &[Hash]) -> Hash {
    let mut iter = hashes.iter().rev();
    let Some(last) = iter.next() else {
        return empty_root();
    };
    iter.fold(*last, |acc, left| node_hash(left, &acc))
}

/// Reads and combines the hashes for each range; one batched read for all of them.
fn hash_ranges<R: HashReader + ?Sized>(
    ranges: &[(u64, u64)],
    reader: &R,
) -> Result<Vec<Hash>, ProofError> {
    let per_range: Vec<Vec<NodeId>> = ranges.iter().map(|&(lo, hi)| range_nodes(lo, hi)).collect();
    let all: Vec<NodeId> = per_range.iter().flatten().copied().collect();
    let hashes = reader.read_hashes(&all)?;
    if hashes.len() != all.len() {
        return Err(ProofError::WrongLength {
            expected: all.len(),
            got: hashes.len(),
        });
    }
    let mut out = Vec::with_capacity(ranges.len());
    let mut at = 0;
    for nodes in &per_range {
        out.push(fold_range(&hashes[at..at + nodes.len()]));
        at += nodes.len();
    }
    Ok(out)
}

/// RFC 6962 Merkle tree hash of the first `size` leaves.
pub fn tree_hash<R: HashReader + ?Sized>(size: u64, reader: &R) -> Result<Hash, ProofError> {
    if size == 0 {
        return Ok(empty_root());
    }
    let hashes = hash_ranges(&[(0, size)], reader)?;
    hashes.into_iter().next().ok_or(ProofError::RootMismatch)
}

fn inclusion_ranges(m: u64, lo: u64, hi: u64, out: &mut Vec<(u64, u64)>) {
    if hi - lo == 1 {
        return;
    }
    let k = split_point(hi - lo);
    if m < lo + k {
        inclusion_ranges(m, lo, lo + k, out);
        out.push((lo + k, hi));
    } else {
        inclusion_ranges(m, lo + k, hi, out);
        out.push((lo, lo + k));
    }
}

fn consistency_ranges(m: u64, lo: u64, hi: u64, whole: bool, out: &mut Vec<(u64, u64)>) {
    let n = hi - lo;
    if m == n {
        if !whole {
            out.push((lo, hi));
        }
        return;
    }
    let k = split_point(n);
    if m <= k {
        consistency_ranges(m, lo, lo + k, whole, out);
        out.push((lo + k, hi));
    } else {
        consistency_ranges(m - k, lo + k, hi, false, out);
        out.push((lo, lo + k));
    }
}

/// Builds the inclusion proof of leaf `index` in the tree of `size` leaves.
pub fn inclusion_proof<R: HashReader + ?Sized>(
    index: u64,
    size: u64,
    reader: &R,
) -> Result<InclusionProof, ProofError> {
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    let mut ranges = Vec::new();
    inclusion_ranges(index, 0, size, &mut ranges);
    Ok(InclusionProof::new(hash_ranges(&ranges, reader)?))
}

/// Builds the consistency proof from the tree of `old` leaves to the tree of `new` leaves.
/// It is empty when `old` is 0 or equals `new`.
pub fn consistency_proof<R: HashReader + ?Sized>(
    old: u64,
    new: u64,
    reader: &R,
) -> Result<ConsistencyProof, ProofError> {
    if old > new {
        return Err(ProofError::InvalidSizes { old, new });
    }
    if old == 0 || old == new {
        return Ok(ConsistencyProof::default());
    }
    let mut ranges = Vec::new();
    consistency_ranges(old, 0, new, true, &mut ranges);
    Ok(ConsistencyProof::new(hash_ranges(&ranges, reader)?))
}

/// Root implied by an inclusion proof (RFC 9162 §2.1.3.2), before comparing with a root.
pub fn root_from_inclusion_proof(
    leaf_hash: &Hash,
    index: u64,
    tree_size: u64,
    proof: &InclusionProof,
) -> Result<Hash, ProofError> {
    if index >= tree_size {
        return Err(ProofError::IndexOutOfRange {
            index,
            size: tree_size,
        });
    }
    let expected = inclusion_len(index, tree_size);
    if proof.hashes.len() != expected {
        return Err(ProofError::WrongLength {
            expected,
            got: proof.hashes.len(),
        });
    }
    let mut fnode = index;
    let mut snode = tree_size - 1;
    let mut r = *leaf_hash;
    for p in &proof.hashes {
        if snode == 0 {
            return Err(ProofError::WrongLength {
                expected,
                got: proof.hashes.len(),
            });
        }
        if fnode & 1 == 1 || fnode == snode {
            r = node_hash(p, &r);
            if fnode & 1 == 0 {
                while fnode & 1 == 0 && fnode != 0 {
                    fnode >>= 1;
                    snode >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    if snode != 0 {
        return Err(ProofError::WrongLength {
            expected,
            got: proof.hashes.len(),
        });
    }
    Ok(r)
}

/// Length of the inclusion proof for `index` in a tree of `size` leaves.
fn inclusion_len(index: u64, size: u64) -> usize {
    let mut ranges = Vec::new();
    inclusion_ranges(index, 0, size, &mut ranges);
    ranges.len()
}

/// Checks that `leaf_hash` is leaf `index` of the tree of `tree_size` leaves with `root`
/// (RFC 9162 §2.1.3.2).
pub fn verify_inclusion(
    leaf_hash: &Hash,
    index: u64,
    tree_size: u64,
    proof: &InclusionProof,
    root: &Hash,
) -> Result<(), ProofError> {
    let computed = root_from_inclusion_proof(leaf_hash, index, tree_size, proof)?;
    if computed != *root {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

/// Checks that the tree of `old_size` leaves with `old_root` is a prefix of the tree of
/// `new_size` leaves with `new_root` (RFC 9162 §2.1.4.2). The empty tree is a prefix of every
/// tree (empty proof), and a tree is consistent with itself only with an empty proof and an
/// identical root.
pub fn verify_consistency(
    old_size: u64,
    new_size: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &ConsistencyProof,
) -> Result<(), ProofError> {
    if old_size > new_size {
        return Err(ProofError::InvalidSizes {
            old: old_size,
            new: new_size,
        });
    }
    if old_size == new_size || old_size == 0 {
        if !proof.hashes.is_empty() {
            return Err(ProofError::WrongLength {
                expected: 0,
                got: proof.hashes.len(),
            });
        }
        if old_size == new_size && old_root != new_root {
            return Err(ProofError::RootMismatch);
        }
        return Ok(());
    }
    let mut ranges = Vec::new();
    consistency_ranges(old_size, 0, new_size, true, &mut ranges);
    let expected = ranges.len();
    let wrong_len = || ProofError::WrongLength {
        expected,
        got: proof.hashes.len(),
    };
    if proof.hashes.len() != expected {
        return Err(wrong_len());
    }
    // When old_size is a power of two its root is the first node of the path.
    let mut path: Vec<Hash> = Vec::with_capacity(expected + 1);
    if old_size.is_power_of_two() {
        path.push(*old_root);
    }
    path.extend_from_slice(&proof.hashes);
    let mut fnode = old_size - 1;
    let mut snode = new_size - 1;
    while fnode & 1 == 1 {
        fnode >>= 1;
        snode >>= 1;
    }
    let (first, rest) = path.split_first().ok_or_else(wrong_len)?;
    let mut fr = *first;
    let mut sr = *first;
    for c in rest {
        if snode == 0 {
            return Err(wrong_len());
        }
        if fnode & 1 == 1 || fnode == snode {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            if fnode & 1 == 0 {
                while fnode & 1 == 0 && fnode != 0 {
                    fnode >>= 1;
                    snode >>= 1;
                }
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    if snode != 0 {
        return Err(wrong_len());
    }
    if fr != *old_root || sr != *new_root {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

/// The right edge of a tree: one complete-subtree hash per set bit of its size, largest first.
/// It is all the writer needs to append leaves and compute the root, O(log n) memory.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Frontier {
    size: u64,
    nodes: Vec<Hash>,
}

impl Frontier {
    pub fn new() -> Self {
        Self::default()
    }

    /// Rebuilds the frontier of a tree of `size` leaves from stored hashes.
    pub fn load<R: HashReader + ?Sized>(size: u64, reader: &R) -> Result<Self, ProofError> {
        let ids = range_nodes(0, size);
        let nodes = reader.read_hashes(&ids)?;
        if nodes.len() != ids.len() {
            return Err(ProofError::WrongLength {
                expected: ids.len(),
                got: nodes.len(),
            });
        }
        Ok(Frontier { size, nodes })
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    /// The frontier hashes, largest subtree first; their ids are `range_nodes(0, size)`.
    pub fn nodes(&self) -> &[Hash] {
        &self.nodes
    }

    /// Appends one leaf hash and reports every subtree hash that became complete (the leaf
    /// itself first), so the caller can store it.
    pub fn push(&mut self, leaf: Hash, mut completed: impl FnMut(NodeId, Hash)) {
        let mut hash = leaf;
        let mut level = 0u8;
        let mut index = self.size;
        completed(NodeId::new(0, index), hash);
        while index & 1 == 1 {
            let Some(left) = self.nodes.pop() else { break };
            hash = node_hash(&left, &hash);
            level += 1;
            index >>= 1;
            completed(NodeId::new(level, index), hash);
        }
        self.nodes.push(hash);
        self.size += 1;
    }

    /// RFC 6962 root of the current tree.
    pub fn root(&self) -> Hash {
        fold_range(&self.nodes)
    }
}

/// Every complete subtree hash of a tree held in memory; for tests, tools and small trees.
#[derive(Clone, Debug, Default)]
pub struct MemoryTree {
    levels: Vec<Vec<Hash>>,
    frontier: Frontier,
}

impl MemoryTree {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, leaf: Hash) {
        let levels = &mut self.levels;
        self.frontier.push(leaf, |id, h| {
            let level = usize::from(id.level);
            if levels.len() <= level {
                levels.resize_with(level + 1, Vec::new);
            }
            levels[level].push(h);
        });
    }

    pub fn size(&self) -> u64 {
        self.frontier.size()
    }

    pub fn root(&self) -> Hash {
        self.frontier.root()
    }
}

impl HashReader for MemoryTree {
    fn read_hashes(&self, nodes: &[NodeId]) -> Result<Vec<Hash>, ProofError> {
        nodes
            .iter()
            .map(|id| {
                usize::try_from(id.index)
                    .ok()
                    .and_then(|i| self.levels.get(usize::from(id.level))?.get(i))
                    .copied()
                    .ok_or(ProofError::MissingHash {
                        level: id.level,
                        index: id.index,
                    })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::leaf_hash;
    use proptest::prelude::*;

    // RFC 6962 reference vectors as published by transparency-dev/merkle (successor of
    // google/certificate-transparency-go merkle tests): testonly/constants.go and
    // proof/verify_test.go. Leaves, the root for each size 1..8, and known proofs.
    const LEAVES: [&str; 8] = [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ];
    const ROOTS: [&str; 8] = [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ];

    fn h(s: &str) -> Hash {
        Hash::from_hex(s).unwrap()
    }

    fn reference_tree(n: usize) -> MemoryTree {
        let mut t = MemoryTree::new();
        for leaf in &LEAVES[..n] {
            t.push(leaf_hash(&crate::hash::from_hex(leaf).unwrap()));
        }
        t
    }

    // (leaf index, tree size, proof). In the source the leaf is 1-based.
    fn inclusion_vectors() -> Vec<(u64, u64, Vec<Hash>)> {
        vec![
            (
                0,
                8,
                vec![
                    h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
                    h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
                    h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
                ],
            ),
            (
                5,
                8,
                vec![
                    h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
                    h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
                    h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
                ],
            ),
            (
                2,
                3,
                vec![h(
                    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
                )],
            ),
            (
                1,
                5,
                vec![
                    h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
                    h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
                    h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
                ],
            ),
        ]
    }

    fn consistency_vectors() -> Vec<(u64, u64, Vec<Hash>)> {
        vec![
            (1, 1, vec![]),
            (
                1,
                8,
                vec![
                    h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
                    h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
                    h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
                ],
            ),
            (
                6,
                8,
                vec![
                    h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
                    h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
                    h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
                ],
            ),
            (
                2,
                5,
                vec![
                    h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
                    h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
                ],
            ),
            (
                6,
                7,
                vec![
                    h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
                    h("b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f"),
                    h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
                ],
            ),
        ]
    }

    #[test]
    fn roots_match_reference_vectors() {
        assert_eq!(reference_tree(0).root(), empty_root());
        let full = reference_tree(8);
        for n in 1..=8 {
            assert_eq!(reference_tree(n).root(), h(ROOTS[n - 1]), "size {n}");
            assert_eq!(tree_hash(n as u64, &full).unwrap(), h(ROOTS[n - 1]));
        }
    }

    #[test]
    fn inclusion_proofs_match_reference_vectors() {
        let tree = reference_tree(8);
        for (index, size, want) in inclusion_vectors() {
            let proof = inclusion_proof(index, size, &tree).unwrap();
            assert_eq!(proof.hashes, want, "index {index} size {size}");
            let leaf = leaf_hash(&crate::hash::from_hex(LEAVES[index as usize]).unwrap());
            let root = h(ROOTS[size as usize - 1]);
            verify_inclusion(&leaf, index, size, &proof, &root).unwrap();
            // Wrong index or size must not verify.
            assert!(verify_inclusion(&leaf, index ^ 1, size, &proof, &root).is_err());
            assert!(verify_inclusion(&leaf, index, size * 2, &proof, &root).is_err());
        }
    }

    #[test]
    fn consistency_proofs_match_reference_vectors() {
        let tree = reference_tree(8);
        for (old, new, want) in consistency_vectors() {
            let proof = consistency_proof(old, new, &tree).unwrap();
            assert_eq!(proof.hashes, want, "{old} -> {new}");
            let r1 = h(ROOTS[old as usize - 1]);
            let r2 = h(ROOTS[new as usize - 1]);
            verify_consistency(old, new, &r1, &r2, &proof).unwrap();
            if !proof.is_empty() {
                assert!(verify_consistency(old, new, &r2, &r1, &proof).is_err());
                assert!(verify_consistency(old, new * 2, &r1, &r2, &proof).is_err());
            }
        }
    }

    #[test]
    fn degenerate_consistency_cases() {
        let a = leaf_hash(b"a");
        let b = leaf_hash(b"b");
        let empty = ConsistencyProof::default();
        // Anything extends the empty tree; a tree extends itself only with the same root.
        verify_consistency(0, 0, &a, &a, &empty).unwrap();
        verify_consistency(0, 5, &a, &b, &empty).unwrap();
        verify_consistency(3, 3, &a, &a, &empty).unwrap();
        assert!(matches!(
            verify_consistency(3, 3, &a, &b, &empty),
            Err(ProofError::RootMismatch)
        ));
        assert!(matches!(
            verify_consistency(2, 1, &a, &b, &empty),
            Err(ProofError::InvalidSizes { .. })
        ));
        // A non-trivial pair needs a proof.
        assert!(verify_consistency(1, 2, &a, &b, &empty).is_err());
        // A trivial pair refuses extra hashes.
        let extra = ConsistencyProof::new(vec![a]);
        assert!(verify_consistency(0, 1, &a, &a, &extra).is_err());
        assert!(verify_consistency(1, 1, &a, &a, &extra).is_err());
    }

    #[test]
    fn inclusion_out_of_range_is_refused() {
        let tree = reference_tree(3);
        assert!(matches!(
            inclusion_proof(3, 3, &tree),
            Err(ProofError::IndexOutOfRange { index: 3, size: 3 })
        ));
        let leaf = leaf_hash(b"");
        assert!(verify_inclusion(&leaf, 0, 0, &InclusionProof::default(), &empty_root()).is_err());
        // A single-leaf tree: the leaf is the root, with an empty proof.
        verify_inclusion(&leaf, 0, 1, &InclusionProof::default(), &leaf).unwrap();
    }

    #[test]
    fn missing_stored_hash_is_reported() {
        let tree = reference_tree(3);
        assert!(matches!(
            inclusion_proof(0, 8, &tree),
            Err(ProofError::MissingHash { .. })
        ));
    }

    #[test]
    fn proof_bytes_round_trip() {
        let tree = reference_tree(8);
        let p = inclusion_proof(5, 8, &tree).unwrap();
        assert_eq!(InclusionProof::from_bytes(&p.to_bytes()).unwrap(), p);
        assert!(InclusionProof::from_bytes(&[0u8; 33]).is_err());
    }

    fn tree_of(n: u64) -> MemoryTree {
        let mut t = MemoryTree::new();
        for i in 0..n {
            t.push(leaf_hash(&i.to_be_bytes()));
        }
        t
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        // A proof must verify for its own (index, size, root) and for nothing else: a flipped
        // byte, another index, or another size fails unless that other size happens to have
        // exactly the same proof (RFC 9162 proofs do not commit to the size; the root does).
        #[test]
        fn inclusion_proofs_verify_and_tampering_fails(
            size in 1u64..2000, seeds in any::<(u64, u64)>(), flip in any::<(usize, usize, u8)>()
        ) {
            let max = size + 64;
            let tree = tree_of(max);
            let index = seeds.0 % size;
            let root = tree_hash(size, &tree).unwrap();
            let leaf = leaf_hash(&index.to_be_bytes());
            let proof = inclusion_proof(index, size, &tree).unwrap();
            prop_assert!(verify_inclusion(&leaf, index, size, &proof, &root).is_ok());
            if !proof.is_empty() {
                let mut bad = proof.clone();
                let i = flip.0 % bad.hashes.len();
                bad.hashes[i].0[flip.1 % 32] ^= flip.2 | 1;
                prop_assert!(verify_inclusion(&leaf, index, size, &bad, &root).is_err());
                let other = (index + 1 + seeds.1 % (size - 1)) % size;
                prop_assert!(verify_inclusion(&leaf, other, size, &proof, &root).is_err());
            }
            let other_size = index + 1 + seeds.1 % (max - index);
            if other_size != size {
                let other_root = tree_hash(other_size, &tree).unwrap();
                let same = inclusion_proof(index, other_size, &tree).unwrap() == proof;
                prop_assert_eq!(
                    verify_inclusion(&leaf, index, other_size, &proof, &other_root).is_ok(),
                    same
                );
            }
            prop_assert!(verify_inclusion(&leaf, index, size * 2, &proof, &root).is_err());
            let mut bad_root = root;
            bad_root.0[flip.1 % 32] ^= flip.2 | 1;
            prop_assert!(verify_inclusion(&leaf, index, size, &proof, &bad_root).is_err());
            let wrong_leaf = leaf_hash(&(index + max).to_be_bytes());
            prop_assert!(verify_inclusion(&wrong_leaf, index, size, &proof, &root).is_err());
        }

        #[test]
        fn consistency_proofs_verify_and_tampering_fails(
            new in 1u64..2000, seeds in any::<(u64, u64, u64)>(), flip in any::<(usize, usize, u8)>()
        ) {
            let max = new + 64;
            let tree = tree_of(max);
            let old = 1 + seeds.0 % new;
            let old_root = tree_hash(old, &tree).unwrap();
            let new_root = tree_hash(new, &tree).unwrap();
            let proof = consistency_proof(old, new, &tree).unwrap();
            prop_assert!(verify_consistency(old, new, &old_root, &new_root, &proof).is_ok());
            if !proof.is_empty() {
                let mut bad = proof.clone();
                let i = flip.0 % bad.hashes.len();
                bad.hashes[i].0[flip.1 % 32] ^= flip.2 | 1;
                prop_assert!(verify_consistency(old, new, &old_root, &new_root, &bad).is_err());
                let mut bad_root = old_root;
                bad_root.0[flip.1 % 32] ^= flip.2 | 1;
                prop_assert!(verify_consistency(old, new, &bad_root, &new_root, &proof).is_err());
                prop_assert!(verify_consistency(old, new, &new_root, &old_root, &proof).is_err());
                let mut truncated = proof.clone();
                truncated.hashes.pop();
                prop_assert!(verify_consistency(old, new, &old_root, &new_root, &truncated).is_err());
                // Other sizes, with their true roots: only an identical proof may pass.
                let old2 = 1 + seeds.1 % max;
                let new2 = old2 + seeds.2 % (max - old2 + 1);
                if (old2, new2) != (old, new) {
                    let r1 = tree_hash(old2, &tree).unwrap();
                    let r2 = tree_hash(new2, &tree).unwrap();
                    let same = consistency_proof(old2, new2, &tree).unwrap() == proof;
                    prop_assert_eq!(
                        verify_consistency(old2, new2, &r1, &r2, &proof).is_ok(),
                        same
                    );
                }
            }
        }

        #[test]
        fn frontier_reload_matches(size in 0u64..3000) {
            let tree = tree_of(size);
            let f = Frontier::load(size, &tree).unwrap();
            prop_assert_eq!(f.root(), tree.root());
            prop_assert_eq!(f.size(), size);
        }
    }
}
