//! Operations (issue 7): checkpoints and travel permits, businesses reopening safely, social
//! support for households. Values and pure rules only: the store keeps them, the web layer
//! shows them.
//!
//! * [`permit`]: travel permits, their signed tokens (Ed25519: a checkpoint device needs only
//!   the public key to tell a genuine permit from a forged one) and their conditions.
//! * [`business`]: businesses, whether they may open at a level and why, workers' testing.
//! * [`support`]: aid programmes, eligibility rules over household facts, spreadsheet safety.

pub mod business;
pub mod permit;
pub mod support;

#[cfg(test)]
mod tests;
