//! One file per subcommand: its clap arguments and its `run` function.
//!
//! Every `run` takes the parsed arguments, the [`crate::output::Ui`] and the two writers, and
//! returns a [`crate::CmdResult`]: the exit status, or a failure (exit 2).

pub mod collect;
pub mod collectors;
pub mod completions;
pub mod diff;
pub mod explain;
pub mod facts;
pub mod pack;
pub mod pack_store;
pub mod probe;
pub mod run;
pub mod schema;
