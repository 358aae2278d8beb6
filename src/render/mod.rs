//! Renderers: one finding model (`triage_engine::Report`), several outputs.
//!
//! - [`human`]: compiler-style diagnostics with miette snippets of the artifacts, colour only on
//!   a terminal;
//! - [`inert`]: the filter every human-format writer goes through, so escape sequences in
//!   pack or artifact text are shown, never obeyed;
//! - [`json`]: the deterministic JSON documents (DESIGN §7);
//! - [`window`]: the windows of artifacts the human renderer shows, read in one streaming pass.

pub mod human;
pub mod inert;
pub mod json;
pub mod window;
