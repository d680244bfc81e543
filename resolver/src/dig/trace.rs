//! `+trace`: placeholder until the resolver walker lands.
use std::io::Write;
use std::sync::Arc;

use hickory_proto::rr::Name;

use crate::dig::args::Lookup;
use crate::dig::error::DigError;
use crate::transport::Transport;

pub async fn run_trace(
    _transport: &Arc<dyn Transport>,
    _lookup: &Lookup,
    _name: Name,
    _command_line: &str,
    _out: &mut dyn Write,
) -> Result<(), DigError> {
    Err(DigError::Internal("+trace is not available yet"))
}
