//! Renderers: one finding model (`triage_engine::Report`), several outputs.
//!
//! - [`human`]: compiler-style diagnostics with miette snippets of the artifacts, colour only on
//!   a terminal;
//! - [`json`]: the deterministic JSON documents (DESIGN §7).

pub mod human;
pub mod json;
