//! Commands of zone status (issue 4): rule sets, classification, vaccinations, adjacency.

use anyhow::Result;
use clap::Subcommand;
use vx_store::Store;

/// Imports for zone status, flattened into `vungxanh import`.
#[derive(Subcommand)]
pub enum ZonesImport {}

pub async fn import(_store: &Store, cmd: ZonesImport) -> Result<()> {
    match cmd {}
}
