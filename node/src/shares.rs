//! Fair shares of a bounded resource: how many of something one client may hold at once (HTTP
//! connections per address, answers being computed per peer), so one client cannot take what
//! is there for everyone.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};

/// Counts what each key holds, up to `cap` each (0: no cap).
pub struct Shares<K: Eq + Hash + Clone> {
    cap: usize,
    held: Mutex<HashMap<K, usize>>,
}

/// One unit held by a key; given back when dropped.
pub struct Share<K: Eq + Hash + Clone> {
    shares: Arc<Shares<K>>,
    key: K,
}

impl<K: Eq + Hash + Clone> Shares<K> {
    pub fn new(cap: usize) -> Arc<Shares<K>> {
        Arc::new(Shares {
            cap,
            held: Mutex::new(HashMap::new()),
        })
    }

    /// A unit for `key`, or `None` if it holds its cap already.
    pub fn take(shares: &Arc<Shares<K>>, key: K) -> Option<Share<K>> {
        if shares.cap > 0 {
            let mut held = shares.held.lock().unwrap_or_else(|p| p.into_inner());
            let count = held.entry(key.clone()).or_insert(0);
            if *count >= shares.cap {
                return None;
            }
            *count += 1;
        }
        Some(Share {
            shares: shares.clone(),
            key,
        })
    }
}

impl<K: Eq + Hash + Clone> Drop for Share<K> {
    fn drop(&mut self) {
        if self.shares.cap == 0 {
            return;
        }
        let mut held = self.shares.held.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(count) = held.get_mut(&self.key) {
            *count -= 1;
            if *count == 0 {
                held.remove(&self.key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_holds_at_most_its_cap_and_gets_units_back() {
        let shares = Shares::new(2);
        let first = Shares::take(&shares, "a").unwrap();
        let _second = Shares::take(&shares, "a").unwrap();
        assert!(Shares::take(&shares, "a").is_none());
        assert!(
            Shares::take(&shares, "b").is_some(),
            "another key has its own count"
        );
        drop(first);
        assert!(
            Shares::take(&shares, "a").is_some(),
            "a unit given back is free again"
        );
        let unlimited = Shares::new(0);
        let many: Vec<_> = (0..100)
            .filter_map(|_| Shares::take(&unlimited, "a"))
            .collect();
        assert_eq!(many.len(), 100);
    }
}
