//! Where a fact came from: the artifact, the place inside it, and the collector that read it.

use serde::{Deserialize, Serialize};

/// The origin of a fact. Line numbers are 1-based; byte spans are offsets into the artifact's
/// **decoded** text (UTF-8 after BOM sniffing), so a renderer that decodes the same file the same
/// way can label the exact bytes. Binary artifacts (captures) use `frame` instead.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Provenance {
    /// Path of the artifact relative to the input root, `/`-separated.
    pub artifact: String,
    /// Name of the collector that produced the fact.
    pub collector: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// Last line of a multi-line record, when it differs from `line`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_line: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub span: Option<Span>,
    /// A logical address inside the artifact: a registry key and value name, an XML path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// A frame number (1-based, as Wireshark counts) in a capture.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frame: Option<u64>,
}

/// A half-open byte range `[start, end)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Span {
    pub start: u64,
    pub end: u64,
}

impl Provenance {
    pub fn new(artifact: impl Into<String>, collector: impl Into<String>) -> Self {
        Provenance { artifact: artifact.into(), collector: collector.into(), ..Default::default() }
    }

    pub fn at_line(mut self, line: u64) -> Self {
        self.line = Some(line);
        self
    }

    pub fn lines(mut self, line: u64, end_line: u64) -> Self {
        self.line = Some(line);
        self.end_line = (end_line != line).then_some(end_line);
        self
    }

    pub fn span(mut self, start: u64, end: u64) -> Self {
        self.span = Some(Span { start, end });
        self
    }

    pub fn key(mut self, key: impl Into<String>) -> Self {
        self.key = Some(key.into());
        self
    }

    pub fn frame(mut self, frame: u64) -> Self {
        self.frame = Some(frame);
        self
    }
}

impl std::fmt::Display for Provenance {
    /// `artifact:line` or `artifact [key]` or `artifact frame N`, as a compiler would.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.artifact)?;
        if let Some(l) = self.line {
            write!(f, ":{l}")?;
        }
        if let Some(k) = &self.key {
            write!(f, " [{k}]")?;
        }
        if let Some(fr) = self.frame {
            write!(f, " frame {fr}")?;
        }
        Ok(())
    }
}
