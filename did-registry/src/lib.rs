//! The network trust registry (in progress).
