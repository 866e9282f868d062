//! The source store: every file hardline reads for a report (YAML, templates, checked-in
//! configs) with its repo-relative path and text, so any finding can show a snippet.
//!
//! This module owns turning byte offsets into line/column locations. It does no IO.

pub(crate) mod json_escape;
pub mod yaml;

use std::sync::Arc;

use crate::finding::Location;

/// Index of a file in [`Sources`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FileId(usize);

impl FileId {
    /// Stands in until a model value is tied to its file.
    pub(crate) const PLACEHOLDER: FileId = FileId(usize::MAX);
}

/// One file's text and where it lives.
#[derive(Debug)]
pub struct SourceFile {
    /// Repository-relative path with `/` separators.
    pub path: String,
    /// The file's text (lossily decoded when it was not UTF-8).
    pub text: Arc<str>,
    line_starts: Vec<usize>,
}

impl SourceFile {
    /// A file's text, indexed for line lookups.
    pub fn new(path: String, text: Arc<str>) -> SourceFile {
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        SourceFile {
            path,
            text,
            line_starts,
        }
    }

    /// The location of a byte span in this file.
    pub fn location(&self, offset: usize, len: usize) -> Location {
        let offset = floor_char_boundary(&self.text, offset.min(self.text.len()));
        let line_index = self
            .line_starts
            .partition_point(|&start| start <= offset)
            .saturating_sub(1);
        let line_start = self.line_starts[line_index];
        let column = self.text[line_start..offset].chars().count() + 1;
        Location {
            path: self.path.clone(),
            line: line_index + 1,
            column,
            offset,
            len: len.min(self.text.len() - offset),
        }
    }

    /// The byte range of 1-based lines `first..=last` (clamped to the file), newline of the
    /// last line excluded.
    pub fn line_range(&self, first: usize, last: usize) -> std::ops::Range<usize> {
        let lines = self.line_starts.len();
        let first = first.clamp(1, lines) - 1;
        let last = last.clamp(first + 1, lines) - 1;
        let start = self.line_starts[first];
        let end = self
            .line_starts
            .get(last + 1)
            .map_or(self.text.len(), |next| next - 1);
        start..end.max(start)
    }

    /// The location of the start of a 1-based line (clamped to the file).
    pub fn line_location(&self, line: usize) -> Location {
        let index = line.saturating_sub(1).min(self.line_starts.len() - 1);
        let start = self.line_starts[index];
        let end = self.text[start..]
            .find('\n')
            .map_or(self.text.len(), |e| start + e);
        self.location(start, end - start)
    }
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while offset > 0 && !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// Every file read during a run.
#[derive(Debug, Default)]
pub struct Sources {
    files: Vec<SourceFile>,
}

impl Sources {
    /// Adds a file and returns its id.
    pub fn add(&mut self, path: impl Into<String>, text: impl Into<Arc<str>>) -> FileId {
        self.files.push(SourceFile::new(path.into(), text.into()));
        FileId(self.files.len() - 1)
    }

    /// Adds an already indexed file and returns its id.
    pub fn push(&mut self, file: SourceFile) -> FileId {
        self.files.push(file);
        FileId(self.files.len() - 1)
    }

    /// The file behind an id.
    pub fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id.0]
    }

    /// Every file, in the order added.
    pub fn iter(&self) -> impl Iterator<Item = &SourceFile> {
        self.files.iter()
    }

    /// Looks a file up by its repo-relative path.
    pub fn by_path(&self, path: &str) -> Option<&SourceFile> {
        self.files.iter().find(|f| f.path == path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_map_to_lines_and_char_columns() {
        let mut sources = Sources::default();
        let id = sources.add("a.yaml", "ab\nçd: x\n");
        let file = sources.get(id);
        let loc = file.location(0, 1);
        assert_eq!((loc.line, loc.column), (1, 1));
        let loc = file.location(7, 1);
        assert_eq!((loc.line, loc.column), (2, 4));
        let loc = file.line_location(2);
        assert_eq!((loc.line, loc.column, loc.len), (2, 1, 6));
        let loc = file.location(999, 5);
        assert_eq!(loc.line, 3);
    }
}
