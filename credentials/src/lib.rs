//! Permits as W3C Verifiable Credentials (in progress).

pub mod context;
pub mod jcs;
pub mod keys;
pub mod rdfc;
