//! Renderers: one finding model (`triage_engine::Report`), several outputs.
//!
//! - [`human`]: compiler-style diagnostics with miette snippets of the artifacts, colour only on
//!   a terminal;
//! - [`inert`]: the filter every human-format writer goes through, so escape sequences in
//!   pack or artifact text are shown, never obeyed;
//! - [`json`]: the deterministic JSON documents (DESIGN §7) and JSON Lines;
//! - [`sarif`]: SARIF 2.1.0 for code-scanning views; [`junit`]: JUnit XML for CI;
//!   [`markdown`]: a summary for a ticket; [`csv`]: one row per input and rule;
//!   [`html`]: one self-contained page, a host's findings or a fleet's matrix;
//! - [`shared`]: what those last ones share (artifact texts, evidence in words, links).
//! - [`window`]: the windows of artifacts the human renderer shows, read in one streaming pass.

pub mod csv;
pub mod html;
pub mod human;
pub mod inert;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod sarif;
pub mod shared;
pub mod window;

/// What a run's renderers draw from: the report (the one finding model), the inputs it was made
/// from (to quote their artifacts) and the packs (rule descriptions, references).
pub struct RunView<'a> {
    pub report: &'a triage_engine::Report,
    pub inputs: &'a [crate::input::Input],
    pub packs: &'a [triage_engine::Pack],
}
