//! Load diagnostics: every problem in a pack, each labelled at the right place in its TOML file.

use std::sync::Arc;

use miette::{Diagnostic, LabeledSpan, NamedSource, SourceCode};

use super::source::PackText;

/// Stable diagnostic codes. Never reuse a code that appeared in a release (see
/// `codes_are_unique` below); retire it instead.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Code {
    TomlSyntax,
    UnknownKey,
    WrongType,
    MissingKey,
    BadValue,
    BadRegex,
    RhaiSyntax,
    UnknownSignal,
    UnknownDerived,
    UnknownLogKind,
    DuplicateRuleId,
    RetiredRuleId,
    EngineVersion,
    DuplicateName,
    MissingTest,
    BadTemplate,
    RegexTooLarge,
    TooLarge,
    UnknownFact,
    TypeMismatch,
    UnknownFunction,
    UnknownField,
}

impl Code {
    pub const ALL: &'static [Code] = &[
        Code::TomlSyntax,
        Code::UnknownKey,
        Code::WrongType,
        Code::MissingKey,
        Code::BadValue,
        Code::BadRegex,
        Code::RhaiSyntax,
        Code::UnknownSignal,
        Code::UnknownDerived,
        Code::UnknownLogKind,
        Code::DuplicateRuleId,
        Code::RetiredRuleId,
        Code::EngineVersion,
        Code::DuplicateName,
        Code::MissingTest,
        Code::BadTemplate,
        Code::RegexTooLarge,
        Code::TooLarge,
        Code::UnknownFact,
        Code::TypeMismatch,
        Code::UnknownFunction,
        Code::UnknownField,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Code::TomlSyntax => "pack::toml-syntax",
            Code::UnknownKey => "pack::unknown-key",
            Code::WrongType => "pack::wrong-type",
            Code::MissingKey => "pack::missing-key",
            Code::BadValue => "pack::bad-value",
            Code::BadRegex => "pack::bad-regex",
            Code::RhaiSyntax => "pack::rhai-syntax",
            Code::UnknownSignal => "pack::unknown-signal",
            Code::UnknownDerived => "pack::unknown-derived",
            Code::UnknownLogKind => "pack::unknown-log-kind",
            Code::DuplicateRuleId => "pack::duplicate-rule-id",
            Code::RetiredRuleId => "pack::retired-rule-id",
            Code::EngineVersion => "pack::engine-version",
            Code::DuplicateName => "pack::duplicate-name",
            Code::MissingTest => "pack::missing-test",
            Code::BadTemplate => "pack::bad-template",
            Code::RegexTooLarge => "pack::regex-too-large",
            Code::TooLarge => "pack::too-large",
            Code::UnknownFact => "pack::unknown-fact",
            Code::TypeMismatch => "pack::type-mismatch",
            Code::UnknownFunction => "pack::unknown-function",
            Code::UnknownField => "pack::unknown-field",
        }
    }
}

/// Whether a diagnostic stops the pack from loading.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Warning,
    Error,
}

/// One problem found while loading a pack.
#[derive(Clone, Debug)]
pub struct PackDiagnostic {
    pub code: Code,
    pub level: Level,
    pub message: String,
    /// The file it is in (pack-relative), and the byte span of the label.
    pub file: Arc<str>,
    pub span: std::ops::Range<usize>,
    pub label: String,
    pub help: Option<String>,
    pub source: Option<NamedSource<PackText>>,
}

impl PackDiagnostic {
    /// Line and column (1-based, columns in characters) of the label, for JSON output.
    pub fn line_col(&self) -> Option<(usize, usize)> {
        Some(self.source.as_ref()?.inner().line_col(self.span.start))
    }
}

impl std::fmt::Display for PackDiagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for PackDiagnostic {}

impl Diagnostic for PackDiagnostic {
    fn code<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        Some(Box::new(self.code.as_str()))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.level {
            Level::Error => miette::Severity::Error,
            Level::Warning => miette::Severity::Warning,
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        self.help.as_ref().map(|h| Box::new(h) as Box<dyn std::fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.source.as_ref().map(|s| s as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        self.source.as_ref()?;
        let len = self.span.end.saturating_sub(self.span.start);
        Some(Box::new(std::iter::once(LabeledSpan::new(Some(self.label.clone()), self.span.start, len))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique() {
        let mut seen = std::collections::BTreeSet::new();
        for c in Code::ALL {
            assert!(seen.insert(c.as_str()), "duplicate code {}", c.as_str());
        }
        assert_eq!(seen.len(), Code::ALL.len());
    }
}
