//! An RFC 6962 Merkle tree, as Rekor (Trillian) keeps its log: leaf hash
//! `SHA256(0x00 || entry)`, node hash `SHA256(0x01 || left || right)`, the tree split at the
//! largest power of two below its size, and audit paths `PATH(m, D[n])` ordered bottom-up.

use sha2::{Digest as _, Sha256};

/// A SHA-256 hash.
pub(crate) type Hash = [u8; 32];

/// The hash of a leaf holding `entry`.
pub(crate) fn leaf_hash(entry: &[u8]) -> Hash {
    Sha256::new_with_prefix([0u8])
        .chain_update(entry)
        .finalize()
        .into()
}

/// The hash of an inner node.
pub(crate) fn node_hash(left: &Hash, right: &Hash) -> Hash {
    Sha256::new_with_prefix([1u8])
        .chain_update(left)
        .chain_update(right)
        .finalize()
        .into()
}

/// The largest power of two smaller than `n` (`n >= 2`).
fn split(n: usize) -> usize {
    let mut k = 1;
    while k * 2 < n {
        k *= 2;
    }
    k
}

/// The Merkle tree hash of `leaves` (leaf hashes); the empty tree's is `SHA256("")`.
pub(crate) fn root(leaves: &[Hash]) -> Hash {
    match leaves {
        [] => Sha256::digest([]).into(),
        [one] => *one,
        _ => {
            let k = split(leaves.len());
            node_hash(&root(&leaves[..k]), &root(&leaves[k..]))
        }
    }
}

/// The audit path of leaf `index` in the tree of `leaves`, bottom-up (RFC 6962 §2.1.1).
pub(crate) fn inclusion_proof(index: usize, leaves: &[Hash]) -> Vec<Hash> {
    if leaves.len() <= 1 {
        return Vec::new();
    }
    let k = split(leaves.len());
    let (mut path, sibling) = if index < k {
        (inclusion_proof(index, &leaves[..k]), root(&leaves[k..]))
    } else {
        (inclusion_proof(index - k, &leaves[k..]), root(&leaves[..k]))
    };
    path.push(sibling);
    path
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The root recomputed another way: level by level, pairing neighbours and carrying an odd
    /// last node up unchanged (which builds the same tree as the recursive split).
    fn reference_root(leaves: &[Hash]) -> Hash {
        let mut level = leaves.to_vec();
        while level.len() > 1 {
            level = level
                .chunks(2)
                .map(|pair| match pair {
                    [l, r] => node_hash(l, r),
                    [odd] => *odd,
                    _ => unreachable!("chunks of two"),
                })
                .collect();
        }
        level[0]
    }

    /// RFC 9162 §2.1.3.2 verification, the way sigstore-python's `merkle.py` does it: the inner
    /// part of the path by the index's bits, then the border from the right.
    fn root_from_proof(index: u64, size: u64, leaf: Hash, proof: &[Hash]) -> Option<Hash> {
        if index >= size {
            return None;
        }
        let inner = (64 - (index ^ (size - 1)).leading_zeros()) as usize;
        let border = (index >> inner).count_ones() as usize;
        if proof.len() != inner + border {
            return None;
        }
        let mut hash = leaf;
        for (i, sibling) in proof[..inner].iter().enumerate() {
            hash = if (index >> i) & 1 == 0 {
                node_hash(&hash, sibling)
            } else {
                node_hash(sibling, &hash)
            };
        }
        for sibling in &proof[inner..] {
            hash = node_hash(sibling, &hash);
        }
        Some(hash)
    }

    fn leaves(n: usize) -> Vec<Hash> {
        (0..n)
            .map(|i| leaf_hash(format!("entry {i}").as_bytes()))
            .collect()
    }

    #[test]
    fn roots_match_a_level_by_level_recomputation() {
        for size in 1..=17 {
            let leaves = leaves(size);
            assert_eq!(root(&leaves), reference_root(&leaves), "size {size}");
        }
        assert_eq!(
            hex::encode(root(&[])),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn every_inclusion_proof_verifies_for_sizes_1_to_17() {
        for size in 1..=17u64 {
            let leaves = leaves(size as usize);
            let expected = reference_root(&leaves);
            for index in 0..size {
                let proof = inclusion_proof(index as usize, &leaves);
                let leaf = leaves[index as usize];
                assert_eq!(
                    root_from_proof(index, size, leaf, &proof),
                    Some(expected),
                    "index {index} of {size}"
                );
                // The proof is for this leaf at this place only.
                let other = leaf_hash(b"another entry");
                assert_ne!(root_from_proof(index, size, other, &proof), Some(expected));
                if size > 1 {
                    let moved = (index + 1) % size;
                    assert_ne!(
                        root_from_proof(moved, size, leaf, &proof),
                        Some(expected),
                        "index {index} of {size} moved to {moved}"
                    );
                }
            }
        }
    }

    #[test]
    fn a_one_entry_tree_is_its_leaf() {
        let leaves = leaves(1);
        assert_eq!(root(&leaves), leaves[0]);
        assert!(inclusion_proof(0, &leaves).is_empty());
    }
}
