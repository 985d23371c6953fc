//! Commands of the epidemiological record (issue 3): `import samples`, `import results`.

use anyhow::Result;
use clap::Subcommand;
use vx_store::Store;

/// Imports of the epidemiological record, flattened into `vungxanh import`.
#[derive(Subcommand)]
pub enum EpiImport {}

pub async fn import(_store: &Store, cmd: EpiImport) -> Result<()> {
    match cmd {}
}
