//! Operations storage (issue 7): the permit signing key, checkpoints and their crossings,
//! travel permits and revocations, businesses with workers and worker tests, aid programmes
//! and their distributions (one per household and programme: a UNIQUE constraint, so that
//! two officers entering the same household at once cannot both succeed).
//!
//! Every write runs in a transaction with its audit record.

mod businesses;
mod permits;
mod support;

pub use businesses::{Business, NewBusiness, WorkerState};
pub use permits::{Checkpoint, Crossing, NewCrossing, Permit};
pub use support::{Distribution, EligibleHousehold, GapRow, Handed, NewDistribution, Programme};
