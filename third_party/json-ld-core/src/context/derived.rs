//! Contexts derived from an active context by processing a local context, remembered.
//!
//! Patch carried by the `cites` project (see `third_party/README.md` there): a verifier
//! expands documents that all name the same few contexts, and each expansion processed them
//! again (the embedded `@context` of a credential inside a presentation, every type-scoped
//! and property-scoped context, at each node that uses it).
//!
//! Processing is a function of the active context, the local context, the base URL and the
//! options, as long as the loader returns the same document for the same IRI. The memo is
//! therefore attached to the active context's *value*: clones share it, and any change to a
//! context gives it an empty one. Its key is the local context and base URL *as written*
//! (built by the caller): the syntax types' own equality calls equal what processing keeps
//! apart (a language tag's case, an IRI's percent-encoding, the order of term definitions).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};

use super::Context;

/// Entries kept by one context.
const MAX_PER_CONTEXT: usize = 32;

/// Entries kept by all contexts together: each holds a whole processed context, and a
/// document may carry any inline context, so memory stays bounded whatever is processed.
const MAX_TOTAL: usize = 1024;

static TOTAL: AtomicUsize = AtomicUsize::new(0);

struct Entry<T, B> {
	key: String,
	options: u8,
	result: Context<T, B>,
}

/// The memo of one context value.
pub struct Derived<T, B> {
	entries: Mutex<Vec<Entry<T, B>>>,
}

impl<T, B> Default for Derived<T, B> {
	fn default() -> Self {
		Self {
			entries: Mutex::new(Vec::new()),
		}
	}
}

impl<T, B> Derived<T, B> {
	pub(super) fn get(&self, key: &str, options: u8) -> Option<Context<T, B>>
	where
		T: Clone,
		B: Clone,
	{
		let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
		entries
			.iter()
			.find(|e| e.options == options && e.key == key)
			.map(|e| e.result.clone())
	}

	pub(super) fn insert(&self, key: String, options: u8, result: Context<T, B>)
	where
		T: Clone,
		B: Clone,
	{
		let entry = Entry {
			key,
			options,
			result,
		};
		let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
		// Another thread may have processed the same context meanwhile.
		if entries.len() >= MAX_PER_CONTEXT
			|| entries
				.iter()
				.any(|e| e.options == entry.options && e.key == entry.key)
		{
			return;
		}
		if TOTAL.fetch_add(1, Ordering::Relaxed) >= MAX_TOTAL {
			TOTAL.fetch_sub(1, Ordering::Relaxed);
			return;
		}
		entries.push(entry);
	}

	/// Forgets every entry (the context it belongs to changed).
	pub(super) fn clear(&mut self) {
		let entries = self.entries.get_mut().unwrap_or_else(PoisonError::into_inner);
		TOTAL.fetch_sub(entries.len(), Ordering::Relaxed);
		entries.clear();
	}
}

impl<T, B> Drop for Derived<T, B> {
	fn drop(&mut self) {
		self.clear()
	}
}
