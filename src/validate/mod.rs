//! Validation: schema checks of every YAML file ([`schema`]) and semantic rules across the
//! repository ([`semantic`]). Engines: they return findings and never print.

pub mod schema;
pub mod semantic;

use crate::finding::Location;
use crate::source::SourceFile;
use crate::source::yaml::Span;

/// The location of a YAML span in `file`.
pub fn span_location(file: &SourceFile, span: Span) -> Location {
    if let Some(offset) = span.offset {
        file.location(offset, span.len)
    } else {
        let mut loc = file.line_location(span.line);
        loc.column = span.column;
        loc.len = span.len;
        loc
    }
}
