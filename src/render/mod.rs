//! Renderers: one finding model (`triage_engine::Report`), several outputs.
//!
//! - [`human`]: compiler-style diagnostics with miette snippets of the artifacts, colour only on
//!   a terminal;
//! - [`json`]: the deterministic JSON documents (DESIGN §7);
//! - [`window`]: the windows of artifacts the human renderer shows, read in one streaming pass.

pub mod human;
pub mod json;
pub mod window;
