//! Permits as W3C Verifiable Credentials (in progress).

pub mod context;
pub mod credential;
pub mod jcs;
pub mod jose;
pub mod keys;
pub mod rdfc;
pub mod status;
