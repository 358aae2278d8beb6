//! The small interface crate that triage's collectors and its engine both depend on, and
//! neither owns (like ripgrep's `grep-matcher`):
//!
//! - [`Fact`], [`Value`] and [`FactMap`]: typed facts with [`Provenance`], deterministic JSON;
//! - [`Collector`]: the trait every artifact reader implements;
//! - [`ScanPlan`]: what packs ask the log collectors to look for, as plain data;
//! - [`Catalogue`]: every fact path the collectors write, its type and its artifact.

pub mod catalogue;
pub mod collector;
pub mod fact_map;
pub mod provenance;
pub mod scan;
pub mod value;

pub use catalogue::{Catalogue, FactDecl, FactType, LogKindDecl};
pub use collector::{
    Artifact, CollectContext, CollectionError, Collector, CollectorInfo, CollectorOutput, Recognition,
};
pub use fact_map::{FactMap, MergeConflict};
pub use provenance::{Provenance, Span};
pub use scan::{FileFormat, FileKindSpec, LogKindSpec, ScanPlan, SignalSpec};
pub use value::{Fact, Timestamp, Value, Version};
