//! Baseline-change review: what a change to baselines or overlays does to the effective
//! settings of each environment, classified for the baselines' owners, and which rendered
//! files it changes.

use serde::Serialize;

use crate::finding::Location;

/// How a change moves a setting's security.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Less secure: a lock removed, a bound widened, a setting removed, a deadline lengthened.
    Weakened,
    /// More secure: the reverse.
    Strengthened,
    /// Neither (a description, an owner, a value inside unchanged bounds).
    Neutral,
}

impl Direction {
    /// The lower-case name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Weakened => "weakened",
            Direction::Strengthened => "strengthened",
            Direction::Neutral => "neutral",
        }
    }
}

/// One changed aspect of one setting (or policy) in one environment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Change {
    /// The environment, when the change is seen through one (`None`: the baseline itself).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    /// `baseline.Setting`, or a policy key such as `patch.sla.high`.
    pub subject: String,
    /// Which aspect changed: `value`, `locked`, `min`, `max`, `oneOf`, `subsetOf`, …
    pub aspect: String,
    /// Before, as YAML-ish text (`None`: absent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub before: Option<String>,
    /// After (`None`: removed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
    /// Weakened, strengthened or neutral.
    pub direction: Direction,
    /// The owner who must review it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// The changed line on the head side (the base side for removals).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
}

/// A rendered file the change alters.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Impact {
    /// The environment.
    pub environment: String,
    /// Repository-relative path of the rendered file.
    pub path: String,
    /// Unified diff from the base rendering to the head rendering.
    pub diff: String,
}

/// The whole review of a change.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Review {
    /// Changed settings, sorted by (subject, environment, aspect).
    pub changes: Vec<Change>,
    /// Rendered files that change, sorted by (environment, path).
    pub impact: Vec<Impact>,
}

impl Review {
    /// Whether the change touched no baseline, overlay or rendered file.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty() && self.impact.is_empty()
    }
}
